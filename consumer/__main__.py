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

from common.kafka_settings import KafkaSettings
from common.logs import configure_logging

log = logging.getLogger("consumer")
RESERVED = ("check",)


def _settings_error(exc: ValidationError) -> int:
    for err in exc.errors():
        name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
        print(f"configuration error: {name}: {err['msg']}", file=sys.stderr)
    return 2


def cmd_topics() -> int:
    from consumer.topics import ensure_topics

    try:
        settings = KafkaSettings()
    except ValidationError as exc:
        return _settings_error(exc)
    for name, state in ensure_topics(settings).items():
        print(f"{name}: {state}")
    return 0


def cmd_run() -> int:
    from consumer import health
    from consumer.member import build_member
    from consumer.settings import ConsumerSettings
    from consumer.topics import MissingTopics

    try:
        settings = ConsumerSettings()
    except ValidationError as exc:
        return _settings_error(exc)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if settings.metrics_port:
        health.serve(settings.metrics_port)
    member = build_member(settings, stop)
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
    except MissingTopics as exc:
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
    commands.add_parser("run", help="one consumer-group member (the default)")
    commands.add_parser("topics", help="create every topic (main, retry, dead-letter, state) if missing")
    cli.add_redrive(commands)
    cli.add_replay(commands)
    reconcile_cli.add_parser(commands)
    audit_cli.add_parser(commands)
    for name in RESERVED:
        commands.add_parser(name, help="reserved for later work (exits 64)")
    args = parser.parse_args(argv)
    configure_logging()
    if args.command == "topics":
        return cmd_topics()
    if args.command == "redrive":
        return cli.run_redrive(args)
    if args.command == "replay":
        return cli.run_replay(args)
    if args.command == "reconcile":
        return reconcile_cli.run(args)
    if args.command == "audit":
        return audit_cli.run(args)
    if args.command in RESERVED:
        print(f"'{args.command}' is reserved for later work and not implemented yet", file=sys.stderr)
        return 64
    return cmd_run()


if __name__ == "__main__":
    sys.exit(main())
