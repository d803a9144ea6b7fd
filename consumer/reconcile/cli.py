"""`python -m consumer reconcile [--once] [--since T]`: recover every order WooCommerce never delivered.

Long-running by default: a pass every RECONCILE_INTERVAL_S, metrics and /healthz on METRICS_PORT.
`--once` makes one pass and exits (a CronJob); `--since` starts the (first) pass at that UTC time — a
first run, or a backfill after an outage. Exit codes: 0 the pass completed; 2 bad arguments or
settings, a missing topic, or WooCommerce refusing the key (401/403); 3 the pass could not complete:
WooCommerce or Kafka did not answer after retries (nothing was lost, the watermark did not move: run
it again). 1, "the check found problems", is `audit`'s. Kafka not answering at the start (reading the
topics' metadata) is 3 in both modes; once running, a failed pass is logged and the next one retries.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from confluent_kafka import KafkaException
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import ValidationError

from common.publisher import KafkaPublisher, PublishError
from consumer.ops.cli import print_errors, utc_time
from consumer.reconcile import metrics
from consumer.reconcile.reconciler import PassResult, Reconciler, Timing
from consumer.reconcile.settings import ReconcileSettings
from consumer.reconcile.table import PublishedTable, TableWriteFailed
from consumer.reconcile.tail import MainTail
from consumer.topics import BrokerUnreachable, kafka_reason
from consumer.woocommerce.client import WooAuthError, WooClient, WooError, WooUnavailable
from schemas.serde import OrderSerde, make_serde

log = logging.getLogger("consumer.reconcile")
DONE, BAD_INPUT, INCOMPLETE = 0, 2, 3
_FAILURES = (WooError, PublishError, TableWriteFailed, TimeoutError, KafkaException)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "reconcile",
        help="poll WooCommerce for orders the webhooks never delivered, and publish them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--once", action="store_true", help="one pass, then exit (a CronJob)")
    p.add_argument("--since", type=utc_time, help="start the first pass at this UTC time (ISO-8601)")


def run(args: argparse.Namespace) -> int:
    try:
        settings = ReconcileSettings()
    except ValidationError as exc:
        print_errors(exc)
        return BAD_INPUT
    try:
        table, serde, tail = _readers(settings)
    except LookupError as exc:
        print(f"reconcile: {exc}", file=sys.stderr)
        return BAD_INPUT
    except (BrokerUnreachable, KafkaException) as exc:  # both modes: nothing to retry with yet
        said = f"Kafka did not answer ({kafka_reason(exc)})" if isinstance(exc, KafkaException) else exc
        print(f"reconcile: {said}; nothing was published — run it again", file=sys.stderr)
        return INCOMPLETE
    publisher = KafkaPublisher({**settings.producer_config(), "client.id": "woo-reconcile"})
    stop = threading.Event()
    woo = WooClient(settings, sleep=_backoff_until(stop))
    reconciler = Reconciler(
        woo=woo,
        publisher=publisher,
        serde=serde,
        table=table,
        tail=tail,
        orders_topic=settings.orders_topic,
        shop_url=settings.woocommerce_api_url,
        public_url=settings.receiver_public_url,
        timing=Timing(
            overlap=timedelta(seconds=settings.reconcile_overlap_s),
            lag=timedelta(seconds=settings.reconcile_lag_s),
        ),
    )
    started = datetime.now(UTC)
    metrics.WATERMARK_AGE.set_function(
        lambda: (datetime.now(UTC) - (reconciler.watermark or started)).total_seconds()
    )
    try:
        if args.once:
            return _once(reconciler, args.since)
        return _forever(reconciler, args.since, settings, stop)
    finally:
        publisher.close(30)
        tail.close()
        table.close()
        woo.close()


def _readers(settings: ReconcileSettings) -> tuple[PublishedTable, OrderSerde, MainTail]:
    """The reconcile topic's table and the main topic's tail (it starts reading on its first `read`);
    raises `LookupError` (a topic is missing), `BrokerUnreachable` or `KafkaException` (Kafka did not
    answer)."""
    timeout = settings.reconcile_read_timeout_s
    table = PublishedTable(
        settings.client_config(), settings.producer_config(), settings.reconcile_topic, timeout
    )
    try:
        serde = make_serde(settings.schema_registry_url, settings.registry_config())
        return table, serde, MainTail(settings.client_config(), settings.orders_topic, serde, timeout)
    except BaseException:
        table.close()
        raise


def _once(reconciler: Reconciler, since: datetime | None) -> int:
    try:
        result = reconciler.run_pass(since)
    except WooAuthError as exc:
        metrics.PASSES.labels("credentials").inc()
        print(f"reconcile: WooCommerce refused the key: {exc} (check WOOCOMMERCE_CONSUMER_KEY/SECRET, "
              "its read permission and its user's role)", file=sys.stderr)  # fmt: skip
        return BAD_INPUT
    except _FAILURES as exc:
        metrics.PASSES.labels("failed").inc()
        print(f"reconcile: the pass did not complete: {exc}; the watermark did not move", file=sys.stderr)
        return INCOMPLETE
    metrics.PASSES.labels("ok").inc()
    print(summary(result))
    return DONE


def _backoff_until(stop: threading.Event) -> Callable[[float], None]:
    """The client's back-off sleep, cut short by SIGTERM: a pod stops within seconds, not after a
    minute of retries against a shop that is down (the pass fails; its watermark stays)."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise WooUnavailable("stopping: a signal arrived during a back-off")

    return sleep


