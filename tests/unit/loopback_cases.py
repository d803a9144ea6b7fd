"""The http:// URLs both settings classes must take without their *_ALLOW_HTTP flag, and those they
must still refuse: a loopback host is local use by definition (the traffic never leaves the machine);
a name that merely starts like one, userinfo in front of one or a port that is not one is not."""

LOOPBACK_URLS = [
    "http://127.0.0.1:8080",
    "http://localhost:9",
    "http://[::1]:8080",
    "http://127.8.9.10",
    "http://shop.localhost:8080",
]
NOT_LOOPBACK_URLS = [
    "http://example.com",
    "http://127.0.0.1.evil.com",
    "http://localhost.evil.com",
    "http://10.0.0.5",
    "http://127.0.0.1@evil.com",
    "http://127.0.0.1:80\t.evil.com",
]
