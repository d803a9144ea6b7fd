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

An epoch per number (one more at every restore) keeps an answer about a number that was let go and
assigned again meanwhile from ending its new restore or catch-up. Thread-safe: the poll thread asks
and tracks, the memory reader's thread reports progress.
"""

from __future__ import annotations

import threading

Epochs = dict[int, int]


class Restores:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._followed: set[int] = set()  # tracked and not untracked since
        self._unread: set[int] = set()  # restores not ended
        self._ends: dict[int, int | None] = {}  # catch-ups: the end to reach (None: being asked)
        self._read_to: dict[int, int] = {}  # the next offset after the last entry read, per number
        self._epochs: Epochs = {}

    def restoring(self) -> set[int]:
        """Numbers whose records must wait."""
        with self._lock:
            return self._unread | set(self._ends)

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
                self._ends[p] = None
            return {p: self._epochs[p] for p in new}, {p: self._epochs[p] for p in again}

    def untrack(self, partitions: set[int]) -> None:
        with self._lock:
            self._followed -= partitions
            self._unread -= partitions
            for p in partitions:
                self._ends.pop(p, None)
                self._read_to.pop(p, None)

    def restore_ended(self, partition: int, epoch: int | None = None) -> None:
        """A restore found the changelog empty (`epoch`: of the request the answer is for) or read it
        to its end (None: librdkafka drops an end-of-partition event from before an assignment)."""
        with self._lock:
            if epoch is None or self._epochs.get(partition) == epoch:
                self._unread.discard(partition)

    def catch_up_to(self, partition: int, epoch: int, end: int | None) -> None:
        """The end a catch-up must reach, as asked for the request of `epoch`; None: unknown (the
        broker did not answer in time), then the catch-up ends here, as before catch-ups existed."""
        with self._lock:
            if self._epochs.get(partition) != epoch or partition not in self._ends:
                return  # let go (and maybe assigned again) meanwhile
            if end is None or self._read_to.get(partition, 0) >= end:
                del self._ends[partition]
            else:
                self._ends[partition] = max(end, self._ends[partition] or 0)

    def read(self, partition: int, next_offset: int) -> None:
        """The reader got this far in the number's changelog: an entry applied (its offset + 1) or
        the partition's end reached (the end-of-partition event's offset)."""
        with self._lock:
            if partition not in self._followed:
                return
            self._read_to[partition] = max(next_offset, self._read_to.get(partition, 0))
            end = self._ends.get(partition)
            if end is not None and self._read_to[partition] >= end:
                del self._ends[partition]
