"""A Kafka producer whose `publish` returns only when the broker acknowledged the record, or raises.

One idempotent (acks=all) producer per process, shared by its threads: the receiver's request
threads answer 2xx only after it returned, and the consumer's workers commit an offset only after
a retry/dead-letter hand-off returned. A background thread polls the producer, which runs the
delivery callbacks; each caller waits on its own one-shot lock, bounded by a timeout. A fatal
producer error (an idempotence state the broker no longer knows, e.g. after a broker was replaced)
swaps in a new producer, so the process recovers by itself.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Producer

from common.kafka_logs import KAFKA_LOG

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, str | bytes | None]]


class PublishError(Exception):
    """The broker did not take the message; `reason` is short and holds no personal data.

    `permanent` errors do not heal by waiting: the record is larger than the topic allows, the topic
    does not exist, or we may not write to it. A caller must not spin on them: the consumer halts
    with the reason (an operator fixes the topic) instead of retrying silently.
    """

    def __init__(self, reason: str, *, too_large: bool = False, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large
        self.permanent = permanent or too_large


@dataclass(frozen=True)
class Delivery:
    partition: int
    offset: int


class Publisher(Protocol):
    def publish(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        timeout_s: float,
        *,
        partition: int | None = None,
    ) -> Delivery: ...
    def ready(self, timeout_s: float) -> bool: ...
    def close(self, timeout_s: float) -> int: ...


_TOO_LARGE = {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE}
_PERMANENT = {
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError.TOPIC_EXCEPTION,  # invalid topic name
    KafkaError.TOPIC_AUTHORIZATION_FAILED,
    KafkaError.CLUSTER_AUTHORIZATION_FAILED,
}


def _error(prefix: str, err: KafkaError | None) -> PublishError:
    code = err.code() if err is not None else None
    return PublishError(
        f"{prefix}: {err.name() if err is not None else 'error'}",
        too_large=code in _TOO_LARGE,
        permanent=code in _PERMANENT,
    )


def _name(err: object) -> str:
    return err.name() if isinstance(err, KafkaError) else type(err).__name__


def _release(producer: Producer) -> None:
    """Fail what is still queued (its callers get an error now, not a timeout), then free the
    librdkafka handle: its threads and broker connections end here, not at garbage collection."""
    producer.purge()
    producer.flush(0)  # serves the purge's delivery callbacks
    producer.close()


class _Pending:
    """One message's delivery report; `wait` returns once the poller's callback ran (or times out).

    A lock taken at creation and released by the callback: cheaper than a `threading.Event`
    (a Condition with a lock per waiter), which matters at one per request.
    """

    __slots__ = ("_done", "error", "offset", "partition")

    def __init__(self) -> None:
        self._done = threading.Lock()
        self._done.acquire()
        self.error: KafkaError | None = None
        self.partition = -1
        self.offset = -1

    def __call__(self, err: KafkaError | None, msg: Any) -> None:
        self.error = err
        if err is None:
            self.partition, self.offset = msg.partition(), msg.offset()
        self._done.release()

    def wait(self, timeout_s: float) -> bool:
        return self._done.acquire(timeout=timeout_s)


class KafkaPublisher:
    """`Publisher` over confluent-kafka's `Producer`; create it in the process that uses it."""

    def __init__(self, config: dict[str, Any], *, poll_interval_s: float = 0.05) -> None:
        self._config = {**config, "error_cb": self._on_error}
        self._producer = Producer(self._config)
        self._fatal = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._poll_interval_s = poll_interval_s
        self._poller = threading.Thread(target=self._poll_loop, name="kafka-poller", daemon=True)
        self._poller.start()
        atexit.register(self.close, 5.0)

    def _on_error(self, err: KafkaError) -> None:
        if err.fatal():
            self._fatal.set()
        elif err.code() == KafkaError._ALL_BROKERS_DOWN:
            KAFKA_LOG.warning("no broker reachable", extra={"kafka_error": err.name()})  # rate-limited
        else:  # librdkafka logs the details itself (receiver.kafka) and retries
            log.debug("producer error", extra={"kafka_error": err.name()})

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._producer.poll(self._poll_interval_s)
            except KafkaException as exc:  # a fatal error surfaces here too
                err = exc.args[0] if exc.args else None
                if isinstance(err, KafkaError) and err.fatal():
                    self._fatal.set()
                else:
                    log.warning("producer poll failed", extra={"kafka_error": _name(err)})
            except Exception:  # the poller must outlive any callback bug: it serves every request
                log.exception("producer poll failed")
            if self._fatal.is_set() and not self._stop.is_set():
                log.error("fatal producer error, replacing the producer")
                self._replace()

    def _replace(self) -> None:
        with self._lock:
            old, self._producer = self._producer, Producer(self._config)
            self._fatal.clear()
        _release(old)

    def publish(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        timeout_s: float,
        *,
        partition: int | None = None,
    ) -> Delivery:
        """`partition` None: by the key (murmur2); `value` None: a tombstone (compacted topics)."""
        if self._closed:  # close() purges and then releases the handle: nothing new may enter
            raise PublishError("producer closed")
        pending = _Pending()
        try:
            if partition is None:
                self._producer.produce(
                    topic, value=value, key=key, headers=list(headers), on_delivery=pending
                )
            else:
                self._producer.produce(
                    topic,
                    value=value,
                    key=key,
                    headers=list(headers),
                    on_delivery=pending,
                    partition=partition,
                )
        except BufferError:
            raise PublishError("producer queue full") from None
        except RuntimeError:  # closed: the process is stopping, or the producer was just replaced
            raise PublishError("producer closed") from None
        except KafkaException as exc:
            err = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
            raise _error("produce refused", err) from None
        if not pending.wait(timeout_s):
            raise PublishError(f"no acknowledgement within {timeout_s:g}s")
        if pending.error is not None:
            raise _error("delivery failed", pending.error)
        return Delivery(pending.partition, pending.offset)

    def ready(self, timeout_s: float) -> bool:
        """True when a broker answers a metadata request within the timeout."""
        try:
            metadata = self._producer.list_topics(timeout=timeout_s)
        except (KafkaException, RuntimeError):  # RuntimeError: closed
            return False
        return bool(metadata.brokers)

    def close(self, timeout_s: float) -> int:
        """Flush what is queued (bounded), stop the poller; returns messages left undelivered."""
        with self._lock:
            if self._closed:
                return 0
            self._closed = True
        atexit.unregister(self.close)
        left = int(self._producer.flush(timeout_s))
        self._stop.set()
        if self._poller is not threading.current_thread():
            self._poller.join(timeout=1.0)
        with self._lock:
            producer = self._producer
        _release(producer)
        if left:
            log.error("producer closed with undelivered messages", extra={"undelivered": left})
        return left
