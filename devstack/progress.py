"""`make run`'s progress line: what the receiver, reconcile and the consumer report on /metrics."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def scrape(url: str) -> list[Sample]:
    """Every sample a /metrics endpoint serves now (none while it is not up yet)."""
    try:
        text = requests.get(url, timeout=1).text
    except requests.RequestException:
        return []
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def total(samples: list[Sample], name: str, **labels: str) -> float:
    """Sum of `name` over every label set that matches `labels`."""
    return sum(
        s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


REFUND_RECORDS = ("creditMemo", "cashRefund", "customerRefund")


@dataclass(frozen=True)
class Ports:
    receiver: int
    consumer: int  # its METRICS_PORT
    reconcile: int  # its METRICS_PORT


@dataclass(frozen=True)
class Progress:
    published: float  # webhooks the receiver accepted
    recovered: float  # orders reconcile published because no webhook had
    written: float
    retrying: float
    dead_lettered: float
    refunds: float = 0  # refund records booked (credit memos, cash or customer refunds)
    cancelled: float = 0  # cancellations applied: a sales order closed, or one never written

    @classmethod
    def read(cls, ports: Ports) -> Progress:
        receiver = scrape(f"http://127.0.0.1:{ports.receiver}/metrics")
        consumer = scrape(f"http://127.0.0.1:{ports.consumer}/metrics")
        reconcile = scrape(f"http://127.0.0.1:{ports.reconcile}/metrics")
        retried = total(consumer, "woo_consumer_retried_total")
        settled = total(consumer, "woo_consumer_retry_settled_total")
        return cls(
            published=total(receiver, "woo_receiver_requests_total", outcome="accepted"),
            recovered=total(reconcile, "woo_reconcile_missed_orders_total"),
            written=total(consumer, "woo_consumer_outcomes_total", outcome="written"),
            # handed to a retry topic and not settled yet: waiting for its due time, or being retried
            retrying=max(0.0, retried - settled),
            dead_lettered=total(consumer, "woo_consumer_dead_lettered_total"),
            refunds=sum(total(consumer, "woo_netsuite_money_booked_total", record=r) for r in REFUND_RECORDS),
            cancelled=total(consumer, "woo_consumer_outcomes_total", outcome="closed")
            + total(consumer, "woo_consumer_outcomes_total", outcome="skipped_closed"),
        )


def show(orders: int, failed: int, p: Progress) -> None:
    line = (
        f"orders {orders:>6} | webhooks {p.published:>6.0f} | recovered by reconcile {p.recovered:>4.0f} | "
        f"written to NetSuite {p.written:>6.0f} | retrying {p.retrying:>4.0f} | "
        f"dead-lettered {p.dead_lettered:>4.0f}" + (f" | not created {failed}" if failed else "")
    )
    print("\r" + line, end="", flush=True)
