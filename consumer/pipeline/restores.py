"""Which partitions' order memory is not yet read far enough for their records to run.

A partition number's order memory must hold everything its previous owner committed before its
records are processed (`consumer.pipeline.changelog`: the owner's changes are acknowledged before
its offsets are committed). Two ways to get there, one per case of an assignment:

| the number, when assigned | what is read                             | done when                       |
|---------------------------|------------------------------------------|---------------------------------|
| not followed yet          | its changelog from the start (*restore*) | empty at the start, or end read |
| followed already (1)      | on from where the reader is (*catch-up*) | the end it has now read (2)     |

(1) held through another topic, or restoring. (2) asked when assigned; a previous owner's last
changes are behind it (acknowledged before that owner committed).

A number held through a retry topic is followed already when its main partition arrives; its memory
may then lag the previous owner's last changes by a reader turn. Without the catch-up its records ran
at once, and a late copy of an old version could be written over the newer one that owner wrote
(versions table, row 4), or a changed order skipped as unchanged.

An epoch per number (one more at every restore) keeps what belongs to an earlier assignment of a
number — a watermark answer, or an entry or end-of-partition event the reader was still applying from
a batch fetched before the number was let go and assigned again — from counting for the new one: the
reader passes the epoch of the request it served with everything it reports. A catch-up's end is
the latest one asked; one that cannot be asked (no answer in time, a few tries) ends the catch-up
as before catch-ups existed, keeping an end known from an earlier ask. Thread-safe: the poll thread
tracks and asks, the memory reader's thread reports.
"""

from __future__ import annotations

import threading

Epochs = dict[int, int]


class Restores:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._followed: set[int] = set()  # tracked and not untracked since
        self._epochs: Epochs = {}  # number -> its latest restore's epoch (never forgotten: they only grow)
        self._unread: set[int] = set()  # restores not ended
        self._asking: dict[int, int] = {}  # catch-ups: requests for the end not answered yet
        self._ends: dict[int, int] = {}  # catch-ups: the end to reach
        self._read_to: dict[int, int] = {}  # the next offset after the last entry read, per number

    def restoring(self) -> set[int]:
        """Numbers whose records must wait."""
        with self._lock:
            return self._unread | set(self._asking) | set(self._ends)

    def track(self, partitions: set[int]) -> tuple[Epochs, Epochs]:
        """Numbers just assigned: (to restore, to catch up), each with its epoch (the table above)."""
        with self._lock:
            new, again = partitions - self._followed, partitions & self._followed
            self._followed |= new
            self._unread |= new
            for p in new:
                self._epochs[p] = self._epochs.get(p, 0) + 1
                self._read_to.pop(p, None)
            for p in again:
                self._asking[p] = self._asking.get(p, 0) + 1
            return {p: self._epochs[p] for p in new}, {p: self._epochs[p] for p in again}

    def untrack(self, partitions: set[int]) -> None:
        with self._lock:
            self._followed -= partitions
            self._unread -= partitions
            for p in partitions:
                self._asking.pop(p, None)
                self._ends.pop(p, None)
                self._read_to.pop(p, None)

    def restore_ended(self, partition: int, epoch: int) -> None:
        """The restore of `epoch` found the changelog empty, or read it to its end."""
        with self._lock:
            if self._current(partition, epoch):
                self._unread.discard(partition)

    def catch_up_to(self, partition: int, epoch: int, end: int | None) -> None:
        """The answer to one ask of `epoch`: the end the catch-up must reach, or None when it could
        not be asked (then an end known from an earlier ask still holds)."""
        with self._lock:
            if not self._current(partition, epoch) or partition not in self._asking:
                return
            self._asking[partition] -= 1
            if not self._asking[partition]:
                del self._asking[partition]
            if end is not None:
                self._ends[partition] = end  # the latest: a lower one means the log was truncated
            self._reached(partition)

    def read(self, partition: int, epoch: int, next_offset: int) -> None:
        """The reader got this far in the number's changelog (for the request of `epoch`): an entry
        applied (its offset + 1), or the partition's end reached (the end-of-partition event's offset)."""
        with self._lock:
            if not self._current(partition, epoch):
                return
            self._read_to[partition] = max(next_offset, self._read_to.get(partition, 0))
            self._reached(partition)

    def _current(self, partition: int, epoch: int) -> bool:
        return self._epochs.get(partition) == epoch  # what `untrack` cleared stays cleared: see `track`

    def _reached(self, partition: int) -> None:
        end = self._ends.get(partition)
        if end is not None and self._read_to.get(partition, 0) >= end:
            del self._ends[partition]
