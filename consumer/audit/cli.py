"""`python -m consumer audit --since T [--until T] [--json]`: does NetSuite match WooCommerce?

For every order WooCommerce changed in the window (`modified_after`/keyset walk, as reconcile reads
it) that should be in NetSuite (`expected.py`), SuiteQL in batches checks that exactly one sales order
`WOO_ORDER_<id>` exists, for the right customer, with the line count and total the mapping makes
(`netsuite.py`, `compare.py`). Prints a table of the missing, duplicated and mismatched orders (or,
with `--json`, one object per line: order_id, number, problem, details, netsuite_ids).

`--repair` then sends the missing and mismatched orders through the pipeline again (`repair.py`): a
replay or redrive does not fix a sales order changed in NetSuite behind the group's back.

Exit codes: 0 every order matches; 1 at least one is missing, duplicated or mismatched (also with
`--repair`: run the audit again once the consumers wrote the repairs); 2 bad arguments or settings,
or a key WooCommerce or NetSuite refuses (401/403); 3 WooCommerce, NetSuite (or, with `--repair`,
Kafka) did not answer after retries — the audit could not be completed. Read-only without `--repair`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from common.publisher import PublishError
from consumer.audit import repair
from consumer.audit.compare import PROBLEMS, Finding, compare, json_lines, table
from consumer.audit.netsuite import held_for
from consumer.audit.retry import PatientSuiteQL
from consumer.audit.settings import AuditSettings
from consumer.audit.unwritable import audit_currencies, with_unwritable
from consumer.audit.window import read_window
from consumer.errors import AuthFailure, SyncError
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.items import ItemResolver
from consumer.ops.cli import print_errors, utc_time
from consumer.woocommerce.client import WooAuthError, WooClient, WooError

MATCH, FOUND, BAD_INPUT, INCOMPLETE = 0, 1, 2, 3


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "audit",
        help="compare every WooCommerce order of a window with NetSuite; exit 1 on any difference",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--since", type=utc_time, required=True, help="orders changed at or after (UTC)")
    p.add_argument(
        "--until", type=utc_time, help="... and before this UTC time (default: now - AUDIT_SETTLE_S)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per finding")
    p.add_argument("--repair", action="store_true", help="re-send the missing and mismatched orders")


def run(args: argparse.Namespace) -> int:
    try:
        settings = AuditSettings()
    except ValidationError as exc:
        print_errors(exc)
        return BAD_INPUT
    until = args.until or datetime.now(UTC) - timedelta(seconds=settings.audit_settle_s)
    if until <= args.since:
        print("audit: --until must be after --since", file=sys.stderr)
        return BAD_INPUT
    woo, netsuite = WooClient(settings), NetSuiteClient(settings)
    patient = PatientSuiteQL(netsuite)  # every query of the run: held_for's, the SKU and currency look-ups
    try:
        window = read_window(woo, args.since, until, settings.mapping_policy())
        wanted, raw, skipped = window.wanted, window.bodies, window.skipped
        held = held_for(patient, wanted)
        resolver = ItemResolver(patient, ttl_s=0, lookup_field=settings.netsuite_item_lookup_field)
        currencies = audit_currencies(patient)
        wanted = with_unwritable(wanted, held, raw, resolver.resolve, currencies)
    except (WooAuthError, AuthFailure) as exc:
        print(f"audit: the key was refused: {exc}", file=sys.stderr)
        return BAD_INPUT
    except (WooError, SyncError) as exc:
        print(f"audit: could not be completed: {exc}", file=sys.stderr)
        return INCOMPLETE
    finally:
        woo.close()
        netsuite.close()
    findings = [f for exp in wanted if (f := compare(exp, held[exp.order_id])) is not None]
    if args.json:
        if findings:
            print(json_lines(findings))
    else:
        if findings:
            print(table(findings))
        print(_summary(findings, len(wanted), skipped, args.since, until))
    if args.repair and findings:
        chosen = repair.repairable(findings, {e.order_id: e for e in wanted})
        try:
            sent = repair.send(chosen, raw, settings)
        except PublishError as exc:
            print(f"audit: repair not sent: the broker did not take it ({exc.reason})", file=sys.stderr)
            return INCOMPLETE
        left = len(findings) - sent
        print(f"repair: sent {sent} order(s) to {settings.orders_topic} (x-repair); {left} left to a person "
              "(duplicated, or not mappable: fix the cause, then redrive); audit again once written",
              file=sys.stderr if args.json else sys.stdout)  # fmt: skip
    return FOUND if findings else MATCH


def _summary(findings: list[Finding], audited: int, skipped: int, since: datetime, until: datetime) -> str:
    counts = ", ".join(
        f"{sum(f.problem == kind for f in findings)} {kind.replace('_', ' ')}" for kind in PROBLEMS
    )
    head = "NetSuite matches WooCommerce" if not findings else f"{len(findings)} of {audited} orders differ"
    return (
        f"{head}: {audited} orders audited ({since.isoformat()} .. {until.isoformat()}), "
        f"{counts}; {skipped} not judged (unpaid, cancelled unpaid, trashed or unreadable)"
    )
