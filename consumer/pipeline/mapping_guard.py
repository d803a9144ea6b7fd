"""Run a piece of the pure mapping so that any failure of it is the order's, not the member's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from consumer.errors import SyncError, Unmappable

T = TypeVar("T")


def mapped(build: Callable[[], T]) -> T:
    """Any failure of the mapping is the order's problem (`Unmappable`, dead-lettered with the
    exception's type), never a crash of the member."""
    try:
        return build()
    except SyncError:
        raise
    except Exception as exc:
        raise Unmappable(f"the mapping failed on this order: {type(exc).__name__}") from exc
