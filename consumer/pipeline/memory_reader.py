"""The reading half of the group's memory in Kafka (`consumer.pipeline.changelog`): one thread that reads
the customer table to its end before the member joins, then follows it, and reads each assigned
partition's order memory far enough before that partition's records run — restored from the start,
or caught up when the number was followed already (`consumer.pipeline.restores`; `restoring`; the
poll loop holds their records back: `Pauses.gate`).

Watermarks are asked on a second, never-polled client (`consumer.pipeline.watermarks`): a partition
without entries ends its restore at once, and a catch-up learns the end it must reach.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from common.kafka_settings import unpolled
from consumer.metrics import MEMORY_READ, MEMORY_RESTORE_SECONDS, MEMORY_UNREADABLE
from consumer.pipeline.codec import decode_customer, decode_order
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.restores import Epochs, Restores
from consumer.pipeline.watermarks import watermarks

log = logging.getLogger(__name__)

# The reader serves a newly assigned partition at its next turn, and that partition's records wait until
# then: a turn of 0.2 s cost every assignment ~0.2 s of idle NetSuite slots (bench.consumer).
TURN_S = 0.05
WATERMARKS_TIMEOUT_S = 2.0  # for all of an assignment's partitions; past it they are read to their end
TRIES = 5  # a request that fails (no watermarks in time, a client error) is served again, this often


class MemoryReader:
    """Reads the group's memory changes into `WriteMemory` (see the module docstring)."""

    def __init__(
        self, client_config: dict[str, Any], orders_topic: str, customers_topic: str, memory: WriteMemory
    ) -> None:
        self._orders_topic, self._customers_topic = orders_topic, customers_topic
        self._memory = memory
        self._consumer = Consumer(
            {
                **client_config,
                "group.id": f"{orders_topic}-reader",  # never joins: partitions are assigned
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 100,  # a restore ends at the first empty fetch: keep it short
            }
        )
        # watermarks are asked here, not on the reader: behind its fetches they took ~0.1 s each; the
        # reader's group id, which neither client joins (no ACL for another group)
        marks = unpolled(client_config, "watermarks")
        self._marks = Consumer({**marks, "group.id": f"{orders_topic}-reader", "enable.auto.commit": False})
        self._requests: queue.SimpleQueue[tuple[str, Epochs, int]] = queue.SimpleQueue()  # op, epochs, try
        self._restores = Restores()
        self._customers_left: set[int] | None = None  # partitions not yet read to their end
        self._orders_assigned: Epochs = {}  # the reader thread's own view: number -> epoch served
        self._customers_done = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-log", daemon=True)

    def start(self, timeout_s: float) -> bool:
        """Read every customer change to the end (True) or give up after `timeout_s` (False); the
        reader then keeps following both topics."""
        started = time.monotonic()
        partitions = self._consumer.list_topics(self._customers_topic, timeout=30).topics
        count = (
            len(partitions[self._customers_topic].partitions) if self._customers_topic in partitions else 0
        )
        self._customers_left = set(range(count))
        if not count:
            self._customers_done.set()
        self._consumer.assign(
            [TopicPartition(self._customers_topic, p, OFFSET_BEGINNING) for p in range(count)]
        )
        self._thread.start()
        done = self._customers_done.wait(timeout_s)
        MEMORY_RESTORE_SECONDS.set(time.monotonic() - started)
        if done:
            log.info("customer memory restored in %.1fs", time.monotonic() - started)
        else:
            log.warning(
                "customer memory not restored within %.0fs: reading NetSuite where it must", timeout_s
            )
        return done

    def track(self, partitions: set[int]) -> None:
        """Partition numbers just assigned, on any topic: `restoring` until their order memory is
        restored, or caught up if they were followed already (`consumer.pipeline.restores`)."""
        new, again = self._restores.track(partitions)
        if new:
            self._requests.put(("track", new, 1))
        if again:
            self._requests.put(("catch_up", again, 1))

    def untrack(self, partitions: set[int]) -> None:
        self._restores.untrack(partitions)
        self._requests.put(("untrack", dict.fromkeys(partitions, 0), 1))

    def restoring(self) -> set[int]:
        return self._restores.restoring()

    def close(self) -> None:
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._consumer.close()
        self._marks.close()

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                self._serve_requests()
                self._apply_all(self._consumer.consume(num_messages=1000, timeout=TURN_S))
            except Exception:  # the reader must outlive a broker hiccup
                log.exception("memory reader failed a round")
                time.sleep(1)

    def _apply_all(self, messages: list[Message]) -> None:
        for msg in messages:
            try:
                self._apply(msg)
            except Exception as exc:  # one bad entry must not cost the rest of the batch
                MEMORY_UNREADABLE.inc()
                log.warning("memory entry skipped (%s)", type(exc).__name__)

    def _serve_requests(self) -> None:
        """Every request queued so far; one that failed is queued again for the next turn (up to
        TRIES times, then given up: the partition's records run on what was read, with a warning)."""
        again: list[tuple[str, Epochs, int]] = []
        while True:
            try:
                op, epochs, tried = self._requests.get_nowait()
            except queue.Empty:
                break
            try:
                failed = self._serve(op, epochs)
            except Exception as exc:
                log.warning("memory reader: %s of partitions %s failed (%s)", op, sorted(epochs), exc)
                failed = epochs
            if failed and tried < TRIES:
                again.append((op, failed, tried + 1))
            elif failed:
                self._give_up(op, failed)
        for request in again:
            self._requests.put(request)

    def _serve(self, op: str, epochs: Epochs) -> Epochs:
        """Serve one request; return what is left to do (a catch-up's ends not known yet)."""
        if op == "catch_up":
            return self._catch_up(epochs)
        parts = [TopicPartition(self._orders_topic, p, OFFSET_BEGINNING) for p in sorted(epochs)]
        if op == "track":
            self._consumer.incremental_assign(parts)
            self._orders_assigned.update(epochs)
            self._restored_if_empty(epochs)
        else:
            self._consumer.incremental_unassign(parts)
            for p in epochs:
                self._orders_assigned.pop(p, None)
        return {}

    def _give_up(self, op: str, epochs: Epochs) -> None:
        log.warning("memory reader: %s of partitions %s given up; their records run", op, sorted(epochs))
        for p, epoch in epochs.items():
            if op == "catch_up":
                self._restores.catch_up_to(p, epoch, None)
            elif op == "track":
                self._restores.restore_ended(p, epoch)

    def _restored_if_empty(self, epochs: Epochs) -> None:
        """A partition without entries has nothing to restore: its records may run at once (a fetch
        to its end would cost a broker round trip, ~1-2 s, while the partition's records wait). Only
        if it was not let go and tracked again meanwhile: that answer may predate its new entries."""
        marks = watermarks(self._marks, self._orders_topic, epochs, WATERMARKS_TIMEOUT_S)
        for p, (low, high) in marks.items():
            if high <= low:
                self._restores.restore_ended(p, epochs[p])

    def _catch_up(self, epochs: Epochs) -> Epochs:
        """The end each number's changelog has now: what the reader must have read before its records
        run (a previous owner's last changes included). Returns the numbers whose end is not known."""
        marks = watermarks(self._marks, self._orders_topic, epochs, WATERMARKS_TIMEOUT_S)
        for p, (low, high) in marks.items():  # an empty changelog (high == low) has nothing to read
            self._restores.catch_up_to(p, epochs[p], high if high > low else 0)
        return {p: epoch for p, epoch in epochs.items() if p not in marks}

    def _apply(self, msg: Message) -> None:
        error, topic, partition, offset = msg.error(), msg.topic(), msg.partition() or 0, msg.offset() or 0
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self._reached_end(topic or "", partition, offset)
            else:
                log.warning("memory reader: %s", error.name())
            return
        key, value = msg.key() or b"", msg.value()
        if topic == self._customers_topic:
            if value is not None:  # a tombstone: nothing to learn
                self._memory.apply_customer(key.decode(), decode_customer(value))
                MEMORY_READ.labels("customer").inc()
        elif (epoch := self._orders_assigned.get(partition)) is not None:  # not a partition let go
            try:
                if value is not None:
                    self._memory.apply_order(partition, int(key), decode_order(value))
                    MEMORY_READ.labels("order").inc()
            finally:  # read, even if unreadable: a catch-up waits for an offset, not for an entry
                self._restores.read(partition, epoch, offset + 1)

    def _reached_end(self, topic: str, partition: int, end: int) -> None:
        if topic == self._customers_topic and self._customers_left is not None:
            self._customers_left.discard(partition)
            if not self._customers_left:
                self._customers_done.set()
        elif topic == self._orders_topic and (epoch := self._orders_assigned.get(partition)) is not None:
            self._restores.restore_ended(partition, epoch)
            self._restores.read(partition, epoch, end)
