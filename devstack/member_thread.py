"""A consumer member on a thread of this process, for the tests and the benchmarks.

The tests and the benchmarks run members in-process (threads start in milliseconds; the crash tests
run real processes instead). Here rather than in `tests/`, so the benchmarks need nothing from the
test tree.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from consumer.member import Member, build_member
from consumer.settings import ConsumerSettings


class MemberThread:
    """`member.run()` on a daemon thread; what it raised is kept in `crashed`."""

    def __init__(self, member: Member, name: str = "member") -> None:
        self.member = member
        self.crashed: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> MemberThread:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Ask the member to stop (gracefully) and wait for its thread."""
        self.member.stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            self.member.run()
        except BaseException as exc:
            self.crashed.append(exc)


@contextmanager
def running_member(settings: ConsumerSettings) -> Iterator[Member]:
    """A member on a thread; stopped (gracefully) and joined on exit. Its crash is raised on exit."""
    running = MemberThread(build_member(settings)).start()
    try:
        yield running.member
    finally:
        running.stop()
        assert not running.alive, "member did not stop within 60 s"
    if running.crashed:
        raise running.crashed[0]
