"""What reached the main topic since the last pass: each record's order id and `date_modified_gmt`.

The webhook path publishes to the main topic; so do `redrive` and `reconcile` itself. Reading the
main topic from where the last pass stopped (`main/<p>` in the table) tells reconcile which versions
are already on their way to NetSuite, whoever sent them — so it publishes only what nobody did, and
counts exactly those as missed by the webhook path. A first run, with no positions yet, starts at the
first record written after the pass's window opened (`offsets_for_times`): a delivery is always
written after the change it carries.
"""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import Message

from common import headers as h
from consumer.reconcile.follow import Follower
from consumer.reconcile.table import PublishedTable
from schemas.serde import OrderSerde, UndecodableMessage

log = logging.getLogger(__name__)


def source_of(headers: list[tuple[str, bytes]]) -> str:
    found = h.header_map(list(headers))
    if found.get(h.SOURCE):
        return found[h.SOURCE]
    return "redrive" if h.REDRIVE_COUNT in found else "webhook"


class MainTail:
    def __init__(
        self, client_config: dict[str, Any], topic: str, serde: OrderSerde, timeout_s: float
    ) -> None:
        self._reader = Follower(client_config, topic, timeout_s)
        self._serde = serde
        self._started = False
        self.undecodable = 0

    def read(self, table: PublishedTable, window_start_ms: int, *, quick: bool = False) -> dict[int, int]:
        """Record in `table` every newer version the main topic holds; returns the positions reached.
        `quick`: up to the ends the last fetch saw (between pages; a delivery a fetch behind is then
        published once more, which costs nothing downstream)."""
        if not self._started:
            known = {p: o for p, o in table.positions.items() if p in self._reader.partitions}
            unknown = [p for p in self._reader.partitions if p not in known]
            if unknown:
                by_time = self._reader.offsets_at(window_start_ms)
                known.update({p: by_time[p] for p in unknown})
            self._reader.start(known)
            self._started = True

        def apply(message: Message) -> None:
            value = message.value()
            if value is None:
                return
            try:
                order = self._serde.decode(value, self._reader.topic).order
            except UndecodableMessage:
                self.undecodable += 1  # the consumer dead-letters it; nothing to learn here
                return
            if order.date_modified_gmt:
                table.record(order.id, order.date_modified_gmt[:19], source_of(h.message_headers(message)))

        return self._reader.catch_up(apply, cached=quick)

    def close(self) -> None:
        self._reader.close()
