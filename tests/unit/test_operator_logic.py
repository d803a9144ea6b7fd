"""The operator commands' decisions without a broker: redrive's table, its headers, replay's targets,
and replay's exit code when the broker refuses or goes away part-way (an admin client stood in for)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import ConsumerGroupState, KafkaError, KafkaException

from common import headers as h
from consumer.ops import cli, replay
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


EMPTY = SimpleNamespace(members=[], state=ConsumerGroupState.EMPTY)
GONE = KafkaException(KafkaError(KafkaError._TIMED_OUT, "Failed while waiting for response from broker"))
# what Kafka (and tansu) answer an offset change while the group has a member (checked on tansu)
MEMBER_JOINED = SimpleNamespace(
    topic_partitions=[
        SimpleNamespace(topic="orders", partition=p, offset=0, error=KafkaError(KafkaError.UNKNOWN_MEMBER_ID))
        for p in (0, 1)
    ]
)


class Answer:
    """A future of the admin client, already settled."""

    def __init__(self, outcome: object) -> None:
        self.outcome = outcome

    def result(self, timeout: float | None = None) -> object:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


class FakeAdmin:
    """The cluster answers `reachable`; each group description and the offset change answer as told."""

    def __init__(self, describes: list[object], alter: object) -> None:
        self.describes, self.alter, self.altered = list(describes), alter, 0

    def list_topics(self, timeout: float) -> Any:
        return SimpleNamespace(brokers={1: object()}, topics={})

    def describe_consumer_groups(self, groups: list[str], request_timeout: float) -> dict[str, Answer]:
        return {groups[0]: Answer(self.describes.pop(0))}

    def alter_consumer_group_offsets(self, requests: list[Any], request_timeout: float) -> dict[str, Answer]:
        self.altered += 1
        return {requests[0].group_id: Answer(self.alter)}


def replay_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_replay(parser.add_subparsers())
    return parser.parse_args(["replay", *argv])


@pytest.mark.parametrize(
    ("describes", "alter", "said"),
    [
        ([GONE], None, ["did not answer", "_TIMED_OUT", "nothing was moved"]),
        ([EMPTY, GONE], None, ["did not answer", "_TIMED_OUT", "nothing was moved"]),
        ([EMPTY, EMPTY], GONE, ["did not confirm", "Failed while waiting for response from broker"]),
        ([EMPTY, EMPTY], MEMBER_JOINED, ["Broker: Unknown member", "a member joined", "nothing was moved"]),
    ],
    ids=["gone-at-the-first-check", "gone-at-the-second-check", "gone-at-the-change", "member-joined"],
)
def test_replay_exits_3_with_the_reason_when_the_broker_refuses_or_goes_away(
    describes: list[object],
    alter: object,
    said: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # never dialled: the admin is a fake
    admin = FakeAdmin(describes, alter)
    monkeypatch.setattr(cli, "AdminClient", lambda config: admin)
    monkeypatch.setattr(replay, "plan", lambda *args: [Move(0, 40, 0, 0, 50), Move(1, None, 0, 0, 7)])
    assert cli.run_replay(replay_args("--to", "earliest")) == cli.REFUSED
    printed = capsys.readouterr()
    assert all(words in printed.err for words in said), printed.err
    assert "moved:" not in printed.out  # no table claiming the offsets moved


class GoneReader:
    """replay's offset reader when the broker stops answering after `reachable` passed."""

    def __init__(self, config: dict[str, Any]) -> None: ...

    def list_topics(self, topic: str, timeout: float) -> Any:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Failed to get metadata"))

    def close(self) -> None: ...


def test_replay_exits_3_when_the_broker_goes_away_while_it_reads_the_offsets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    admin = FakeAdmin([EMPTY], None)
    monkeypatch.setattr(cli, "AdminClient", lambda config: admin)
    monkeypatch.setattr(replay, "Consumer", GoneReader)
    assert cli.run_replay(replay_args("--to", "earliest", "--dry-run")) == cli.REFUSED
    assert "Failed to get metadata" in capsys.readouterr().err
    assert admin.altered == 0


def test_topics_a_creation_the_broker_refuses_is_exit_3_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not authorised to create topics, a replication factor the cluster cannot hold, a policy: the
    contract's "refused (the reason printed)", not a traceback and exit 1."""
    import consumer.__main__ as entry
    import consumer.topics

    def refuse(_settings: object) -> dict[str, str]:
        raise KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "not authorised"))

    monkeypatch.setattr(consumer.topics, "ensure_topics", refuse)
    assert entry.cmd_topics() == 3
    err = capsys.readouterr().err
    assert "topics refused: TOPIC_AUTHORIZATION_FAILED" in err
    assert "Traceback" not in err


class DeadLetterReaderGoneAfterMetadata:
    """redrive's dead-letter reader when the broker answers the metadata, then stops answering."""

    def __init__(self, config: dict[str, Any]) -> None: ...

    def list_topics(self, topic: str, timeout: float) -> Any:
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions={0: None})})

    def get_watermark_offsets(self, tp: Any, timeout: float) -> tuple[int, int]:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Broker transport failure"))

    def close(self) -> None: ...


def test_redrive_exits_3_when_the_broker_goes_away_while_it_reads_the_dead_letters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It answered at the start, so the settings are not at fault: refused, with Kafka's reason."""
    import consumer.ops.deadletters as deadletters

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # never dialled: the reader is a fake
    monkeypatch.setattr(deadletters, "Consumer", DeadLetterReaderGoneAfterMetadata)
    parser = argparse.ArgumentParser()
    cli.add_redrive(parser.add_subparsers())
    assert cli.run_redrive(parser.parse_args(["redrive", "--list"])) == cli.REFUSED
    err = capsys.readouterr().err
    assert "redrive refused:" in err
    assert "_TRANSPORT" in err
    assert "Traceback" not in err
