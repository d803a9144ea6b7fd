"""Where partitions begin and end, and which hold nothing yet, asked on a client that is not fetching.

A member restores a partition's order memory before it processes the partition's records, and a
partition whose changelog is empty needs no restore: its records may run at once. Knowing that costs
a ListOffsets request per partition (`get_watermark_offsets`). Asked on the memory reader's own
client they queued behind its long-poll fetches (a broker answers one connection's requests in
order) and six empty partitions stayed paused 0.55-0.7 s after every assignment on the embedded
broker; on a client that fetches nothing the same six answer in 3-24 ms (both measured in one run:
tansu, `fetch.wait.max.ms` 100). Hence `MemoryLog`'s second, idle client.

The same answer gives a catch-up (`consumer.pipeline.restores`) the end it must read to.

Bounded: all queries share one deadline, and the first that fails ends the round (a broker that is
down or slow would make each of the others wait as long). A partition not reported empty is simply
read to its end by the memory reader (its end-of-partition event ends the restore): slower, but right.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Protocol

from confluent_kafka import KafkaException, TopicPartition

log = logging.getLogger(__name__)


class Watermarks(Protocol):
    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = ..., cached: bool = ...
    ) -> tuple[int, int]: ...


def watermarks(
    client: Watermarks,
    topic: str,
    partitions: Collection[int],
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> dict[int, tuple[int, int]]:
    """(low, high) of the partitions of `topic` among `partitions`, as many as `timeout_s` in all
    allows (in partition order; the rest are missing from the answer)."""
    deadline = clock() + timeout_s
    marks: dict[int, tuple[int, int]] = {}
    for p in sorted(partitions):
        left = deadline - clock()
        if left <= 0:
            log.warning(
                "watermarks of %s not all known within %gs: the rest are read to their end", topic, timeout_s
            )
            break
        try:
            marks[p] = client.get_watermark_offsets(TopicPartition(topic, p), timeout=left)
        except KafkaException as exc:
            log.warning(
                "watermarks of %s [%d] unknown (%s): the rest are read to their end", topic, p, exc.args[0]
            )
            break
    return marks


def empty_partitions(
    client: Watermarks,
    topic: str,
    partitions: Collection[int],
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> set[int]:
    """The partitions of `topic` among `partitions` whose low and high watermarks are equal, as far
    as `timeout_s` in all allows."""
    marks = watermarks(client, topic, partitions, timeout_s, clock)
    return {p for p, (low, high) in marks.items() if high <= low}
