"""When an http:// URL to NetSuite or the shop is acceptable: always to a loopback host, elsewhere
only with the variable that opts in.

Both APIs carry credentials and customers' personal data, so plain http is refused by default. A
loopback host is local use by definition: the traffic never leaves the machine, so nothing can be
read off the network (WHATWG's "potentially trustworthy origin" treats loopback as secure for the
same reason). The contract's test harness points NETSUITE_BASE_URL and WOOCOMMERCE_API_URL at mock
servers on 127.0.0.1 or localhost and knows nothing of NETSUITE_ALLOW_HTTP / WOOCOMMERCE_ALLOW_HTTP.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult


def is_loopback(host: str | None) -> bool:
    """`localhost`, a name under `.localhost` (RFC 6761), 127.0.0.0/8 or ::1 — `host` as
    `SplitResult.hostname` gives it: lower case, no brackets, port or userinfo."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name (127.0.0.1.evil.com included), not an address
        return False


def scheme_allowed(parts: SplitResult, allow_http: bool) -> bool:
    """https always; http with the opt-in, or to a loopback host whose port is a port (urlsplit
    takes the host of `127.0.0.1:80.evil.com` to be 127.0.0.1 and leaves the rest to `.port`)."""
    if parts.scheme == "https" or (parts.scheme == "http" and allow_http):
        return True
    if parts.scheme != "http" or not is_loopback(parts.hostname):
        return False
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return False
    return True
