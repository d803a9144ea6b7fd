"""`python -m consumer [run | topics | redrive | replay | reconcile | audit | check]`.

Without a command, one consumer-group member runs. The operator commands print a readable summary
and return the contract's exit codes: 0 done, 1 the check found problems, 2 bad arguments or
settings, 3 refused.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from pydantic import ValidationError

from common.env_check import warn_unknown_variables
from common.kafka_settings import KafkaSettings
from common.logs import configure_logging

log = logging.getLogger("consumer")


def _settings_error(exc: ValidationError) -> int:
    for err in exc.errors():
        name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
        print(f"configuration error: {name}: {err['msg']}", file=sys.stderr)
    return 2


def cmd_topics() -> int:
    from confluent_kafka import KafkaException

    from consumer.topics import BrokerUnreachable, ensure_topics, kafka_reason

    try:
        settings = KafkaSettings()
    except ValidationError as exc:
        return _settings_error(exc)
    try:
        states = ensure_topics(settings)
    except BrokerUnreachable as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (KafkaException, TimeoutError) as exc:  # not authorised, a replication it cannot hold, ...
        reason = kafka_reason(exc) if isinstance(exc, KafkaException) else "no answer in time"
        print(f"topics refused: {reason}; others may have been created: once fixed, run it again (it "
              "creates only what is missing)", file=sys.stderr)  # fmt: skip
        return 3
    for name, state in states.items():
        print(f"{name}: {state}")
    return 0


def cmd_run() -> int:
    from consumer import health
    from consumer.member import build_member
    from consumer.settings import ConsumerSettings
    from consumer.topics import BrokerUnreachable, MissingTopics

    try:
        settings = ConsumerSettings()
    except ValidationError as exc:
        return _settings_error(exc)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if settings.metrics_port:
        health.serve(settings.metrics_port, settings.metrics_host)
    for warning in settings.unset_items():
        log.warning("%s (Unmappable); set it before go-live", warning)
    try:
        member = build_member(settings, stop)
    except ValidationError as exc:  # a WooCommerce variable set, but not all of them, or broken
        return _settings_error(exc)
    health.attach(problems=member.problems, halted=member.halts.reasons)
    log.info(
        "consumer starting: group=%s topics=%s concurrency=%d workers=%d",
        settings.consumer_group,
        settings.source_topics,
        settings.netsuite_concurrency,
        settings.consumer_workers,
    )
    try:
        member.run()
    except (BrokerUnreachable, MissingTopics) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    log.info("consumer stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    from consumer.audit import cli as audit_cli
    from consumer.ops import cli
    from consumer.reconcile import cli as reconcile_cli

    parser = argparse.ArgumentParser(
        prog="python -m consumer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser(
        "run",
        help="one consumer-group member (the default)",
        description="One consumer-group member: /metrics, /healthz and /readyz on METRICS_PORT.",
    )
    commands.add_parser(
        "topics",
        help="create the main, retry, dead-letter and state topics (memory, redrives, reconcile) if missing",
        description="Create the topics this project uses, if missing (idempotent): ORDERS_TOPIC_PARTITIONS "
        "partitions each, ORDERS_TOPIC_REPLICATION replicas; warns about existing ones that differ.",
    )
    cli.add_redrive(commands)
    cli.add_replay(commands)
    cli.add_check(commands)
    reconcile_cli.add_parser(commands)
    audit_cli.add_parser(commands)
    args = parser.parse_args(argv)
    configure_logging()
    warn_unknown_variables()
    if args.command == "topics":
        return cmd_topics()
    if args.command == "redrive":
        return cli.run_redrive(args)
    if args.command == "replay":
        return cli.run_replay(args)
    if args.command == "check":
        return cli.run_check(args)
    if args.command == "reconcile":
        return reconcile_cli.run(args)
    if args.command == "audit":
        return audit_cli.run(args)
    return cmd_run()


if __name__ == "__main__":
    sys.exit(main())
