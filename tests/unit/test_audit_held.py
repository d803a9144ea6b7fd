"""Which sales orders the audit attributes to an order (`consumer.audit.netsuite.held_for`)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from consumer.audit.compare import DUPLICATED, compare
from consumer.audit.expected import Expected
from consumer.audit.netsuite import held_for


class Account:
    """SuiteQL answers: the sales orders the query's WHERE would select (by externalId or by PO #
    with the memo stamp), then their lines."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        if "FROM transactionline" in query:
            yield from (
                {"transaction": o["id"], "lines": 1, "amount": -10, "openlines": 1} for o in self.orders
            )
        else:
            yield from ({**o, "foreigntotal": 10, "customer": "WOO_EU_CUST_7"} for o in self.orders)


def eu_order_1234() -> Expected:
    return Expected(1234, "1234", "WOO_EU_ORDER_1234", "WOO_EU_CUST_7", 1, Decimal("10.00"), "USD", False)


@pytest.mark.parametrize("other", ["WOO_US_ORDER_1234", "WOO_ORDER_1234", "WOO_EU_ORDER_77"])
def test_another_store_s_or_order_s_sales_order_with_the_same_number_is_no_duplicate(other: str) -> None:
    """Two shops in one account (NETSUITE_STORE_CODE US and EU) both have an order 1234: EU's audit
    called its own, correct sales order 'duplicated' (audit, 2026-12-03)."""
    account = Account(
        [
            {"id": 20001, "externalid": other, "otherrefnum": "1234"},
            {"id": 20002, "externalid": "WOO_EU_ORDER_1234", "otherrefnum": "1234"},
        ]
    )
    held = held_for(account, [eu_order_1234()])[1234]
    assert [h.internal_id for h in held] == ["20002"]
    assert compare(eu_order_1234(), held) is None


@pytest.mark.parametrize("other", [None, "CELIGO_SO_1234", "WOO_EU_ORDER_1234_COPY"])
def test_a_copy_without_one_of_our_external_ids_is_still_a_duplicate(other: str | None) -> None:
    account = Account(
        [
            {"id": 20001, "externalid": other, "otherrefnum": "1234"},
            {"id": 20002, "externalid": "WOO_EU_ORDER_1234", "otherrefnum": "1234"},
        ]
    )
    finding = compare(eu_order_1234(), held_for(account, [eu_order_1234()])[1234])
    assert finding is not None
    assert finding.problem == DUPLICATED
