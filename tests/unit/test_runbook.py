"""deploy/README.md's runbook: the four procedures and the fallback appendix exist, and every operator
command in it is a command line the contract allows (/work/shared/contract.md, "Operator commands").

`CONTRACT` below is the contract's grammar as argparse parsers: a misspelt option (`--error_class`), a
missing required one (`replay` without `--to`), a bad time or `--to` target, or `--list` mixed with a
selection fails here — not at 3 a.m. in the cluster.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "deploy" / "README.md"
PROCEDURES = (
    "An order is missing",
    "The dead-letter topic is growing",
    "Replay after a bad deploy",
    "Rotate the NetSuite token",
)
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|\+00:00)")
PLACEHOLDER = re.compile(r"<[^<>]+>|\$\{?\w+\}?")  # <T>, $T: filled in by the operator


class Refused(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise Refused(message)


def time_value(text: str) -> str:
    if not (UTC_TIME.fullmatch(text) or PLACEHOLDER.fullmatch(text)):
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 UTC time")
    return text


def to_target(text: str) -> str:
    if text in {"earliest", "latest"} or text.isdigit():
        return text
    return time_value(text)


def contract() -> dict[str, Parser]:
    redrive = Parser(prog="redrive")
    select = redrive.add_mutually_exclusive_group(required=True)
    select.add_argument("--list", action="store_true")
    select.add_argument("--all", action="store_true")
    select.add_argument("--order", nargs="+")
    select.add_argument("--error-class", nargs="+")
    redrive.add_argument("--json", action="store_true")
    for option in ("--since", "--until"):
        redrive.add_argument(option, type=time_value)
    redrive.add_argument("--dry-run", action="store_true")
    redrive.add_argument("--force", action="store_true")

    replay = Parser(prog="replay")
    replay.add_argument("--to", required=True, type=to_target)
    replay.add_argument("--topic")
    replay.add_argument("--partition", nargs="+", type=int)
    replay.add_argument("--dry-run", action="store_true")

    audit = Parser(prog="audit")
    audit.add_argument("--since", required=True, type=time_value)
    audit.add_argument("--until", type=time_value)
    audit.add_argument("--json", action="store_true")
    audit.add_argument("--repair", action="store_true")  # ours, beyond the contract's grammar

    reconcile = Parser(prog="reconcile")
    reconcile.add_argument("--once", action="store_true")
    reconcile.add_argument("--since", type=time_value)

    return {"redrive": redrive, "replay": replay, "audit": audit, "reconcile": reconcile, "check": Parser()}


def check(args: list[str]) -> None:
    """Raise Refused unless `args` (after `python -m consumer`) is a contract command line."""
    command, *rest = args
    parsers = contract()
    if command not in parsers:
        raise Refused(f"{command}: not an operator command")
    parsed = parsers[command].parse_args(rest)
    if command == "redrive" and parsed.json and not parsed.list:
        raise Refused("--json goes with --list")
    if command == "redrive" and parsed.list and (parsed.dry_run or parsed.force or parsed.since):
        raise Refused("--list takes only --json")


def code_lines(text: str) -> list[str]:
    """Lines of fenced code blocks, continuation lines joined."""
    out, inside, pending = [], False, ""
    for line in text.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
            continue
        if inside:
            pending += line.strip()
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
            else:
                out.append(pending)
                pending = ""
    return out


COMMAND = re.compile(r"(?:python -m consumer|consumer-command\.sh \$\{?NS\}?)\s+(.*)")


def runbook_commands(text: str) -> list[list[str]]:
    commands = []
    for line in code_lines(text):
        for match in COMMAND.finditer(line.split(" #", 1)[0]):
            lexer = shlex.shlex(match.group(1), posix=True, punctuation_chars=True)
            lexer.wordchars += "$<>{}:.-/"
            tokens = []
            for token in lexer:
                if token in {"|", "||", "&&", ";", "&", ")"}:
                    break
                tokens.append(token)
            commands.append(tokens)
    return commands


def test_the_runbook_has_the_four_procedures_and_the_fallback_appendix() -> None:
    headings = [line.lstrip("#").strip() for line in README.read_text().splitlines() if line.startswith("#")]
    for procedure in PROCEDURES:
        assert procedure in headings, procedure
    assert "Appendix: moving offsets with kafka-consumer-groups" in headings
    assert headings.index("Runbook") < min(headings.index(p) for p in PROCEDURES)


def test_every_operator_command_in_the_runbook_is_a_contract_command_line() -> None:
    commands = runbook_commands(README.read_text())
    assert len(commands) >= 15, commands
    used = {c[0] for c in commands}
    assert used >= {"redrive", "replay"}
    refused = []
    for args in commands:
        try:
            check(args)
        except Refused as exc:
            refused.append(f"{shlex.join(args)}: {exc}")
    assert not refused, refused


@pytest.mark.parametrize(
    "line",
    [
        "redrive --error_class Unmappable",
        "redrive --list --dry-run",
        "redrive --order 4711 --json",
        "redrive --since 2025-06-01T09:30:00Z",
        "redrive --all --since yesterday",
        "replay --dry-run",
        "replay --to 2025-06-01 09:30",
        "replay --to latest --partition one",
        "audit",
        "rewind --to latest",
    ],
)
def test_the_grammar_refuses_what_the_contract_does_not_allow(line: str) -> None:
    with pytest.raises(Refused):
        check(shlex.split(line))


def test_commands_are_found_in_code_blocks_with_pipes_and_continuations() -> None:
    text = (
        "```sh\n"
        "kubectl -n $NS exec deploy/x -- \\\n"
        "  python -m consumer redrive --list --json | jq -r .error_class  # count\n"
        "deploy/k8s/consumer-command.sh $NS replay --to <T> --dry-run\n"
        "```\n"
        "python -m consumer audit  (prose, not code)\n"
    )
    assert runbook_commands(text) == [
        ["redrive", "--list", "--json"],
        ["replay", "--to", "<T>", "--dry-run"],
    ]
