"""The group's memory in Kafka: two compacted changelog topics, as Kafka Streams keeps its state stores.

Without it a member's memory died with it (and with every rebalance): after a restart every
returning customer's order cost a customer write again, an `order.created` replayed or delivered
late could overwrite a newer version (nothing remembered it), and what one member wrote of a customer
was invisible to the others. With it:

| topic                      | key                  | partitioned              | read by                  |
|----------------------------|----------------------|--------------------------|--------------------------|
| `<ORDERS_TOPIC>.memory`    | order id             | as the orders (1)        | that partition's owner (2) |
| `<ORDERS_TOPIC>.customers` | customer external id | by key                   | every member, all of it (3) |

(1) the same partition number as the order's records. (2) from the start when the partition number
is assigned, then followed. (3) to its end before the member joins the group, then followed.

A change is produced as soon as it is made, without waiting; every commit of offsets first flushes
these changes (`flush`), and a change the broker did not take is published again — with the entry's
current, full state, so a repeat is harmless — before `flush` may say yes: a record's offset is
committed only after its memory change was acknowledged, and the next owner of a partition — who
restores before processing it — sees everything its predecessor committed. (Waiting for each
acknowledgement on the worker cost 5 % of the throughput at NetSuite's ceiling: `make bench`.)
No record of a partition whose order memory is being restored is processed (`Runner._gate`); the
member joins the group only once the customer table was read to its end
(`CONSUMER_MEMORY_RESTORE_TIMEOUT_S`; past it the member starts anyway: a customer memory does not
know is read from NetSuite where it matters). Values are small JSON; changes merge so the newest
wins whatever order they are read in, a member's own included.

Both topics are `cleanup.policy=compact,delete`: the latest entry per key is kept, for 30 days (orders:
long past the main topic's 7-day replay window) or 365 days (customers).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from common.kafka_settings import unpolled
from consumer.metrics import (
    MEMORY_PUBLISH_FAILURES,
    MEMORY_READ,
    MEMORY_RESTORE_SECONDS,
    MEMORY_UNREADABLE,
)
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.versions import CustomerMemory, OrderMemory, Placed
from consumer.pipeline.watermarks import empty_partitions

log = logging.getLogger(__name__)

# The reader serves a newly assigned partition at its next turn, and that partition's records wait until
# then: a turn of 0.2 s cost every assignment ~0.2 s of idle NetSuite slots (bench.consumer).
TURN_S = 0.05
WATERMARKS_TIMEOUT_S = 2.0  # for all of an assignment's partitions; past it they are read to their end


def encode_order(memory: OrderMemory) -> bytes:
    data: dict[str, object] = {"w": memory.written, "f": memory.fingerprint, "p": memory.parked}
    if memory.booked:  # absent in entries written before payments and refunds were booked
        data["b"] = sorted(memory.booked)
    return json.dumps(data).encode()


def decode_order(value: bytes) -> OrderMemory:
    data = json.loads(value)
    booked = frozenset(str(b) for b in data.get("b") or ())
    return OrderMemory(data.get("w"), data.get("f"), data.get("p"), booked)


def encode_customer(memory: CustomerMemory) -> bytes:
    placed = memory.placed.text() if memory.placed is not None else None
    return json.dumps({"id": memory.internal_id, "v": placed, "f": memory.fingerprint}).encode()


def decode_customer(value: bytes) -> CustomerMemory:
    data = json.loads(value)
    return CustomerMemory(str(data["id"]), Placed.parse(data.get("v")), data.get("f"))


class MemoryLog:
    """Publishes `WriteMemory`'s changes and reads the group's back (see the module docstring)."""

    def __init__(
        self,
        client_config: dict[str, Any],
        orders_topic: str,
        customers_topic: str,
        memory: WriteMemory,
        producer_config: dict[str, Any],
    ) -> None:
        self._orders_topic, self._customers_topic = orders_topic, customers_topic
        self.topics = (orders_topic, customers_topic)
        self._memory = memory
        self._producer = Producer({**producer_config, "client.id": "woo-consumer-memory"})
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
        self._requests: queue.SimpleQueue[tuple[str, dict[int, int]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._restoring: set[int] = set()
        self._epochs: dict[int, int] = {}  # partition -> how many times it was tracked
        self._customers_left: set[int] | None = None  # partitions not yet read to their end
        self._orders_assigned: set[int] = set()  # the reader thread's own view
        self._failed: set[tuple[str, bytes, int | None]] = set()  # changes the broker did not take
        self._customers_done = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-log", daemon=True)
        memory.sink = self

    # -- writing: MemorySink ------------------------------------------------------------------
    def order_changed(self, partition: int, order_id: int, memory: OrderMemory) -> None:
        key = str(order_id).encode()
        self._publish(self._orders_topic, key, encode_order(memory), partition)

    def customer_changed(self, external_id: str, memory: CustomerMemory) -> None:
        self._publish(self._customers_topic, external_id.encode(), encode_customer(memory), None)

    def _publish(self, topic: str, key: bytes, value: bytes, partition: int | None) -> None:
        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                self._lost(topic, key, partition, error.name())

        try:
            if partition is None:
                self._producer.produce(topic, value, key, on_delivery=delivered)
            else:
                self._producer.produce(topic, value, key, partition=partition, on_delivery=delivered)
        except (BufferError, KafkaException) as exc:
            self._lost(topic, key, partition, type(exc).__name__)
        # no poll here: delivery reports are served by `flush`, before every commit

    def flush(self, timeout_s: float) -> bool:
        """True once every change made so far is acknowledged: changes the broker refused are
        published again with their entry's current state. False (commit later) on a timeout or a
        change still refused. Called before every commit of offsets, on the poll thread."""
        if self._producer.flush(timeout_s) != 0:
            return False
        with self._lock:
            failed, self._failed = self._failed, set()
        if not failed:
            return True
        for topic, key, partition in failed:
            self._republish(topic, key, partition)
        acknowledged = self._producer.flush(timeout_s) == 0  # serves `_lost`: not under the lock
        with self._lock:
            return acknowledged and not self._failed

    def _republish(self, topic: str, key: bytes, partition: int | None) -> None:
        if topic == self._orders_topic:
            order = self._memory.order(int(key))
            if order is not None:
                self._publish(topic, key, encode_order(order), partition)
        else:
            customer = self._memory.customer(key.decode())
            if customer is not None:
                self._publish(topic, key, encode_customer(customer), None)

    def _lost(self, topic: str, key: bytes, partition: int | None, reason: str) -> None:
        MEMORY_PUBLISH_FAILURES.inc()
        with self._lock:
            self._failed.add((topic, key, partition))
        log.warning("memory change not published to %s (%s): publishing it again", topic, reason)

    # -- reading ------------------------------------------------------------------------------
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
        """Partition numbers now assigned: restore their order memory (they are `restoring` until read)."""
        new = partitions - self.restoring()
        if new:
            with self._lock:
                self._restoring |= new
                for p in new:
                    self._epochs[p] = self._epochs.get(p, 0) + 1
                epochs = {p: self._epochs[p] for p in new}
            self._requests.put(("track", epochs))

    def untrack(self, partitions: set[int]) -> None:
        with self._lock:
            self._restoring -= partitions
        self._requests.put(("untrack", dict.fromkeys(partitions, 0)))

    def restoring(self) -> set[int]:
        with self._lock:
            return set(self._restoring)

    def close(self) -> None:
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._consumer.close()
        self._marks.close()
        self._producer.flush(10)

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
        while True:
            try:
                op, epochs = self._requests.get_nowait()
            except queue.Empty:
                return
            partitions = set(epochs)
            parts = [TopicPartition(self._orders_topic, p, OFFSET_BEGINNING) for p in sorted(partitions)]
            if op == "track":
                self._consumer.incremental_assign(parts)
                self._orders_assigned |= partitions
                self._restored_if_empty(epochs)
            else:
                self._consumer.incremental_unassign(parts)
                self._orders_assigned -= partitions

    def _restored_if_empty(self, epochs: dict[int, int]) -> None:
        """A partition without entries has nothing to restore: its records may run at once (a fetch
        to its end would cost a broker round trip, ~1-2 s, while the partition's records wait). Only
        if it was not let go and tracked again meanwhile: that answer may predate its new entries."""
        empty = empty_partitions(self._marks, self._orders_topic, epochs, WATERMARKS_TIMEOUT_S)
        with self._lock:
            self._restoring -= {p for p in empty if self._epochs.get(p) == epochs[p]}

    def _apply(self, msg: Message) -> None:
        error, topic, partition = msg.error(), msg.topic(), msg.partition() or 0
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self._reached_end(topic or "", partition)
            else:
                log.warning("memory reader: %s", error.name())
            return
        key, value = msg.key() or b"", msg.value()
        if value is None:
            return  # a tombstone: nothing to learn
        if topic == self._customers_topic:
            self._memory.apply_customer(key.decode(), decode_customer(value))
            MEMORY_READ.labels("customer").inc()
        elif partition in self._orders_assigned:  # not a late fetch of a partition let go
            self._memory.apply_order(partition, int(key), decode_order(value))
            MEMORY_READ.labels("order").inc()

    def _reached_end(self, topic: str, partition: int) -> None:
        if topic == self._customers_topic and self._customers_left is not None:
            self._customers_left.discard(partition)
            if not self._customers_left:
                self._customers_done.set()
        elif topic == self._orders_topic:
            with self._lock:
                self._restoring.discard(partition)
