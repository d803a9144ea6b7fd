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
is assigned, then followed; a number followed already (held through a retry topic) is caught up to
the end its changelog has when its main partition arrives (`consumer.pipeline.restores`). (3) to its
end before the member joins the group, then followed.

A change is produced as soon as it is made, without waiting; every commit of offsets first flushes
these changes (`flush`), and a change the broker did not take is published again — with the entry's
current, full state, so a repeat is harmless — before `flush` may say yes: a record's offset is
committed only after its memory change was acknowledged, and the next owner of a partition — who
restores before processing it — sees everything its predecessor committed. (Waiting for each
acknowledgement on the worker cost 5 % of the throughput at NetSuite's ceiling: `make bench`.)
No record of a partition whose order memory is being restored is processed (`Pauses.gate`); the
member joins the group only once the customer table was read to its end
(`CONSUMER_MEMORY_RESTORE_TIMEOUT_S`; past it the member starts anyway: a customer memory does not
know is read from NetSuite where it matters). Values are small JSON; changes merge so the newest
wins whatever order they are read in, a member's own included.

Both topics are `cleanup.policy=compact,delete`: the latest entry per key is kept, for 30 days (orders:
long past the main topic's 7-day replay window) or 365 days (customers).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from consumer.metrics import MEMORY_PUBLISH_FAILURES
from consumer.pipeline.codec import encode_customer, encode_order
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.memory_reader import MemoryReader
from consumer.pipeline.versions import CustomerMemory, OrderMemory

log = logging.getLogger(__name__)


class MemoryLog:
    """Publishes `WriteMemory`'s changes; its `reader` reads the group's back (see the module docstring)."""

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
        self.reader = MemoryReader(client_config, orders_topic, customers_topic, memory)
        self._lock = threading.Lock()
        self._failed: set[tuple[str, bytes, int | None]] = set()  # changes the broker did not take
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

    # -- reading: `MemoryReader` ------------------------------------------------------------
    def start(self, timeout_s: float) -> bool:
        return self.reader.start(timeout_s)

    def track(self, partitions: set[int]) -> None:
        self.reader.track(partitions)

    def untrack(self, partitions: set[int]) -> None:
        self.reader.untrack(partitions)

    def restoring(self) -> set[int]:
        return self.reader.restoring()

    def close(self) -> None:
        self.reader.close()
        self._producer.flush(10)
