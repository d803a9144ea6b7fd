"""How long the audit asks NetSuite a query again (`consumer.audit.retry`)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from consumer.audit.expected import Expected
from consumer.audit.netsuite import held_for
from consumer.audit.retry import PatientSuiteQL, QueryRetry
from consumer.errors import Rejected, SyncError, Throttled, Transient

ORDER = Expected(1, "1", "WOO_ORDER_1", "WOO_CUST_1", 1, Decimal("10.00"), "USD", False)


class Busy:
    """An account that answers the first queries with `errors` (one each), then holds ORDER's sales order."""

    def __init__(self, *errors: SyncError) -> None:
        self.errors, self.asked = list(errors), 0

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.asked += 1
        if self.errors:
            raise self.errors.pop(0)
        if "FROM transactionline" in query:
            yield {"transaction": 7, "lines": 1, "amount": -10, "openlines": 1}
        else:
            yield {"id": 7, "externalid": "WOO_ORDER_1", "otherrefnum": "1", "foreigntotal": 10}


def patient(account: Busy, retry: QueryRetry | None = None) -> tuple[PatientSuiteQL, list[float]]:
    waits: list[float] = []
    return PatientSuiteQL(account, retry, sleep=waits.append, draw=lambda: 0.999), waits


def throttled(n: int) -> list[SyncError]:
    return [Throttled("suiteql: 429") for _ in range(n)]


def test_a_throttled_query_is_asked_again_for_minutes_with_pauses_up_to_30_s() -> None:
    """Beside a consumer that keeps the account's slots busy, 429s come in runs: three quick tries
    (~3 s) made the audit exit 3 and lose every page read from WooCommerce (audit, 2026-12-03)."""
    client, waits = patient(Busy(*throttled(12)))
    assert [h.internal_id for h in held_for(client, [ORDER])[1]] == ["7"]
    assert len(waits) == 12
    assert max(waits) <= 30.0
    assert waits[:3] == pytest.approx([1.0, 2.0, 4.0], rel=0.01)
    assert sum(waits) <= 300.0


def test_throttled_past_five_minutes_of_pauses_it_gives_up() -> None:
    client, _ = patient(Busy(*throttled(100)))
    with pytest.raises(Throttled):
        held_for(client, [ORDER])


def test_another_retryable_failure_is_asked_three_times_and_a_permanent_one_once() -> None:
    client, waits = patient(Busy(Transient("503"), Transient("503")))
    held_for(client, [ORDER])
    assert waits == [1.0, 2.0]
    client, _ = patient(Busy(Transient("503"), Transient("503"), Transient("503")))
    with pytest.raises(Transient):
        held_for(client, [ORDER])
    account = Busy(Rejected("suiteql: 400"))
    client, _ = patient(account)
    with pytest.raises(Rejected):
        held_for(client, [ORDER])
    assert account.asked == 1


def test_a_503_after_a_run_of_429s_still_gets_its_tries() -> None:
    """Throttles and other failures are counted apart (review of a520098: one shared count gave up on
    the first 503 after three 429s)."""
    client, waits = patient(Busy(*throttled(3), Transient("503"), Transient("503")))
    assert held_for(client, [ORDER])[1]
    assert len(waits) == 5


def test_every_query_of_a_run_shares_one_budget_of_pauses() -> None:
    """Two queries per 200 orders, each allowed 300 s, would otherwise sleep for hours on a long window."""
    client, waits = patient(Busy(*throttled(6)), QueryRetry(run_budget_s=40.0))
    with pytest.raises(Throttled):
        held_for(client, [ORDER])
    assert sum(waits) <= 40.0


def test_the_jitter_keeps_each_pause_between_half_and_all_of_its_step() -> None:
    retry = QueryRetry()
    assert retry.pause(Throttled("x"), 3, 0.0, 0.0) == 4.0
    assert retry.pause(Throttled("x"), 10, 0.0, 0.5) == pytest.approx(22.5)
