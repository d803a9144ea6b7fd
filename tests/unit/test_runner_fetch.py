"""The poll loop hands records on as soon as the client has one (consumer/runner.py `_fetched`)."""

from __future__ import annotations

from consumer.runner import Runner


class BatchingConsumer:
    """`consume()` as librdkafka serves it: it returns once it holds `num_messages` records, or when
    `timeout` has passed with fewer (the time it would have blocked is added up, not slept)."""

    def __init__(self, ready: list[str]) -> None:
        self.ready, self.blocked_s = ready, 0.0

    def consume(self, num_messages: int, timeout: float) -> list[str]:
        if len(self.ready) < num_messages:
            self.blocked_s += timeout
        out, self.ready = self.ready[:num_messages], self.ready[num_messages:]
        return out


def runner_with(consumer: BatchingConsumer) -> Runner:
    runner = Runner.__new__(Runner)  # only the Kafka client matters here
    runner._consumer = consumer  # type: ignore[assignment]
    return runner


def test_a_lone_record_is_handed_on_without_waiting_for_the_poll_timeout() -> None:
    consumer = BatchingConsumer(["r1"])
    assert runner_with(consumer)._fetched() == ["r1"]  # type: ignore[comparison-overlap]
    assert consumer.blocked_s == 0.0  # consume(500, 0.1) blocked 0.1 s here


def test_a_backlog_comes_in_batches_of_500_and_an_idle_turn_waits_once() -> None:
    consumer = BatchingConsumer([f"r{i}" for i in range(600)])
    runner = runner_with(consumer)
    assert len(runner._fetched()) == 500
    assert len(runner._fetched()) == 100
    assert consumer.blocked_s == 0.0
    assert runner._fetched() == []
    assert consumer.blocked_s == 0.1  # nothing fetched: the turn waits (the loop's only pause)
