"""The operator commands' decisions without a broker: redrive's table, its headers, replay's targets,
and replay's exit code when the broker refuses or goes away part-way (an admin client stood in for)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import headers as h
from consumer.ops.deadletters import DeadLetter, RedriveMark
from consumer.ops.redrive import Selection, plan, redrive_headers
from consumer.ops.replay import Move, parse_target

T0 = int(datetime(2026, 12, 1, 10, tzinfo=UTC).timestamp() * 1000)


def dead(offset: int, order: str = "7", error_class: str = "Unmappable", redrives: int = 0) -> DeadLetter:
    headers = [
        (h.ATTEMPT, b"4"),
        (h.ERROR_CLASS, error_class.encode()),
        (h.ERROR_MESSAGE, b"unknown SKU(s) in NetSuite: X"),
        (h.ORIGINAL_TOPIC, b"orders"),
        (h.ORIGINAL_PARTITION, b"1"),
        (h.ORIGINAL_OFFSET, b"40"),
        (h.WEBHOOK_TOPIC, b"order.created"),
    ]
    if redrives:
        headers.append((h.REDRIVE_COUNT, str(redrives).encode()))
    return DeadLetter(0, offset, order.encode(), b"value", headers, T0 + offset * 60_000)


def test_the_redrive_table_row_by_row() -> None:
    records = [dead(0), dead(1), dead(2, redrives=3), dead(3, error_class="Rejected")]
    log = {(0, 1): RedriveMark(1, T0)}
    result = plan(records, log, Selection(error_classes=frozenset({"Unmappable"})), limit=3, force=False)
    assert [d.dlq_offset for d in result.send] == [0]
    assert [d.dlq_offset for d in result.already] == [1]
    assert [d.dlq_offset for d in result.refused] == [2]
    forced = plan(records, log, Selection(everything=True), limit=3, force=True)
    assert [d.dlq_offset for d in forced.send] == [0, 2, 3]


def test_selection_by_order_and_dead_letter_time() -> None:
    records = [dead(n, order=str(n % 2)) for n in range(6)]  # dead-lettered a minute apart
    since, until = (
        datetime.fromtimestamp((T0 + 60_000) / 1000, UTC),
        datetime.fromtimestamp((T0 + 240_000) / 1000, UTC),
    )
    chosen = Selection(orders=frozenset({"1"}), since=since, until=until)
    assert [d.dlq_offset for d in records if d in chosen] == [1, 3]


def test_a_redriven_record_starts_afresh_and_says_where_it_came_from() -> None:
    out = redrive_headers(dead(5, redrives=1), "orders.dlq")
    names = [k for k, _ in out]
    assert h.ATTEMPT not in names
    assert h.ERROR_CLASS not in names
    assert h.ORIGINAL_OFFSET not in names
    assert dict(out)[h.REDRIVE_COUNT] == b"2"
    assert dict(out)[h.REDRIVEN_FROM] == b"orders.dlq/0@5"
    assert dict(out)[h.WEBHOOK_TOPIC] == b"order.created"  # tracing kept
    assert names.count(h.REDRIVE_COUNT) == 1


def test_list_json_has_the_contracts_keys() -> None:
    row = dead(3, redrives=2).as_json(None)
    assert {
        "order_id", "error_class", "error_message", "attempts", "redrive_count", "original_topic",
        "original_partition", "original_offset", "dlq_partition", "dlq_offset",
    } <= set(row)  # fmt: skip
    assert (row["order_id"], row["attempts"], row["redrive_count"], row["original_offset"]) == ("7", 4, 2, 40)
    assert dead(3).as_json(RedriveMark(1, T0))["redriven"] is True


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("earliest", "earliest"),
        ("latest", "latest"),
        ("42", 42),
        ("2026-12-01T09:30:00Z", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
        ("2026-12-01T09:30:00+00:00", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_replay_targets(text: str, target: object) -> None:
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["-1", "2026-12-01T09:30:00", "2026-12-01T09:30:00+02:00", "soon"])
def test_replay_refuses_targets_it_cannot_read_as_utc(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_target(text)


def test_records_processed_again_count_from_the_committed_offset_or_the_start() -> None:
    assert Move(0, current=90, new=10, low=5, high=100).reprocessed == 80
    assert Move(0, current=None, new=10, low=5, high=100).reprocessed == -5
    assert Move(0, current=10, new=100, low=5, high=100).reprocessed == -90
