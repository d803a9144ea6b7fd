"""How long the audit asks NetSuite one query again (`consumer.audit.retry`, `netsuite.held_for`)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from consumer.audit.expected import Expected
from consumer.audit.netsuite import Asking, held_for
from consumer.audit.retry import QueryRetry
from consumer.errors import Rejected, SyncError, Throttled, Transient

ORDER = Expected(1, "1", "WOO_ORDER_1", "WOO_CUST_1", 1, Decimal("10.00"), "USD", False)


class Busy:
    """An account that answers the first `failures` queries with `error`, then holds ORDER's sales order."""

    def __init__(self, failures: int, error: SyncError) -> None:
        self.failures, self.error, self.asked = failures, error, 0

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.asked += 1
        if self.asked <= self.failures:
            raise self.error
        if "FROM transactionline" in query:
            yield {"transaction": 7, "lines": 1, "amount": -10, "openlines": 1}
        else:
            yield {"id": 7, "externalid": "WOO_ORDER_1", "otherrefnum": "1", "foreigntotal": 10}


def audit(account: Busy) -> tuple[list[float], Any]:
    waits: list[float] = []
    held = held_for(account, [ORDER], asking=Asking(sleep=waits.append, draw=lambda: 0.999))
    return waits, held


def test_a_throttled_query_is_asked_again_for_minutes_with_pauses_up_to_30_s() -> None:
    """Beside a consumer that keeps the account's slots busy, 429s come in runs: three quick tries
    (~3 s) made the audit exit 3 and lose every page read from WooCommerce (audit, 2026-12-03)."""
    waits, held = audit(Busy(12, Throttled("suiteql: 429")))
    assert [h.internal_id for h in held[1]] == ["7"]
    assert len(waits) == 12
    assert max(waits) <= 30.0
    assert waits[:3] == pytest.approx([1.0, 2.0, 4.0], rel=0.01)
    assert sum(waits) <= 300.0


def test_throttled_past_five_minutes_of_pauses_it_gives_up() -> None:
    with pytest.raises(Throttled):
        audit(Busy(100, Throttled("suiteql: 429")))


def test_another_retryable_failure_is_asked_three_times_and_a_permanent_one_once() -> None:
    waits, _ = audit(Busy(2, Transient("suiteql: 503")))
    assert waits == [1.0, 2.0]
    with pytest.raises(Transient):
        audit(Busy(3, Transient("suiteql: 503")))
    account = Busy(1, Rejected("suiteql: 400"))
    with pytest.raises(Rejected):
        audit(account)
    assert account.asked == 1


def test_the_jitter_keeps_each_pause_between_half_and_all_of_its_step() -> None:
    retry = QueryRetry()
    assert retry.pause(Throttled("x"), 3, 0.0, 0.0) == 4.0
    assert retry.pause(Throttled("x"), 10, 0.0, 0.5) == pytest.approx(22.5)
