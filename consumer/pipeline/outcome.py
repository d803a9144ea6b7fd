"""What became of one order record (`woo_consumer_outcomes_total{outcome}`; README, "Order events")."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    WRITTEN = "written"
    SKIPPED_UNPAID = "skipped_unpaid"
    SKIPPED_CLOSED = "skipped_closed"  # cancelled before it was written (nothing to close), trash
    SKIPPED_STALE = "skipped_stale"
    SKIPPED_UNCHANGED = "skipped_unchanged"
    CLOSED = "closed"  # a cancelled order's sales order: every line closed (`consumer.pipeline.cancel`)
    BOOKED = "booked"  # its payment or refunds written, the sales order unchanged (`consumer.pipeline.once`)
