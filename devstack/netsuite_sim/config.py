"""What a simulator instance is: credentials, account limits, seed items and the faults in force.

Frozen dataclasses so a test can build one, hand it over and know nothing mutates it behind its back;
the faults that change at runtime are replaced whole (`NetSuiteSimulator.set_faults`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from devstack.netsuite_sim.account import (
    BASE_CURRENCY_ID,
    DEFAULT_ACCOUNTS,
    DEFAULT_CURRENCIES,
    DEFAULT_PAYMENT_METHODS,
    DEFAULT_TAX_CODES,
    Account,
    Currency,
    PaymentMethod,
    TaxCode,
)

DEFAULT_ITEMS_FILE = Path(__file__).with_name("items.json")

# Demo credentials: used when neither the caller nor the environment gives any.
DEMO_ACCOUNT_ID = "1234567_SB1"
DEMO_CONSUMER_KEY = "demo-consumer-key"
DEMO_CONSUMER_SECRET = "demo-consumer-secret"
DEMO_TOKEN_ID = "demo-token-id"
DEMO_TOKEN_SECRET = "demo-token-secret"


@dataclass(frozen=True)
class Faults:
    """Misbehaviour to inject. Random draws come from the simulator's seeded RNG (deterministic).

    Latency is spent while holding a concurrency slot, as real server work would be.
    `hang_s` must exceed the client's read timeout to look like a timeout: the request is held that
    long (slot included), then the connection is dropped without an answer.
    """

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0  # plus uniform [0, jitter)
    latency_sigma: float = 0.0  # > 0: latency_ms scaled by a lognormal(0, sigma) draw
    error_rate: float = 0.0  # 503 UNEXPECTED_ERROR before any work
    throttle_rate: float = 0.0  # 429 besides the real concurrency limit (other integrations)
    throttle_next_n: int = 0  # the next n API requests get 429
    timeout_rate: float = 0.0  # hold hang_s, then drop the connection, before any work
    hang_s: float = 65.0
    outage: bool = False  # every API request 503 until faults change
    outage_s: float | None = None  # ... or for this many seconds from when the faults were set
    fail_after_commit_rate: float = 0.0  # write committed, then 503 (or a timeout, see mode)
    fail_after_commit_next_n: int = 0
    fail_after_commit_mode: Literal["error", "timeout"] = "error"
    # Requests whose path contains one of these answer 503 UNEXPECTED_ERROR while the rest of the
    # account answers: one record that keeps failing on NetSuite's side (a crashing user-event script
    # on that record, a corrupt record) — unlike an outage, probes and other records still work.
    failing_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("error_rate", "throttle_rate", "timeout_rate", "fail_after_commit_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        for name in ("latency_ms", "latency_jitter_ms", "latency_sigma", "hang_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.throttle_next_n < 0 or self.fail_after_commit_next_n < 0:
            raise ValueError("*_next_n must not be negative")
        if self.fail_after_commit_mode not in ("error", "timeout"):
            raise ValueError("fail_after_commit_mode must be 'error' or 'timeout'")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        """Build from JSON (the admin endpoint); unknown keys are an error, not silently ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        values = dict(data)
        if "failing_paths" in values:  # JSON has lists, the frozen dataclass wants a tuple
            values["failing_paths"] = tuple(values["failing_paths"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ItemsSeed = Sequence[Mapping[str, Any]] | str | Path | None
DEFAULT_CUSTOM_FIELDS: dict[str, tuple[str, ...]] = {
    "salesOrder": ("custbody_woo_modified_gmt", "custbody_woo_tax_variance"),
    "customer": ("custentity_woo_order_created_gmt",),
}


@dataclass(frozen=True)
class SimulatorConfig:
    """One simulated NetSuite account. Every field has a demo default so `SimulatorConfig()` works."""

    account_id: str = DEMO_ACCOUNT_ID
    consumer_key: str = DEMO_CONSUMER_KEY
    consumer_secret: str = field(default=DEMO_CONSUMER_SECRET, repr=False)
    token_id: str = DEMO_TOKEN_ID
    token_secret: str = field(default=DEMO_TOKEN_SECRET, repr=False)
    concurrency_limit: int = 5
    faults: Faults = Faults()
    items: ItemsSeed = None  # None: the shipped items.json
    seed: int = 0
    timestamp_window_s: float = 300.0
    require_prefer_transient: bool = True
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    # the account's custom fields per record type (devstack/netsuite_sim/metadata.py): ours by default
    custom_fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_CUSTOM_FIELDS))
    denied_record_types: frozenset[str] = frozenset()  # the role lacks permission for these: 403
    suiteql_allowed: bool = True
    currencies: tuple[Currency, ...] = DEFAULT_CURRENCIES
    base_currency_id: str = BASE_CURRENCY_ID
    tax_codes: tuple[TaxCode, ...] = DEFAULT_TAX_CODES
    payment_methods: tuple[PaymentMethod, ...] = DEFAULT_PAYMENT_METHODS
    accounts: tuple[Account, ...] = DEFAULT_ACCOUNTS
    # Sales-order body fields an account's form makes mandatory (e.g. location, department, class).
    mandatory_fields: tuple[str, ...] = ()
    # Time between loading a record and saving it, during which another save makes this one fail
    # with RCRD_HAS_BEEN_CHANGED (or a concurrent create with DUP_ENTITY). 0 still leaves the
    # real gap between the two steps; tests widen it to make races certain.
    save_window_s: float = 0.0

    def __post_init__(self) -> None:
        if self.concurrency_limit < 1:
            raise ValueError("concurrency_limit must be at least 1")
        if self.save_window_s < 0:
            raise ValueError("save_window_s must not be negative")
        if not any(c.id == self.base_currency_id for c in self.currencies):
            raise ValueError("base_currency_id must name one of the currencies")


def load_items(seed: ItemsSeed) -> list[dict[str, Any]]:
    """The seed items as a list of dicts: from the list given, a JSON file, or the shipped default."""
    if seed is None:
        seed = DEFAULT_ITEMS_FILE
    if isinstance(seed, str | Path):
        data = json.loads(Path(seed).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("items", [])
        if not isinstance(data, list):
            raise ValueError(f"{seed}: expected a JSON list of items")
        return [dict(item) for item in data]
    return [dict(item) for item in seed]
