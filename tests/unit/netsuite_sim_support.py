"""Shared helpers for the NetSuite simulator tests: signed sessions and error-body reading."""

from __future__ import annotations

from typing import Any

import requests
from requests_oauthlib import OAuth1

from devstack.netsuite_sim import NetSuiteSimulator

ERROR_TYPE = "application/vnd.oracle.resource+json; type=error"


def signed_session(sim: NetSuiteSimulator, **overrides: Any) -> requests.Session:
    """A session signing like the production client; `overrides` replace OAuth1 arguments."""
    cfg = sim.config
    args: dict[str, Any] = {
        "client_key": cfg.consumer_key,
        "client_secret": cfg.consumer_secret,
        "resource_owner_key": cfg.token_id,
        "resource_owner_secret": cfg.token_secret,
        "signature_method": "HMAC-SHA256",
        "realm": cfg.account_id,
    }
    args.update(overrides)
    session = requests.Session()
    session.auth = OAuth1(**args)
    return session


def record_url(sim: NetSuiteSimulator, path: str) -> str:
    return f"{sim.base_url}/services/rest/record/v1/{path}"


def suiteql_url(sim: NetSuiteSimulator) -> str:
    return f"{sim.base_url}/services/rest/query/v1/suiteql"


def error_detail(resp: requests.Response) -> dict[str, Any]:
    """The single `o:errorDetails` entry, after checking the envelope NetSuite always sends."""
    assert resp.headers["Content-Type"] == ERROR_TYPE
    body = resp.json()
    assert body["status"] == resp.status_code
    assert body["type"].startswith("https://www.rfc-editor.org/rfc/")
    assert isinstance(body["title"], str)
    assert body["title"]
    (detail,) = body["o:errorDetails"]
    return dict(detail)


def customer_body(**extra: Any) -> dict[str, Any]:
    return {"isPerson": True, "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", **extra}


def order_body(customer_id: str, item_ids: list[str], **extra: Any) -> dict[str, Any]:
    lines = [{"item": {"id": i}, "quantity": 1, "rate": 10.0, "amount": 10.0} for i in item_ids]
    return {"entity": {"id": customer_id}, "tranDate": "2024-05-01", "item": {"items": lines}, **extra}


def new_customer(sim: NetSuiteSimulator, session: requests.Session, external_id: str = "WOO_CUST_1") -> str:
    resp = session.put(record_url(sim, f"customer/eid:{external_id}"), json=customer_body())
    assert resp.status_code == 204, resp.text
    return resp.headers["Location"].rsplit("/", 1)[1]
