"""The WooCommerce REST client of `reconcile` and `audit`: Basic auth, bounded backoff, typed errors.

It knows `WOOCOMMERCE_API_URL` only, never whether that is a shop or the simulator. Each GET is tried
again on what waiting heals — 429 (honouring `Retry-After`, which proxies and WAFs in front of a shop
send), 5xx, timeouts, broken connections — with growing pauses (`RetryPolicy`); what waiting does not
heal ends the call at once. The exception's type decides what the caller does:

```
WooError
├── WooAuthError        401 / 403: wrong key or secret, a key without read permission, a user
│                       without the capability → halt and alert; never retried in a loop
├── WooUnavailable      429, 5xx, timeouts, connection errors, still failing after the policy's
│                       attempts → the pass fails; the watermark stays; the next pass tries again
└── WooBadAnswer        any other answer: 4xx, a body that is not what the API returns
```
Logs carry the path, status and attempt — never bodies (they hold customers' data) or credentials.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from consumer.plain_http import ignores_proxies
from consumer.woocommerce.settings import WooCommerceSettings

log = logging.getLogger(__name__)
API = "/wp-json/wc/v3"


class WooError(Exception):
    """`str()` is ours (path, status, WooCommerce's error code): safe to log and print."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


class WooAuthError(WooError):
    pass


class WooUnavailable(WooError):
    pass


class WooBadAnswer(WooError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries of one request
    first_backoff_s: float = 1.0  # doubled after each failure
    max_backoff_s: float = 60.0  # also the most a Retry-After is honoured for


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int  # X-WP-Total
    total_pages: int  # X-WP-TotalPages


SMALL_PAGE = 100


class WooClient:
    def __init__(
        self,
        settings: WooCommerceSettings,
        *,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = settings.woocommerce_api_url + API
        self._timeout = settings.woocommerce_timeout_s
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        if session is None:
            session = requests.Session()
            session.mount("https://", HTTPAdapter(max_retries=0))
            session.mount("http://", HTTPAdapter(max_retries=0))
        session.auth = (
            settings.woocommerce_consumer_key.get_secret_value(),
            settings.woocommerce_consumer_secret.get_secret_value(),
        )
        session.headers.update({"Accept": "application/json", "User-Agent": "woo-netsuite-sync"})
        if ignores_proxies(settings.woocommerce_api_url):
            session.trust_env = False  # no proxy from the environment: loopback http stays on this machine
        self._session = session

    def close(self) -> None:
        self._session.close()

    def page(self, path: str, params: Mapping[str, str]) -> Page:
        """One page of a collection (`/orders`, `/webhooks`) with WooCommerce's totals, which it always
        sends: absent (a proxy stripping them), they would read as 0 pages and a walk would stop after
        one page, judging a window unread — a bad answer instead."""
        items, counted = self._page(path, params)
        if counted is None:
            raise WooBadAnswer(f"GET {path}: not JSON, or totals missing", status=200)
        return Page(items, *counted)

    def all_pages(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every item of a small collection (the webhooks, an order's refunds), following
        X-WP-TotalPages, or, without it, until a short page."""
        out: list[dict[str, Any]] = []
        number = 1
        while True:
            items, counted = self._page(path, {**params, "per_page": str(SMALL_PAGE), "page": str(number)})
            out += items
            last = number >= counted[1] if counted is not None else len(items) < SMALL_PAGE
            if last or not items:
                return out
            number += 1

    def _page(
        self, path: str, params: Mapping[str, str]
    ) -> tuple[list[dict[str, Any]], tuple[int, int] | None]:
        """The items, and (X-WP-Total, X-WP-TotalPages) or None when either is absent."""
        resp = self._get(path, params)
        try:
            items = resp.json()
            total, pages = (resp.headers.get(h) for h in ("X-WP-Total", "X-WP-TotalPages"))
            counted = (int(total), int(pages)) if total is not None and pages is not None else None
        except ValueError:
            raise WooBadAnswer(f"GET {path}: not JSON, or totals missing", status=resp.status_code) from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise WooBadAnswer(f"GET {path}: not a list of objects", status=resp.status_code)
        return items, counted

    def _get(self, path: str, params: Mapping[str, str]) -> requests.Response:
        backoff = self._policy.first_backoff_s
        for attempt in range(1, self._policy.attempts + 1):
            wait = backoff
            try:
                resp = self._session.get(self._base + path, params=params, timeout=self._timeout)
            except requests.RequestException as exc:
                failure: WooError = WooUnavailable(f"GET {path}: {type(exc).__name__}")
            else:
                if 200 <= resp.status_code < 300:
                    return resp
                failure = _error_for(path, resp)
                wait = _retry_after(resp) or backoff  # a proxy's Retry-After, when it sends one
            if not isinstance(failure, WooUnavailable) or attempt == self._policy.attempts:
                raise failure
            wait = min(wait, self._policy.max_backoff_s)
            log.warning("woocommerce %s (attempt %d), again in %.1fs", failure, attempt, wait)
            self._sleep(wait)
            backoff = min(backoff * 2, self._policy.max_backoff_s)
        raise AssertionError("unreachable")  # pragma: no cover


def _error_for(path: str, resp: requests.Response) -> WooError:
    status = resp.status_code
    try:
        body = resp.json()
    except ValueError:
        body = None
    code = str(body.get("code")) if isinstance(body, dict) and body.get("code") else None
    message = f"GET {path}: HTTP {status}" + (f" {code}" if code else "")
    if status in (401, 403):
        return WooAuthError(message, status=status, code=code)
    if status == 429 or status >= 500 or status == 408:
        return WooUnavailable(message, status=status, code=code)
    return WooBadAnswer(message, status=status, code=code)


def _retry_after(resp: requests.Response) -> float | None:
    """Seconds from a `Retry-After` of seconds or an HTTP date; None when absent or unreadable."""
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
