"""The http:// URLs both settings classes must take without their *_ALLOW_HTTP flag, and those they
must still refuse: a loopback host is local use by definition (the traffic never leaves the machine);
a name that merely starts or ends like one, userinfo in front of one, a port that is not one, or a
host that `requests` (urllib3) would read differently from `urllib.parse` is not. Names under
`.localhost` are not taken either: resolvers that do not special-case them ask DNS (a cluster's search
path included)."""

LOOPBACK_URLS = [
    "http://127.0.0.1:8080",
    "http://localhost:9",
    "http://LOCALHOST:9",
    "http://[::1]:8080",
    "http://127.8.9.10",
]
NOT_LOOPBACK_URLS = [
    "http://example.com",
    "http://127.0.0.1.evil.com",
    "http://localhost.evil.com",
    "http://10.0.0.5",
    "http://127.0.0.1@evil.com",
    "http://127.0.0.1:80\t.evil.com",
    "http://evil.com\\.localhost",  # urllib.parse: 'evil.com\.localhost'; urllib3 dials evil.com
    "http://evil.com;.localhost",
    "http://evil.com\\@127.0.0.1",  # urllib.parse: 127.0.0.1; urllib3: evil.com
    "http://shop.localhost:8080",
    "http://notlocalhost",
    "http://evillocalhost:80",
]

# Not root URLs, whatever the scheme: userinfo (a password, even with an empty user, would travel in
# every record reconcile publishes as its source) and a query or fragment, even empty (every API path
# would land in it and requests go to `/`).
NOT_ROOT_URLS = [
    "https://:s3cret@shop.example.com",
    "https://user@shop.example.com",
    "http://localhost?",
    "https://shop.example.com#",
    "https://shop.example.com/?a=1",
]
