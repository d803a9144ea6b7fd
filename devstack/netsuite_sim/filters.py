"""The record collection's `q` filter: `externalId IS "X" AND email IS "a@b.c"` and friends.

A small recursive-descent parser into a predicate. Anything it cannot read is NetSuite's
400 INVALID_PARAMETER with `o:errorQueryParam: "q"` — a client that builds `q` wrongly should fail
loudly here, not match nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from devstack.netsuite_sim.errors import ApiError, invalid_parameter

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?(?![\w.]))'
    r"|(?P<word>[A-Za-z_@][\w.@+-]*)|(?P<punct>[()\[\],]))"
)
_UNARY = {"EMPTY", "EMPTY_NOT"}
_BINARY = {
    "IS", "IS_NOT", "CONTAIN", "DOES_NOT_CONTAIN", "START_WITH", "END_WITH", "EQUAL", "NOT_EQUAL",
    "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL", "ANY_OF", "ON", "AFTER", "BEFORE",
}  # fmt: skip


def _error(reason: str) -> ApiError:
    return invalid_parameter(f"Invalid search query. Provide a valid query in the q parameter: {reason}", "q")


def _tokens(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        match = _TOKEN.match(q, pos)
        if match is None or match.end() == pos:
            raise _error(f"unexpected text at position {pos}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, q: str, known: Callable[[str], bool]) -> None:
        self.tokens = _tokens(q)
        self.pos = 0
        self.known = known

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _error("the query ends too early")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        leftover = self.peek()
        if leftover is not None:
            raise _error(f"unexpected {leftover[1]!r}")
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self._keyword("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.term()]
        while self._keyword("AND"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def _keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].upper() == word:
            self.pos += 1
            return True
        return False

    def term(self) -> Predicate:
        kind, text = self.take()
        if (kind, text) == ("punct", "("):
            inner = self.disjunction()
            if self.take() != ("punct", ")"):
                raise _error("missing ')'")
            return inner
        if kind != "word" or not self.known(text):
            raise _error(f"unknown field {text!r}")
        field = text
        op_kind, op = self.take()
        op = op.upper()
        if op_kind != "word" or op not in _UNARY | _BINARY:
            raise _error(f"unknown operator {op!r}")
        if op in _UNARY:
            return lambda r: _empty(_field(r, field)) == (op == "EMPTY")
        value: Any = self.values() if op == "ANY_OF" else self.value()
        return lambda r: _compare(op, _field(r, field), value)

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return json.loads(text)
        if kind == "num":
            return float(text)
        if kind == "word":
            return {"TRUE": True, "FALSE": False}.get(text.upper(), text)
        raise _error(f"a value was expected, not {text!r}")

    def values(self) -> list[Any]:
        if self.peek() != ("punct", "["):
            return [self.value()]
        self.take()
        out = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            out.append(self.value())
        if self.take() != ("punct", "]"):
            raise _error("missing ']'")
        return out


def parse_q(q: str, known: Callable[[str], bool]) -> Predicate:
    """A predicate over records; `known(field)` says whether the record type has that field."""
    if not q.strip():
        raise _error("the query is empty")
    return _Parser(q, known).parse()


def _field(record: dict[str, Any], name: str) -> Any:
    lowered = name.lower()
    for key, value in record.items():
        if key.lower() == lowered:
            return value.get("id") if isinstance(value, dict) and "id" in value else value
    return None


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "ANY_OF":
        return any(_compare("IS", actual, e) for e in expected)
    if actual is None:
        return op in {"IS_NOT", "DOES_NOT_CONTAIN", "NOT_EQUAL"}
    if isinstance(expected, float) or op in {"GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL"}:
        return _compare_numbers(op, actual, expected)
    a, e = _text(actual), _text(expected)
    results = {
        "IS": a == e, "IS_NOT": a != e, "EQUAL": a == e, "NOT_EQUAL": a != e, "ON": a == e,
        "CONTAIN": e in a, "DOES_NOT_CONTAIN": e not in a, "START_WITH": a.startswith(e),
        "END_WITH": a.endswith(e), "AFTER": a > e, "BEFORE": a < e,
    }  # fmt: skip
    return results[op]


def _compare_numbers(op: str, actual: Any, expected: Any) -> bool:
    try:
        a, e = float(actual), float(expected)
    except (TypeError, ValueError):
        return op in {"IS_NOT", "NOT_EQUAL"}
    results = {
        "IS": a == e, "EQUAL": a == e, "IS_NOT": a != e, "NOT_EQUAL": a != e, "ON": a == e,
        "GREATER": a > e, "GREATER_OR_EQUAL": a >= e, "LESS": a < e, "LESS_OR_EQUAL": a <= e,
    }  # fmt: skip
    return results.get(op, False)


def _text(value: Any) -> str:
    """Text comparison is case-insensitive, as NetSuite's search filters are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).lower()


def matching(records: Iterable[dict[str, Any]], predicate: Predicate | None) -> list[dict[str, Any]]:
    return [r for r in records if predicate is None or predicate(r)]
