"""JSON log lines: one object per line, the message plus whatever `extra=` fields a call adds.

Callers pass only safe fields (ids, outcomes, timings, error class names): never a body, a
signature, a secret, an email or an address. The formatter adds nothing from the request itself.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from typing import Any

# json.dumps(out, default=str, ensure_ascii=False), without building an encoder for every line
_to_json = json.JSONEncoder(default=str, ensure_ascii=False).encode
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """`extra={"fields": {...}}` (the fast path, used per request) or any other `extra=` keys."""

    _second = -1
    _stamp = ""

    def _time(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # strftime once per second, not per line
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._stamp}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        fields = record.__dict__.get("fields")
        if isinstance(fields, dict):
            out.update(fields)
        else:
            for key, value in record.__dict__.items():
                if key not in _STANDARD and not key.startswith("_"):
                    out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The class and where it was raised; not the message, which can quote request data.
            out["exc_class"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])
            out["exc_where"] = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in frames[-6:]]
        return _to_json(out)


def configure_logging(level: str | None = None) -> None:
    """Root logger → stdout as JSON lines (idempotent)."""
    root = logging.getLogger()
    root.setLevel((level or os.environ.get("LOG_LEVEL", "INFO")).upper())
    for handler in list(root.handlers):
        if getattr(handler, "_woo_json", False):
            return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._woo_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)


def gunicorn_logger_class() -> type:
    """gunicorn's logger with JSON error lines and no access log (the app writes one line itself).

    Using a logger class rather than `logconfig_dict` keeps gunicorn from building its access-log
    atoms for every request only to drop them.
    """
    from gunicorn import glogging

    class JsonGunicornLogger(glogging.Logger):  # type: ignore[misc]
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

        def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
            return None

    return JsonGunicornLogger
