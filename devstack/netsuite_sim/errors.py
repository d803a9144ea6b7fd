"""NetSuite's error answers, one shape for every status.

The production client decides retry / dead-letter / halt from status and `o:errorCode`, so every
error here must look exactly like SuiteTalk's: an RFC 9110 problem document with `o:errorDetails`,
served as `application/vnd.oracle.resource+json; type=error`.
"""

from __future__ import annotations

from typing import Any

ERROR_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=error"
JSON_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=record"
COLLECTION_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=collection"

_RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
# 429 is defined by RFC 6585, not RFC 9110.
_STATUS: dict[int, tuple[str, str]] = {
    400: (_RFC9110 + "15.5.1", "Bad Request"),
    401: (_RFC9110 + "15.5.2", "Unauthorized"),
    403: (_RFC9110 + "15.5.4", "Forbidden"),
    404: (_RFC9110 + "15.5.5", "Not Found"),
    405: (_RFC9110 + "15.5.6", "Method Not Allowed"),
    415: (_RFC9110 + "15.5.16", "Unsupported Media Type"),
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Too Many Requests"),
    500: (_RFC9110 + "15.6.1", "Internal Server Error"),
    502: (_RFC9110 + "15.6.3", "Bad Gateway"),
    503: (_RFC9110 + "15.6.4", "Service Unavailable"),
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
CONCURRENCY_DETAIL = "Concurrent request limit exceeded. Request blocked."
INVALID_BODY_DETAIL = "Invalid content in the request body."


class ApiError(Exception):
    """Raised anywhere in request handling; the HTTP layer turns it into NetSuite's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        path: str | None = None,
        query_param: str | None = None,
        header: str | None = None,
        internal: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        # Why, for the simulator's own debug log only; never sent (NetSuite keeps 401s opaque).
        self.internal = internal
        self.status = status
        self.code = code
        self.detail = detail
        self.path = path
        self.query_param = query_param
        self.header = header

    def body(self) -> dict[str, Any]:
        return error_body(
            self.status,
            self.code,
            self.detail,
            path=self.path,
            query_param=self.query_param,
            header=self.header,
        )


def error_body(
    status: int,
    code: str,
    detail: str,
    *,
    path: str | None = None,
    query_param: str | None = None,
    header: str | None = None,
) -> dict[str, Any]:
    """The problem document NetSuite sends (type/title follow the status)."""
    type_url, title = _STATUS.get(status, _STATUS[400])
    item: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if path is not None:
        item["o:errorPath"] = path
    if query_param is not None:
        item["o:errorQueryParam"] = query_param
    if header is not None:
        item["o:errorHeader"] = header
    return {"type": type_url, "title": title, "status": status, "o:errorDetails": [item]}


def user_error(detail: str, path: str | None = None) -> ApiError:
    """400 USER_ERROR: a bad field value or reference, pointing at the field."""
    return ApiError(400, "USER_ERROR", detail, path=path)


def invalid_parameter(detail: str, param: str) -> ApiError:
    """400 INVALID_PARAMETER for a bad query parameter (`q`, `limit`, ...)."""
    return ApiError(400, "INVALID_PARAMETER", detail, query_param=param)


def not_found(record_type: str, key: str) -> ApiError:
    return ApiError(
        404,
        "NONEXISTENT_ID",
        f"The record instance does not exist. Provide a valid record instance ID. ({record_type} {key})",
    )


def invalid_login(internal: str | None = None) -> ApiError:
    return ApiError(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL, internal=internal)


def concurrency_exceeded() -> ApiError:
    return ApiError(429, "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_DETAIL)


def unexpected(detail: str = "An unexpected error occurred.") -> ApiError:
    return ApiError(503, "UNEXPECTED_ERROR", detail)
