"""The HTTP session every NetSuite call goes through: TBA-signed, pooled, environment read once.

* **OAuth 1.0a (TBA)**, HMAC-SHA256, the account id as realm — what NetSuite's REST web services
  accept from an integration record and access token.
* **A pool as wide as the concurrency limit** and no adapter retries: retrying is the pipeline's
  decision (its route table), never a hidden second request.
* **The environment read once**: requests re-reads the proxy and CA-bundle variables (HTTPS_PROXY,
  NO_PROXY, REQUESTS_CA_BUNDLE, ...) on every request (~270 µs of ~1.5 ms of client CPU per call; a
  pod's environment lists every service of its namespace). They are resolved for NetSuite's host
  when the session is built, and `trust_env` is turned off (the session's own credentials make netrc
  irrelevant).
"""

from __future__ import annotations

import os

import requests
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth1

from consumer.netsuite.settings import NetSuiteSettings
from consumer.plain_http import ignores_proxies


def signed_session(settings: NetSuiteSettings, session: requests.Session | None = None) -> requests.Session:
    """`session` (tests pass one) or a new pooled one, signed for the account and bound to its host."""
    if session is None:
        session = requests.Session()
        adapter = HTTPAdapter(pool_maxsize=max(settings.netsuite_concurrency, 4), max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    session.auth = OAuth1(
        settings.netsuite_consumer_key.get_secret_value(),
        settings.netsuite_consumer_secret.get_secret_value(),
        settings.netsuite_token_id.get_secret_value(),
        settings.netsuite_token_secret.get_secret_value(),
        signature_method="HMAC-SHA256",
        realm=settings.netsuite_account_id,
    )
    session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
    if not ignores_proxies(settings.netsuite_base_url):  # loopback http must stay on this machine
        session.proxies.update(requests.utils.get_environ_proxies(settings.netsuite_base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
    return session
