"""The account's reference data: currencies and SuiteTax tax codes, with their NetSuite facts.

Sources (Oracle help, docs corpus; see shared/reference/netsuite.md):
- "Currency" (REST record, section_0818023012) and "Currency" (SuiteScript, section_N3201267): a
  currency record has `symbol` (the ISO 4217 code), `currencyprecision` (0 or 2 in NetSuite: JPY has
  none) and `isinactive`; one currency is the base currency (SOAP getAll sample: USD, base).
- "Sales Tax Item" (REST, article_0814121722): with SuiteTax, tax codes are `salesTaxItem` records
  (name, rate, tax type); "REST web services do not support legacy tax features".
- "Tax Type" (article_0814115234): a tax type belongs to a nexus (a country) and tells where tax
  posts. The simulator's nexus rule is the simplest one that disagrees with us like NetSuite's
  engine would: a line is taxed at the default code of the ship-to country's nexus, 0 without one.
- "Payment Method" (REST record `paymentMethod`, article_1207013221): what a deposit's `paymentOption`
  names (whether that id always equals the payment method's is *unconfirmed*). "Account" (SuiteQL
  `account`: `acctnumber`, `fullname`, `accttype` — `Bank`, `OthCurrAsset` for Undeposited Funds,
  `AcctRec` — and `isinactive`; NetSuite's chart-of-accounts types): a refund is paid from a bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Currency:
    id: str
    symbol: str  # ISO 4217 code, what SuiteQL's currency.symbol holds
    name: str
    precision: int  # currencyprecision: decimals NetSuite keeps for amounts in this currency
    inactive: bool = False


@dataclass(frozen=True)
class TaxCode:
    id: str
    name: str  # itemid of the salesTaxItem
    rate: float  # percent
    country: str  # the nexus it belongs to ('' = none: exempt/zero codes usable anywhere)
    inactive: bool = False


DEFAULT_CURRENCIES: tuple[Currency, ...] = (
    Currency("1", "USD", "US Dollar", 2),
    Currency("2", "EUR", "Euro", 2),
    Currency("3", "GBP", "British pound", 2),
    Currency("4", "JPY", "Japanese yen", 0),
    Currency("5", "CAD", "Canadian dollar", 2),
    Currency("6", "CHF", "Swiss franc", 2, inactive=True),
)
BASE_CURRENCY_ID = "1"

DEFAULT_TAX_CODES: tuple[TaxCode, ...] = (
    TaxCode("11", "DE-VAT-19", 19.0, "DE"),
    TaxCode("12", "DE-VAT-7", 7.0, "DE"),
    TaxCode("13", "US-NY-8.875", 8.875, "US"),
    TaxCode("14", "GB-VAT-20", 20.0, "GB"),
    TaxCode("15", "JP-CT-10", 10.0, "JP"),
    TaxCode("16", "EXEMPT", 0.0, ""),
    TaxCode("17", "DE-VAT-16-OLD", 16.0, "DE", inactive=True),
)


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    name: str
    inactive: bool = False


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    type: str  # accttype as SuiteQL shows it: Bank, OthCurrAsset, AcctRec, ...
    inactive: bool = False


DEFAULT_PAYMENT_METHODS: tuple[PaymentMethod, ...] = (
    PaymentMethod("1", "Cash"),
    PaymentMethod("2", "Check"),
    PaymentMethod("7", "Credit Card (Stripe)"),
    PaymentMethod("8", "PayPal"),
    PaymentMethod("9", "Old gateway", inactive=True),
)
DEFAULT_ACCOUNTS: tuple[Account, ...] = (
    Account("1", "Checking", "Bank"),
    Account("2", "Undeposited Funds", "OthCurrAsset"),
    Account("3", "Accounts Receivable", "AcctRec"),
    Account("4", "Old savings", "Bank", inactive=True),
)


def round_amount(value: float | Decimal, precision: int) -> float:
    """An amount as NetSuite keeps it: half-up to the currency's precision (via the float's text)."""
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return float(exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP))


def find_currency(currencies: tuple[Currency, ...], currency_id: str) -> Currency | None:
    return next((c for c in currencies if c.id == currency_id), None)


def find_tax_code(codes: tuple[TaxCode, ...], code_id: str) -> TaxCode | None:
    return next((c for c in codes if c.id == code_id), None)


def nexus_code(codes: tuple[TaxCode, ...], country: str) -> TaxCode | None:
    """The code NetSuite's engine would pick for a line shipped to `country`: its nexus's first."""
    return next((c for c in codes if c.country == country and c.country and not c.inactive), None)
