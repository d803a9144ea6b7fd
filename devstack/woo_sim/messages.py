"""Transport-free requests and answers of the WooCommerce simulator, and WordPress's REST errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # decoded, no query
    query: dict[str, str]  # last value wins, as PHP's $_GET
    headers: dict[str, str]  # lowercase names
    body: bytes
    base_url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json_body(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RestError(400, "rest_invalid_json", "Invalid JSON body passed.") from None


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class RestError(Exception):
    """A WP_Error as the REST server renders it: `{"code", "message", "data": {"status", ...}}`."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def response(self) -> Response:
        return Response(
            self.status,
            {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}},
        )


def invalid_params(problems: dict[str, str]) -> RestError:
    """WordPress's answer to a parameter that fails its schema (rest_invalid_param)."""
    return RestError(
        400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(problems)}", params=problems
    )
