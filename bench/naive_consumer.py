"""The naive baseline for `bench.consumer`: the "seed blueprint" way of moving orders to NetSuite.

A plain confluent-kafka group member. The poll loop hands each record to a thread per assigned
partition, which writes one order at a time (so at most one NetSuite request per partition is in
flight), then stores the offset (auto commit sends it). Per order, check-then-create:

    GET customer/eid:…    → 404 → POST customer           (the customer's internal id)
    SuiteQL item lookup   (every order, no cache)
    GET salesOrder/eid:…  → 404 → POST salesOrder

It uses the project's `NetSuiteClient` (same signing, same governor class used as a plain
semaphore of `concurrency`) and the project's pure mapping, so the records written are the same
as the real consumer's: only the *way* of calling NetSuite differs. A retryable error is retried
in place after a short sleep (a few times), nothing more clever.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlparse

from confluent_kafka import Consumer, Message, TopicPartition

from consumer.errors import Rejected, RetryableError
from consumer.netsuite import records
from consumer.netsuite.client import RECORD, NetSuiteClient
from consumer.netsuite.governor import Governor
from consumer.netsuite.settings import MappingPolicy, NetSuiteSettings
from schemas.order import WooOrder
from schemas.serde import SingleObjectSerde

log = logging.getLogger(__name__)
T = TypeVar("T")
QUEUE_HIGH = 200  # records waiting per partition before the poll loop pauses it


@dataclass
class OrderCalls:
    """NetSuite calls one order cost, and whether its customer was new to NetSuite."""

    new_customer: bool
    calls: int


@dataclass
class NaiveStats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    orders: list[OrderCalls] = field(default_factory=list)
    retries: int = 0
    create_conflicts: int = 0

    def add(self, entry: OrderCalls) -> None:
        with self.lock:
            self.orders.append(entry)

    def snapshot(self) -> list[OrderCalls]:
        with self.lock:
            return list(self.orders)


class NaiveConsumer:
    """One group member; `run()` blocks until `stop` is set."""

    def __init__(
        self,
        consumer_config: dict[str, Any],
        topic: str,
        settings: NetSuiteSettings,
        *,
        concurrency: int,
        stop: threading.Event,
    ) -> None:
        self._config = {
            **consumer_config,
            "enable.auto.commit": True,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
        }
        self._topic = topic
        # A Governor never told about 429s or shares is a plain semaphore of `concurrency`.
        self._client = NetSuiteClient(settings, Governor(concurrency))
        self._policy: MappingPolicy = settings.mapping_policy()
        self._serde = SingleObjectSerde()
        self._stop = stop
        self._queues: dict[int, queue.Queue[Message]] = {}
        self._threads: list[threading.Thread] = []
        self._done: queue.Queue[tuple[int, int]] = queue.Queue()  # (partition, next offset) to store
        self.stats = NaiveStats()
        self.assigned = threading.Event()
        self.error: BaseException | None = None

    # -- Kafka side ---------------------------------------------------------------------------
    def run(self) -> None:
        consumer = Consumer(self._config)
        consumer.subscribe([self._topic], on_assign=self._on_assign)
        paused: set[int] = set()
        try:
            while not self._stop.is_set():
                for partition, q in self._queues.items():
                    tp = [TopicPartition(self._topic, partition)]
                    if partition not in paused and q.qsize() >= QUEUE_HIGH:
                        consumer.pause(tp)
                        paused.add(partition)
                    elif partition in paused and q.qsize() < QUEUE_HIGH // 2:
                        consumer.resume(tp)
                        paused.discard(partition)
                self._store_done(consumer)
                msg = consumer.poll(0.1)
                if msg is None or msg.error() is not None:
                    continue
                self._queues[msg.partition() or 0].put(msg)
        finally:
            for thread in self._threads:
                thread.join(30)
            self._store_done(consumer)
            consumer.close()
            self._client.close()

    def _store_done(self, consumer: Consumer) -> None:
        """Store finished offsets (auto commit sends them); only the poll thread touches `consumer`."""
        while True:
            try:
                partition, offset = self._done.get_nowait()
            except queue.Empty:
                return
            consumer.store_offsets(offsets=[TopicPartition(self._topic, partition, offset)])

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            if tp.partition in self._queues:
                continue
            self._queues[tp.partition] = queue.Queue()
            thread = threading.Thread(
                target=self._partition_worker, args=(tp.partition,), name=f"naive-p{tp.partition}"
            )
            thread.start()
            self._threads.append(thread)
        self.assigned.set()

    def _partition_worker(self, partition: int) -> None:
        q = self._queues[partition]
        while not self._stop.is_set():
            try:
                msg = q.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._write(self._serde.decode(msg.value() or b"").order)
            except BaseException as exc:
                log.exception("naive consumer: order failed")
                self.error = exc
                self._stop.set()
                return
            self._done.put((partition, (msg.offset() or 0) + 1))

    # -- NetSuite side: check, then create ----------------------------------------------------
    def _write(self, order: WooOrder) -> None:
        calls = 0

        def call(fn: Callable[[], T]) -> T:
            nonlocal calls
            for attempt in range(1, 6):
                calls += 1
                try:
                    return fn()
                except RetryableError:
                    if attempt == 5:
                        raise
                    with self.stats.lock:
                        self.stats.retries += 1
                    time.sleep(0.5)
            raise AssertionError("unreachable")

        customer = records.map_customer(order, self._policy)
        existing = call(lambda: self._client.get("customer", external_id=customer.external_id))
        new_customer = existing is None
        if existing is None:
            try:
                customer_id = call(lambda: self._create("customer", customer.body))
            except Rejected:
                # Another partition's thread created this customer between our GET and POST
                # ("This entity already exists."): the blueprint's race. Read it again.
                with self.stats.lock:
                    self.stats.create_conflicts += 1
                again = call(lambda: self._client.get("customer", external_id=customer.external_id))
                if again is None:
                    raise
                customer_id, new_customer = str(again["id"]), False
        else:
            customer_id = str(existing["id"])

        skus = records.required_skus(order)
        item_ids = call(lambda: self._lookup_items(skus)) if skus else {}

        so = records.map_sales_order(order, customer_id=customer_id, item_ids=item_ids, policy=self._policy)
        if call(lambda: self._client.get("salesOrder", external_id=so.external_id)) is None:
            call(lambda: self._create("salesOrder", so.body))
        self.stats.add(OrderCalls(new_customer, calls))

    def _create(self, record_type: str, body: dict[str, Any]) -> str:
        """POST a new record; its internal id is the last segment of the Location header."""
        resp = self._client._request(f"create:{record_type}", "POST", f"{RECORD}/{record_type}", json=body)
        return urlparse(resp.headers.get("Location", "")).path.rstrip("/").rsplit("/", 1)[-1]

    def _lookup_items(self, skus: list[str]) -> dict[str, str]:
        quoted = ", ".join("'" + sku.replace("'", "''") + "'" for sku in skus)
        query = f"SELECT id, itemid FROM item WHERE itemid IN ({quoted})"  # noqa: S608
        return {str(row["itemid"]): str(row["id"]) for row in self._client.suiteql(query)}
