"""`MappedRecord`: one NetSuite record the mapping produced, ready to upsert by external id."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class MappedRecord:
    """One NetSuite record to upsert by external id.

    `fingerprint` hashes the body (canonical JSON) except `version_key`: the version field holds
    `date_modified_gmt`, which WooCommerce bumps on every save — a status change or an order note
    included — although nothing NetSuite shows has changed. With it left out, such re-deliveries
    fingerprint the same and the consumer can skip the write. The consumer must still compare
    versions first and remember the newest one it has seen, or a delayed older retry with
    different content could pass the version check against the stale stored version.
    `rounding` is the amount of the rounding line (0: none), for the writer's metric.

    The fingerprint is computed once per record (~80 µs of canonical JSON for a sales order; the
    writer asks for it up to three times): a record is never changed once mapped — its body is
    built by the mapping and only read after.
    """

    record_type: str
    external_id: str
    body: dict[str, Any]
    warnings: tuple[str, ...] = ()
    version_key: str | None = None
    rounding: Decimal = Decimal(0)

    @cached_property
    def fingerprint(self) -> str:
        content = {k: v for k, v in self.body.items() if k != self.version_key}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()
