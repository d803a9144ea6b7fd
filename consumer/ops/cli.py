"""The operator commands' command lines (`python -m consumer redrive|replay …`), per the contract.

Exit codes: 0 done, 2 bad arguments or settings, 3 refused (the reason printed): past the redrive
limit, a group with members, or the broker refusing or not answering part-way (`refused`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from confluent_kafka.admin import AdminClient
from pydantic import ValidationError

from common.publisher import KafkaPublisher, PublishError
from consumer.ops import redrive, replay
from consumer.ops.deadletters import ReadIncomplete, read_dead_letters, read_redrive_log
from consumer.ops.settings import OperatorSettings
from consumer.topics import BrokerUnreachable, reachable

DONE, PROBLEMS, BAD_INPUT, REFUSED = 0, 1, 2, 3


def add_redrive(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "redrive",
        help="list dead letters, or send chosen ones back to the main topic",
        description=redrive.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--list", action="store_true", help="show every dead letter (nothing is sent)")
    what.add_argument("--all", action="store_true", help="redrive every dead letter (within --since/--until)")
    what.add_argument("--order", nargs="+", metavar="ID", help="redrive the dead letters of these orders")
    what.add_argument("--error-class", nargs="+", metavar="C", help="redrive those with this x-error-class")
    p.add_argument("--since", type=utc_time, help="dead-lettered at or after this UTC time (ISO-8601)")
    p.add_argument("--until", type=utc_time, help="dead-lettered before this UTC time (ISO-8601)")
    p.add_argument("--json", action="store_true", help="with --list: one JSON object per line")
    p.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    p.add_argument("--force", action="store_true", help="also send those redriven REDRIVE_LIMIT times")


def add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "replay",
        help="move the group's committed offsets (the group must have no active member)",
        description=replay.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--to", required=True, help="earliest | latest | <ISO-8601 UTC time> | <offset>")
    p.add_argument("--topic", help="the topic whose offsets move (default: ORDERS_TOPIC)")
    p.add_argument("--partition", nargs="+", type=int, metavar="N", help="only these partitions")
    p.add_argument("--dry-run", action="store_true", help="print the moves; change nothing")


def run_redrive(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings is None:
        return BAD_INPUT
    config = settings.client_config()
    try:
        dead = read_dead_letters(config, settings.dead_letter_topic)
        log = read_redrive_log(config, settings.redrives_topic)
    except (LookupError, BrokerUnreachable) as exc:
        print(f"redrive: {exc}", file=sys.stderr)
        return BAD_INPUT
    except ReadIncomplete as exc:  # it answered at the start: the settings are not at fault
        return refused("redrive", str(exc))
    if args.list:
        if args.since or args.until:
            dead = [
                d for d in dead if d in redrive.Selection(everything=True, since=args.since, until=args.until)
            ]
        print(redrive.json_lines(dead, log) if args.json else redrive.table(dead, log))
        if not args.json:
            print(f"{len(dead)} dead letter(s); {sum(d.position in log for d in dead)} already redriven")
        return DONE
    selection = redrive.Selection(
        everything=args.all,
        orders=frozenset(args.order or ()),
        error_classes=frozenset(args.error_class or ()),
        since=args.since,
        until=args.until,
    )
    chosen = redrive.plan(dead, log, selection, limit=settings.redrive_limit, force=args.force)
    if args.dry_run:
        for d in chosen.send:
            print(f"would send {d.dlq_partition}@{d.dlq_offset} order {d.order_id} ({d.error_class}) "
                  f"as redrive {d.redrive_count + 1}")  # fmt: skip
    else:
        publisher = KafkaPublisher({**settings.producer_config(), "client.id": "woo-redrive"})
        try:
            redrive.send(
                chosen.send,
                publisher,
                main_topic=settings.orders_topic,
                dead_letter_topic=settings.dead_letter_topic,
                redrives_topic=settings.redrives_topic,
            )
        except PublishError as exc:
            return refused(
                "redrive", f"the broker did not take a record ({exc.reason}); nothing after it was sent"
            )
        finally:
            publisher.close(30)
    for d in chosen.refused:
        print(f"refused {d.dlq_partition}@{d.dlq_offset} order {d.order_id}: redriven {d.redrive_count} "
              f"time(s) already (REDRIVE_LIMIT={settings.redrive_limit}); --force sends it")  # fmt: skip
    verb = "would send" if args.dry_run else "sent"
    print(f"{verb} {len(chosen.send)}, already redriven {len(chosen.already)}, refused {len(chosen.refused)}")
    return REFUSED if chosen.refused else DONE


def run_replay(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings is None:
        return BAD_INPUT
    try:
        target = replay.parse_target(args.to)
    except ValueError as exc:
        print(f"replay: --to {args.to!r}: {exc}", file=sys.stderr)
        return BAD_INPUT
    topic = args.topic or settings.orders_topic
    config = settings.client_config()
    admin = AdminClient(config)
    try:
        reachable(admin)
        replay.ensure_idle(admin, settings.consumer_group)
        moves = replay.plan(config, settings.consumer_group, topic, args.partition, target)
        if not args.dry_run:
            replay.ensure_idle(admin, settings.consumer_group)  # a member may have joined meanwhile
            replay.apply(admin, settings.consumer_group, topic, moves)
    except (replay.GroupActive, replay.BrokerFailed) as exc:
        return refused("replay", str(exc))
    except (LookupError, BrokerUnreachable) as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return BAD_INPUT
    print(replay.table(moves, topic, settings.consumer_group, applied=not args.dry_run))
    return DONE


def add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from consumer.ops import check

    p = commands.add_parser(
        "check",
        help="preflight: Kafka and topics, NetSuite credentials, permissions, custom fields, items, "
        "tax codes, currencies, the shop's key, webhooks and recent SKUs",
        description=check.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--orders",
        type=int,
        default=20,
        metavar="N",
        help="check the SKUs and currencies of the shop's last N orders (at most 100; 0 = skip)",
    )


def run_check(args: argparse.Namespace) -> int:
    from consumer.netsuite.client import NetSuiteClient
    from consumer.ops import check
    from consumer.settings import ConsumerSettings

    try:
        settings = ConsumerSettings()
    except ValidationError as exc:
        print_errors(exc)
        return BAD_INPUT
    client = NetSuiteClient(settings, slot_timeout_s=30)
    try:
        results = check.run_checks(
            settings, client, AdminClient(settings.client_config()), recent=min(max(args.orders, 0), 100)
        )
    finally:
        client.close()
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    skipped = sum(r.skipped for r in results)
    print(
        f"{len(results) - failed - skipped} passed, {failed} failed"
        + (f", {skipped} not checked" if skipped else "")
        + (" — fix them before go-live" if failed else "")
    )
    return PROBLEMS if failed else DONE


def refused(command: str, reason: str) -> int:
    """The contract's 3, "refused (the reason printed)": one line on stderr, never a traceback — for
    what the command will not do (`redrive` past its limit is listed per record instead) and for a
    broker that refuses or stops answering part-way, after it answered at the start."""
    print(f"{command} refused: {reason}", file=sys.stderr)
    return REFUSED


def _settings() -> OperatorSettings | None:
    try:
        return OperatorSettings()
    except ValidationError as exc:
        print_errors(exc)
        return None


def print_errors(exc: ValidationError) -> None:
    """Each refused setting as one line naming its variable (every operator command's exit 2)."""
    for err in exc.errors():
        name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
        print(f"configuration error: {name}: {err['msg']}", file=sys.stderr)


def utc_time(text: str) -> datetime:
    """argparse type of every `--since`/`--until`: an ISO-8601 time in UTC."""
    try:
        target = replay.parse_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not isinstance(target, datetime):
        raise argparse.ArgumentTypeError(f"not an ISO-8601 UTC time: {text}")
    return target
