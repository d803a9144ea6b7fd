"""When an http:// URL to NetSuite or the shop is acceptable: always to a loopback host, elsewhere
only with the variable that opts in.

Both APIs carry credentials and customers' personal data, so plain http is refused by default. A
loopback host is local use by definition: the traffic never leaves the machine, so nothing can be
read off the network (WHATWG's "potentially trustworthy origin" treats loopback as secure for the
same reason; the sessions ignore proxy variables for it, `ignores_proxies`). The contract's test
harness points NETSUITE_BASE_URL and WOOCOMMERCE_API_URL at mock servers on 127.0.0.1 or localhost
and knows nothing of NETSUITE_ALLOW_HTTP / WOOCOMMERCE_ALLOW_HTTP.

Loopback means the name `localhost` or a loopback address, as *both* parsers read the URL:
`urllib.parse` (which the settings use) and urllib3's `parse_url` (which `requests` dials) disagree on
some hosts — `http://evil.com\\.localhost` is `evil.com\\.localhost` to one and `evil.com` to the
other. Names under `.localhost` are not taken: resolvers that do not special-case them ask DNS.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from urllib3.util import parse_url


def is_loopback(host: str | None) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1 (brackets allowed); nothing else."""
    if not host:
        return False
    host = host.lower().removeprefix("[").removesuffix("]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name (127.0.0.1.evil.com included), not an address
        return False


def loopback_url(url: str) -> bool:
    """http(s) to a loopback host with a valid port, as both `urllib.parse` and urllib3 read it."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
        dialled = parse_url(url).host
    except ValueError:  # urllib3's LocationParseError is a ValueError
        return False
    return is_loopback(parts.hostname) and is_loopback(dialled)


def scheme_allowed(url: str, allow_http: bool) -> bool:
    """https always; http with the opt-in, or to a loopback host."""
    scheme = urlsplit(url).scheme
    if scheme == "https" or (scheme == "http" and allow_http):
        return True
    return scheme == "http" and loopback_url(url)


def ignores_proxies(url: str) -> bool:
    """A session for this base URL must not take proxies from the environment: with HTTP_PROXY set
    and NO_PROXY not naming it, `requests` would send loopback traffic — plain http — to the proxy."""
    return urlsplit(url).scheme == "http" and loopback_url(url)


def is_root_url(url: str) -> bool:
    """A host and nothing that is not a root: no userinfo (`https://:password@host` has an empty user
    and would still carry the password — into every event reconcile publishes with the shop's URL), no
    query or fragment, even empty (the API paths appended would land in them)."""
    parts = urlsplit(url)
    return bool(parts.hostname) and "@" not in parts.netloc and "?" not in url and "#" not in url
