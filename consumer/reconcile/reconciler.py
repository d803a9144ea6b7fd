"""One reconciliation pass: every order WooCommerce changed in the window, published unless some path
already published that version.

```
window   start = watermark - RECONCILE_OVERLAP_S   (or --since; or, the very first time, cutoff - overlap)
         cutoff = now - RECONCILE_LAG_S            (newer changes are left to their webhook: next pass)
1. catch up on the table (what every pod knows)     table.py
2. read the main topic since the last pass          tail.py     → versions delivered by webhooks
3. check the order webhooks                         webhooks.py → woo_reconcile_webhook_active
4. walk the orders modified in the window           woocommerce/paging.py (keyset: none missed)
   per page: read the main topic again (cheap), then per order:
     its version already published       → skip (spares NetSuite the work)
     the receiver would refuse it        → count invalid, log, skip
     else                                → publish as a webhook would (publish.py), record, count missed
5. save the main-topic positions, then the watermark = cutoff
```
The watermark moves only when the pass completed, and only forward: a `--since` later than the
watermark leaves it where it is (the gap before `--since` was not looked at). The overlap covers
clock skew between WooCommerce and us, transactions committed after their modification time, and a
pass that failed half way. Publishing twice is harmless (idempotent writes; the consumer skips an
unchanged order without a NetSuite call); missing one is not — every choice above errs that way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from common.publisher import Publisher
from consumer.reconcile import metrics
from consumer.reconcile.publish import publish_order
from consumer.reconcile.table import PublishedTable
from consumer.reconcile.tail import MainTail
from consumer.reconcile.webhooks import TopicHealth, check
from consumer.woocommerce.client import WooClient, WooError
from consumer.woocommerce.paging import modified_orders
from receiver.intake import InvalidOrder
from schemas.serde import OrderSerde

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timing:
    overlap: timedelta
    lag: timedelta


@dataclass
class PassResult:
    start: datetime
    cutoff: datetime
    listed: int = 0
    published: int = 0
    already: int = 0
    invalid: int = 0
    watermark: datetime | None = None
    webhooks: list[TopicHealth] = field(default_factory=list)
    seconds: float = 0.0


class Reconciler:
    def __init__(
        self,
        *,
        woo: WooClient,
        publisher: Publisher,
        serde: OrderSerde,
        table: PublishedTable,
        tail: MainTail,
        orders_topic: str,
        shop_url: str,
        public_url: str | None,
        timing: Timing,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._woo, self._publisher, self._serde = woo, publisher, serde
        self._table, self._tail = table, tail
        self._topic, self._shop_url, self._public_url = orders_topic, shop_url, public_url
        self._timing, self._clock = timing, clock

    @property
    def watermark(self) -> datetime | None:
        return self._table.watermark

    def run_pass(self, since: datetime | None = None) -> PassResult:
        began = time.monotonic()
        cutoff = self._clock() - self._timing.lag
        self._table.catch_up()
        watermark = self._table.watermark
        if since is not None:
            start = since
        elif watermark is not None:
            start = watermark - self._timing.overlap
        else:
            start = cutoff - self._timing.overlap
            log.warning("no watermark yet: this first pass starts at %s; use --since for a backfill", start)
        result = PassResult(start, cutoff)
        tail_from_ms = int((start - self._timing.overlap).timestamp() * 1000)
        self._tail.read(self._table, tail_from_ms)
        result.webhooks = self._check_webhooks()
        for page in modified_orders(self._woo, start, cutoff):
            self._tail.read(self._table, tail_from_ms, quick=True)  # deliveries that came while we paged
            for rest_order in page:
                self._one(rest_order, result)
        self._table.save_positions(self._tail.read(self._table, tail_from_ms))
        if watermark is None or start <= watermark:
            self._table.save_watermark(cutoff)
        else:
            log.warning("--since %s is after the watermark %s: the watermark stays", start, watermark)
        result.watermark = self._table.watermark
        result.seconds = time.monotonic() - began
        metrics.PASS_SECONDS.set(result.seconds)
        return result

    def _one(self, rest_order: dict[str, object], result: PassResult) -> None:
        metrics.LISTED.inc()
        result.listed += 1
        order_id, modified = rest_order.get("id"), rest_order.get("date_modified_gmt")
        if not isinstance(order_id, int) or not isinstance(modified, str) or not modified:
            self._invalid(result, order_id, "no integer id or no date_modified_gmt")
            return
        version = modified[:19]
        known = self._table.version(order_id)
        if known is not None and known >= version:
            result.already += 1
            return
        try:
            publish_order(
                rest_order, self._publisher, self._serde, topic=self._topic, shop_url=self._shop_url
            )
        except InvalidOrder as exc:
            self._invalid(result, order_id, exc.log_reason)
            return
        self._table.record(order_id, version, "reconcile")
        metrics.MISSED.inc()
        result.published += 1
        log.info("order %s version %s published by reconcile: the webhook path had not", order_id, version)

    def _invalid(self, result: PassResult, order_id: object, reason: str) -> None:
        metrics.INVALID.inc()
        result.invalid += 1
        log.warning("order %s cannot be published (the receiver would refuse it too): %s", order_id, reason)

    def _check_webhooks(self) -> list[TopicHealth]:
        try:
            hooks = self._woo.all_pages("/webhooks", {})
        except WooError as exc:
            log.warning("webhooks not checked: %s", exc)
            hooks = None
        health = check(hooks, self._public_url)
        for topic in health:
            metrics.WEBHOOK_ACTIVE.labels(topic.topic).set(1 if topic.active else 0)
            for problem in topic.problems:
                log.warning("webhook problem: %s", problem)
        return health
