"""librdkafka's own log lines, through our JSON logs and rate-limited.

Left alone, librdkafka writes raw `%3|1796…|FAIL|rdkafka#producer-1| …` lines to stderr — about 45 a
second per client while a broker is unreachable — which drown everything else and break JSON log
shipping. Every client we create gets `logger: KAFKA_LOG` (`KafkaSettings.client_config`), so those
lines become JSON log records of the `kafka` logger, and `RateLimit` lets one line of a kind through
per minute, saying how many similar ones it held back. The clients' error callbacks log there too.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

_NUMBERS = re.compile(r"\d+")


class RateLimit(logging.Filter):
    """At most one record per kind (level + message with its numbers blanked) per `every_s`."""

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._every_s, self._clock = every_s, clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[int, str], tuple[float, int]] = {}  # kind → (last let through, held back)

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.levelno, _NUMBERS.sub("#", record.getMessage())[:120])
        now = self._clock()
        with self._lock:
            last, held = self._seen.get(kind, (None, 0))
            if last is not None and now - last < self._every_s:
                self._seen[kind] = (last, held + 1)
                return False
            self._seen[kind] = (now, 0)
            if len(self._seen) > 1000:  # bounded: forget the oldest kinds
                for old in sorted(self._seen, key=lambda k: self._seen[k][0])[:500]:
                    del self._seen[old]
        if held:
            record.msg, record.args = f"{record.getMessage()} ({held} similar lines held back)", None
        return True


KAFKA_LOG = logging.getLogger("kafka")
KAFKA_LOG.addFilter(RateLimit())
