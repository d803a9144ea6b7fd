"""What the order writer needs from the outside world, as protocols (`NetSuiteClient`, the item and
currency resolvers, and `CallRetry.run` with the record's lease bound; fakes in unit tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from consumer.netsuite.currency import CurrencyRef

T = TypeVar("T")


class RecordStore(Protocol):
    """The part of `NetSuiteClient` the writer needs (a fake in unit tests)."""

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: Sequence[str] = ()
    ) -> str: ...

    def update(self, record_type: str, internal_id: str, body: dict[str, Any]) -> None: ...

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]: ...

    def get(
        self,
        record_type: str,
        *,
        internal_id: str | None = None,
        external_id: str | None = None,
        expand_sub_resources: bool = False,
        fields: Sequence[str] | None = None,
    ) -> dict[str, Any] | None: ...


class CallRunner(Protocol):
    """`CallRetry.run` with this record's lease bound."""

    def __call__(self, call: Callable[[], T], /) -> T: ...


class ItemLookup(Protocol):
    def resolve(self, skus: Iterable[str], *, recheck_missing: bool = False) -> dict[str, str]: ...
    def invalidate(self, sku: str | None = None) -> None: ...


class CurrencyLookup(Protocol):
    def resolve(self, code: str) -> CurrencyRef | None: ...
