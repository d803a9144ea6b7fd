"""`python -m consumer redrive`: list the dead letters, and send the chosen ones back to the main topic.

A redriven record is the dead letter's key and value, unchanged, published to the main topic with
the retry metadata dropped (attempts start afresh) and two headers: `x-redrive-count` (this is its
n-th redrive) and `x-redriven-from` (`<dlq>/<partition>@<offset>`). The consumer writes it like any
order — idempotently, and never over a newer version — and looks its SKUs up afresh (no cached
"unknown" answer survives into a redrive). If it fails again it is dead-lettered again, keeping
`x-redrive-count`, at a new position.

What was sent is remembered per dead-letter position in `<ORDERS_TOPIC>.redrives` (compacted), so:

| the dead letter                                        | `redrive` does                              |
|--------------------------------------------------------|---------------------------------------------|
| already redriven (its position is in the log)          | nothing ("already redriven")                |
| redriven `REDRIVE_LIMIT` times before (`x-redrive-count`) | nothing without `--force` ("refused", exit 3) |
| otherwise, and selected                                | re-publishes it, then records its position  |

The log is written after the main topic acknowledged the record: a crash in between re-sends it
once more on the next run, which the consumer's idempotent writes make harmless.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from common import headers as h
from common.publisher import Publisher
from consumer.ops.deadletters import DeadLetter, Position, RedriveMark, position_key

# retry metadata: a redriven record starts afresh on the main topic
_DROPPED = {
    h.ATTEMPT, h.ERROR_CLASS, h.ERROR_MESSAGE, h.DUE_AT_MS, h.ORIGINAL_TOPIC, h.ORIGINAL_PARTITION,
    h.ORIGINAL_OFFSET, h.REDRIVE_COUNT, h.REDRIVEN_FROM,
}  # fmt: skip


@dataclass(frozen=True)
class Selection:
    """Which dead letters the operator asked for (`--all`, `--order`, `--error-class`, `--since/--until`)."""

    everything: bool = False
    orders: frozenset[str] = frozenset()
    error_classes: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None

    def __contains__(self, dead: DeadLetter) -> bool:
        chosen = self.everything or dead.order_id in self.orders or dead.error_class in self.error_classes
        if self.since is not None and dead.dead_lettered_at < self.since:
            return False
        return chosen and (self.until is None or dead.dead_lettered_at < self.until)


@dataclass
class Plan:
    send: list[DeadLetter]
    already: list[DeadLetter]
    refused: list[DeadLetter]


def plan(
    dead_letters: list[DeadLetter],
    log: dict[Position, RedriveMark],
    selection: Selection,
    *,
    limit: int,
    force: bool,
) -> Plan:
    """The table in the module docstring, for every selected dead letter."""
    result = Plan([], [], [])
    for dead in dead_letters:
        if dead not in selection:
            continue
        if dead.position in log:
            result.already.append(dead)
        elif dead.redrive_count >= limit and not force:
            result.refused.append(dead)
        else:
            result.send.append(dead)
    return result


def redrive_headers(dead: DeadLetter, dead_letter_topic: str) -> list[tuple[str, bytes]]:
    kept = [(k, v) for k, v in dead.headers if k not in _DROPPED]
    origin = f"{dead_letter_topic}/{dead.dlq_partition}@{dead.dlq_offset}"
    return [
        *kept,
        (h.REDRIVE_COUNT, str(dead.redrive_count + 1).encode()),
        (h.REDRIVEN_FROM, origin.encode()),
    ]


def send(
    chosen: list[DeadLetter],
    publisher: Publisher,
    *,
    main_topic: str,
    dead_letter_topic: str,
    redrives_topic: str,
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    timeout_s: float = 30.0,
) -> int:
    """Re-publish each, then record its position; raises `PublishError` when the broker refuses."""
    for dead in chosen:
        publisher.publish(
            main_topic, dead.key, dead.value, redrive_headers(dead, dead_letter_topic), timeout_s
        )
        mark = RedriveMark(dead.redrive_count + 1, now_ms())
        publisher.publish(redrives_topic, position_key(dead.position), mark.encode(), [], timeout_s)
    return len(chosen)


def table(dead_letters: list[DeadLetter], log: dict[Position, RedriveMark]) -> str:
    """The readable `--list`: one line per dead letter, the reason cut to fit."""
    rows = [("POSITION", "ORDER", "ERROR CLASS", "ATTEMPTS", "REDRIVES", "DEAD-LETTERED (UTC)", "REASON")]
    for dead in dead_letters:
        row = dead.as_json(log.get(dead.position))
        redrives = f"{row['redrive_count']}{' (sent)' if row['redriven'] else ''}"
        rows.append(
            (
                f"{dead.dlq_partition}@{dead.dlq_offset}",
                row["order_id"],
                row["error_class"],
                str(row["attempts"]),
                redrives,
                dead.dead_lettered_at.strftime("%Y-%m-%d %H:%M:%S"),
                _cut(row["error_message"], 70),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in rows
    )


def json_lines(dead_letters: list[DeadLetter], log: dict[Position, RedriveMark]) -> str:
    return "\n".join(json.dumps(d.as_json(log.get(d.position)), ensure_ascii=False) for d in dead_letters)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
