"""A consumer member on a thread of this process, for the tests and the benchmarks.

The tests and `bench.memory` both run members in-process (threads start in milliseconds; the crash
tests run real processes instead). Here rather than in `tests/`, so the benchmarks need nothing from
the test tree.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from consumer.member import Member, build_member
from consumer.settings import ConsumerSettings


@contextmanager
def running_member(settings: ConsumerSettings) -> Iterator[Member]:
    """A member on a thread; stopped (gracefully) and joined on exit. Its crash is raised on exit."""
    member = build_member(settings)
    errors: list[BaseException] = []

    def target() -> None:
        try:
            member.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="member", daemon=True)
    thread.start()
    try:
        yield member
    finally:
        member.stop.set()
        thread.join(60)
        assert not thread.is_alive(), "member did not stop within 60 s"
    if errors:
        raise errors[0]
