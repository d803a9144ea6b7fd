"""`audit --repair`: send the orders the audit found missing or mismatched through the pipeline again.

A replay or a redrive does not repair a sales order someone deleted or edited in NetSuite: the group's
memory knows it wrote that content, and an unchanged order is never rewritten (one of the reasons a
replay costs no NetSuite call). So each order to repair is published to the main topic as reconcile
publishes one — WooCommerce's current version, through the receiver's validation — with `x-repair`,
which makes the consumer read NetSuite first and write unless NetSuite holds a newer version.

| finding                                       | `--repair`                                     |
|-----------------------------------------------|------------------------------------------------|
| missing, mismatched                           | re-published with `x-repair`                   |
| not_closed (a cancelled order still open)     | re-published: the consumer closes its lines    |
| missing because the order cannot be mapped    | not sent (it would be dead-lettered again):    |
| (an unknown SKU or currency too: `unwritable`)| fix the cause, then `redrive`                  |
| duplicated                                    | not sent: a person decides which to delete     |
"""

from __future__ import annotations

import json

from common.publisher import KafkaPublisher
from consumer.audit.compare import DUPLICATED, Finding
from consumer.audit.expected import Expected
from consumer.audit.settings import AuditSettings
from consumer.reconcile.publish import publish_order
from schemas.serde import make_serde

AUDIT = b"audit"


def repairable(findings: list[Finding], wanted: dict[int, Expected]) -> list[Finding]:
    return [f for f in findings if f.problem != DUPLICATED and not wanted[f.order_id].unmappable]


def send(findings: list[Finding], raw: dict[int, bytes], settings: AuditSettings) -> int:
    """Publish each; raises `PublishError` when the broker does not take one."""
    publisher = KafkaPublisher({**settings.producer_config(), "client.id": "woo-audit-repair"})
    serde = make_serde(settings.schema_registry_url, settings.registry_config())
    try:
        for finding in findings:
            publish_order(
                json.loads(raw[finding.order_id]),
                publisher,
                serde,
                topic=settings.orders_topic,
                shop_url=settings.woocommerce_api_url,
                source=AUDIT,
                repair=True,
            )
    finally:
        publisher.close(30)
    return len(findings)
