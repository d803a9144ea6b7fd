"""`python -m receiver` under gunicorn: gthread workers, the app and its producer built per worker.

The master never creates a producer (librdkafka threads do not survive fork): `load()` runs in each
worker after the fork. On SIGTERM gunicorn stops accepting, lets in-flight requests finish (up to
the graceful timeout), then `worker_exit` flushes the worker's producer before the process ends.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from common.logs import gunicorn_logger_class
from receiver.settings import ReceiverSettings

log = logging.getLogger(__name__)


def gunicorn_options(settings: ReceiverSettings) -> dict[str, Any]:
    """The gunicorn configuration; the benchmark serves its bare baseline with the same one."""
    return {
        "bind": [
            f"{settings.receiver_host}:{p}" for p in (settings.port, settings.receiver_metrics_port) if p
        ],
        "worker_class": "receiver.worker.DeadlineWorker",  # gthread + read deadlines (receiver/worker.py)
        "workers": settings.receiver_workers,
        "threads": settings.receiver_threads,
        "keepalive": 5,
        "timeout": 30,  # worker heartbeat; request threads may block on the broker, the loop does not
        "graceful_timeout": math.ceil(settings.receiver_graceful_timeout_s),
        "preload_app": False,  # the app (and its producer) is built in the worker, after fork
        "accesslog": None,  # one JSON line per request comes from the app instead
        "errorlog": "-",
        "loglevel": settings.receiver_log_level.lower(),
        "logger_class": gunicorn_logger_class(),
        "proc_name": "woo-receiver",
    }


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Serve the Flask app that `app_factory()` builds in each worker.

    `read_timeout_s` and `on_read_deadline` are read by the worker (receiver.worker.DeadlineWorker).
    """

    def __init__(
        self,
        app_factory: Callable[[], Flask],
        options: dict[str, Any],
        on_worker_exit: Callable[[], None] | None = None,
        on_child_exit: Callable[[int], None] | None = None,
        *,
        read_timeout_s: float,
        on_read_deadline: Callable[[], None] | None = None,
    ) -> None:
        self._factory = app_factory
        self._options = options
        self._on_worker_exit = on_worker_exit
        self._on_child_exit = on_child_exit
        self.read_timeout_s = read_timeout_s
        self.on_read_deadline = on_read_deadline
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", self._worker_exit)
        self.cfg.set("child_exit", self._child_exit)

    def load(self) -> Flask:
        return self._factory()

    def _worker_exit(self, server: Any, worker: Any) -> None:
        if self._on_worker_exit is not None:
            self._on_worker_exit()

    def _child_exit(self, server: Any, worker: Any) -> None:
        if self._on_child_exit is not None:
            self._on_child_exit(int(worker.pid))


def receiver_server(settings: ReceiverSettings) -> GunicornServer:
    """The receiver: per worker one `KafkaPublisher` and one app; flush on worker exit."""
    from receiver.app import create_app
    from receiver.metrics import ReceiverMetrics, multiprocess_mode
    from receiver.publisher import KafkaPublisher, producer_config

    publishers: list[KafkaPublisher] = []
    metrics: list[ReceiverMetrics] = []  # this worker process's, once its app is built

    def factory() -> Flask:
        publisher = KafkaPublisher(producer_config(settings))
        publishers.append(publisher)
        metrics.append(ReceiverMetrics())
        return create_app(settings, publisher, metrics=metrics[-1])

    def read_deadline() -> None:
        if metrics:
            metrics[-1].read_timeouts.inc()

    def flush() -> None:
        for publisher in publishers:
            left = publisher.close(timeout_s=settings.receiver_produce_timeout_s)
            log.info("producer flushed", extra={"undelivered": left})

    def child_exit(pid: int) -> None:
        if multiprocess_mode():
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]

    return GunicornServer(
        factory,
        gunicorn_options(settings),
        flush,
        child_exit,
        read_timeout_s=settings.receiver_read_timeout_s,
        on_read_deadline=read_deadline,
    )