def _forever(
    reconciler: Reconciler, since: datetime | None, settings: ReconcileSettings, stop: threading.Event
) -> int:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    beat = {"at": time.monotonic()}
    if settings.metrics_port:
        limit = settings.reconcile_interval_s + 900  # a pass may take long; a stuck loop is restarted
        _serve(settings.metrics_host, settings.metrics_port, lambda: time.monotonic() - beat["at"] < limit)
    log.info("reconcile starting: every %.0fs, overlap %.0fs, lag %.0fs", settings.reconcile_interval_s,
             settings.reconcile_overlap_s, settings.reconcile_lag_s)  # fmt: skip
    while not stop.is_set():
        try:
            result = reconciler.run_pass(since)
            metrics.HALTED.labels("credentials").set(0)
            metrics.PASSES.labels("ok").inc()
            log.info(summary(result))
            since = None
        except WooAuthError as exc:
            metrics.HALTED.labels("credentials").set(1)
            metrics.PASSES.labels("credentials").inc()
            log.error("WooCommerce refused the key (%s): halted until it is accepted", exc)
        except _FAILURES as exc:
            metrics.PASSES.labels("failed").inc()
            log.error("pass did not complete (%s: %s); the next one tries again", type(exc).__name__, exc)
        beat["at"] = time.monotonic()
        stop.wait(settings.reconcile_interval_s)
    log.info("reconcile stopped")
    return DONE


def summary(result: PassResult) -> str:
    hooks = ", ".join(f"{t.topic} {'active' if t.active else 'NOT DELIVERING'}" for t in result.webhooks)
    problems = "".join(f"\n  webhook problem: {p}" for t in result.webhooks for p in t.problems)
    watermark = result.watermark.isoformat() if result.watermark else "-"
    return (
        f"pass {result.start.isoformat()} .. {result.cutoff.isoformat()}: {result.listed} listed, "
        f"{result.published} published (missed by the webhook path), {result.already} already published, "
        f"{result.invalid} invalid; webhooks: {hooks}; watermark {watermark}; {result.seconds:.1f}s{problems}"
    )


def _serve(host: str, port: int, healthy: Callable[[], bool]) -> None:
    """/metrics, and /healthz failing when the loop stopped turning (a restart fixes that)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/metrics"):
                status, body, kind = 200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST
            elif self.path in ("/healthz", "/readyz"):
                ok = healthy()
                body = b'{"ok": true}\n' if ok else b'{"ok": false}\n'
                status, kind = (200 if ok else 503), "application/json"
            else:
                status, body, kind = 404, b"{}\n", "application/json"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="reconcile-http", daemon=True).start()
