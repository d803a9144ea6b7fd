"""The look-up latch: what a waiter does once the look-up it waited for ended (latch.py's table),
and the copy of an error raised in another thread."""

from __future__ import annotations

import threading

import pytest

from consumer.errors import (
    AuthFailure,
    RecordBug,
    Rejected,
    SyncError,
    Throttled,
    Transient,
    Unmappable,
)
from consumer.netsuite.latch import Latch
from consumer.pipeline.lease import GaveUp


def ended(error: BaseException | None) -> Latch:
    latch = Latch()
    latch.end(error)
    return latch


def test_an_answered_look_up_answers_its_waiters() -> None:
    assert ended(None).wait() is True


@pytest.mark.parametrize(
    "error",
    [Transient("suiteql: timed out", status=504), Throttled("429"), AuthFailure("401", status=401)],
)
def test_netsuite_unavailable_or_refusing_us_reaches_every_waiter(error: SyncError) -> None:
    latch = ended(error)
    for _ in range(2):
        with pytest.raises(type(error)) as raised:
            latch.wait()
        assert raised.value is not error
        assert str(raised.value) == str(error)


@pytest.mark.parametrize(
    "error",
    [Rejected("bad query", status=400, detail="about that query"), Unmappable("x"), GaveUp(), KeyError("x")],
)
def test_any_other_end_leaves_the_waiter_to_ask_itself(error: BaseException) -> None:
    assert ended(error).wait() is False


def test_a_waiter_waits_for_the_end() -> None:
    latch, answers = Latch(), []
    waiter = threading.Thread(target=lambda: answers.append(latch.wait()), daemon=True)
    waiter.start()
    latch.end(None)
    waiter.join(5)
    assert answers == [True]


def test_the_copy_keeps_type_attributes_and_cause() -> None:
    cause = TimeoutError("read timed out")
    error = Transient("upsert:customer: timed out", status=None, error_code="X", path="p", detail="d")
    error.__cause__ = cause
    copy = error.for_another_caller()
    assert type(copy) is Transient
    assert copy is not error
    assert (copy.message, copy.error_code, copy.path, copy.detail) == (
        "upsert:customer: timed out",
        "X",
        "p",
        "d",
    )
    assert copy.__cause__ is cause
    assert str(copy) == str(error)


def test_the_copy_of_an_error_with_its_own_constructor() -> None:
    """RecordBug takes the exception it wraps, not a message: a copy must not call its __init__."""
    try:
        raise ValueError("boom")
    except ValueError as exc:
        bug = RecordBug(exc)
    copy = bug.for_another_caller()
    assert type(copy) is RecordBug
    assert str(copy) == str(bug)
    assert copy.error_class == bug.error_class
