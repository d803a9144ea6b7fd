"""The operator commands when the broker fails part-way: the contract's exit 3, "refused (the reason
printed)", with Kafka's reason and what moved — never 1 with a traceback (1 is `audit`'s finding)."""

from __future__ import annotations

import argparse
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import ConsumerGroupState, KafkaError, KafkaException

from consumer.ops import cli, replay
from consumer.ops.replay import Move

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


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (
            KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "no")),
            "TOPIC_AUTHORIZATION_FAILED",
        ),
        (TimeoutError(), "no answer"),  # a creation the broker never confirmed
    ],
    ids=["refused", "unanswered"],
)
def test_topics_a_creation_the_broker_refuses_is_exit_3_with_its_reason(
    failure: Exception, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not authorised to create topics, a replication factor the cluster cannot hold, a policy, no
    answer: the contract's "refused (the reason printed)", not a traceback and exit 1."""
    import consumer.__main__ as entry
    import consumer.topics

    def refuse(_settings: object) -> dict[str, str]:
        raise failure

    monkeypatch.setattr(consumer.topics, "ensure_topics", refuse)
    assert entry.cmd_topics() == 3
    err = capsys.readouterr().err
    assert f"topics refused: {said}" in err
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
