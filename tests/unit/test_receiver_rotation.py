"""Secret rotation at the door: the current and the previous secret are both accepted, each compared in
constant time, and a metric says which one matched (so the previous one can be removed safely)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from receiver.app import create_app
from receiver.metrics import ReceiverMetrics
from receiver.settings import SettingsError, load_settings
from receiver.signature import SignatureVerifier, sign, signing_key
from receiver.testing import SAMPLE_SECRET, FakePublisher, sample_body, signed_headers

CREATED = "/webhook/woocommerce/order-created"
# WooCommerce generates secrets with wp_generate_password( 50, true, true ): commas and other
# punctuation included, which is why the previous secret has a variable of its own.
OLD = "o1d,s3cret;with,commas&amp;[]{}<>~`+=.:/?|-_x"
NEW = SAMPLE_SECRET


def app_client(previous: str | None) -> tuple[FlaskClient, FakePublisher, ReceiverMetrics]:
    settings = load_settings(
        woocommerce_webhook_secret=NEW, woocommerce_webhook_secret_previous=previous, orders_topic="t"
    )
    publisher, metrics = FakePublisher(), ReceiverMetrics()
    return create_app(settings, publisher, metrics=metrics).test_client(), publisher, metrics


def matched(metrics: ReceiverMetrics, secret: str) -> float:
    value = metrics.registry.get_sample_value("woo_receiver_signature_matches_total", {"secret": secret})
    return value or 0.0


def test_during_a_rotation_both_secrets_are_accepted_and_the_metric_says_which() -> None:
    client, publisher, metrics = app_client(OLD)
    body = sample_body()
    old = client.post(CREATED, data=body, headers=signed_headers(body, stored_secret=OLD))
    assert old.status_code == 200, old.json
    assert (matched(metrics, "previous"), matched(metrics, "current")) == (1, 0)
    new = client.post(CREATED, data=body.replace(b"4711", b"4712"), headers=signed_headers(body))
    assert new.status_code == 401  # the body changed: its signature no longer matches
    changed = body.replace(b"4711", b"4712")
    new = client.post(CREATED, data=changed, headers=signed_headers(changed))
    assert new.status_code == 200, new.json
    assert (matched(metrics, "previous"), matched(metrics, "current")) == (1, 1)
    assert len(publisher.calls) == 2


def test_without_a_previous_secret_the_old_one_is_refused() -> None:
    client, publisher, metrics = app_client(None)
    body = sample_body()
    assert client.post(CREATED, data=body, headers=signed_headers(body, stored_secret=OLD)).status_code == 401
    assert publisher.calls == []
    assert (matched(metrics, "previous"), matched(metrics, "current")) == (0, 0)


def test_a_third_secret_is_refused_during_a_rotation() -> None:
    client, publisher, _ = app_client(OLD)
    body = sample_body()
    headers = signed_headers(body, stored_secret="neither-the-old-nor-the-new-one")
    assert client.post(CREATED, data=body, headers=headers).status_code == 401
    assert publisher.calls == []


def test_the_previous_secret_is_one_secret_commas_included() -> None:
    verifier = SignatureVerifier(NEW, OLD)
    body = sample_body()
    match = verifier.verify(body, sign(signing_key(OLD), body))
    assert match is not None
    assert match.secret == "previous"
    for piece in OLD.split(","):  # no part of it is a secret of its own
        assert verifier.verify(body, sign(signing_key(piece), body)) is None


def test_the_match_carries_the_signature_as_the_bodys_key() -> None:
    body = sample_body()
    match = SignatureVerifier(NEW).verify(body, " " + sign(signing_key(NEW), body) + " ")
    assert match is not None
    assert (match.secret, match.signature) == ("current", sign(signing_key(NEW), body).encode())


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_emptied_previous_secret_ends_the_rotation(monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET_PREVIOUS", blank)
    assert load_settings(woocommerce_webhook_secret=NEW).woocommerce_webhook_secret_previous is None


def test_a_short_previous_secret_is_refused_by_name_without_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET_PREVIOUS", "short-old-one")
    with pytest.raises(SettingsError, match=r"WOOCOMMERCE_WEBHOOK_SECRET_PREVIOUS: .*at least 16") as info:
        load_settings(woocommerce_webhook_secret=NEW)
    assert "short-old-one" not in str(info.value)


def test_the_previous_secret_never_shows_in_repr() -> None:
    settings = load_settings(woocommerce_webhook_secret=NEW, woocommerce_webhook_secret_previous=OLD)
    assert "o1d,s3cret" not in repr(settings)
