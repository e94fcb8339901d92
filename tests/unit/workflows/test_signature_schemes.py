"""The general `signature` verify block and its presets, each checked against a signer written by someone else:
the `standardwebhooks` and `stripe` packages, Flipkart's documented FKLOGIN worked example, Shopify's and
WooCommerce's documented HMAC of the body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
import stripe
from pydantic import ValidationError
from standardwebhooks import Webhook as StandardWebhook

from connectors.runtime.verification import WebhookRejected, verify_webhook_signature
from connectors.spec.triggers import WebhookTriggerSpec

NOW = 1_760_000_000.0
BODY = json.dumps({"id": "evt_1", "type": "order.created", "total": "12.50"}).encode()


def trigger(verify: dict[str, Any]) -> WebhookTriggerSpec:
    return WebhookTriggerSpec.model_validate(
        {"type": "webhook", "name": "Event", "verify": verify, "dedupe_key": {"path": "id"}}
    )


def context(**auth: str) -> dict[str, Any]:
    return {"auth": auth, "properties": {}, "env": {}}


def verify(spec: WebhookTriggerSpec, headers: dict[str, str], secret_context: dict, *, now: float = NOW, **kw) -> None:
    verify_webhook_signature(spec, kw.pop("body", BODY), headers, secret_context, clock=lambda: now, **kw)


def refused(*args: Any, **kwargs: Any) -> str:
    with pytest.raises(WebhookRejected) as caught:
        verify(*args, **kwargs)
    assert caught.value.status == 401
    return caught.value.reason


# -- Standard Webhooks -------------------------------------------------------------------------------------------

WHSEC = "whsec_" + base64.b64encode(b"standard-webhooks-key-32-bytes!!").decode()
STANDARD = trigger({"scheme": "standard_webhooks", "secret": "{{ auth.webhook_secret }}"})


def standard_headers(msg_id: str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", at: float = NOW, body: bytes = BODY) -> dict:
    signature = StandardWebhook(WHSEC).sign(msg_id, datetime.fromtimestamp(at, tz=UTC), body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at)), "webhook-signature": signature}


def test_standard_webhooks_accepts_what_the_reference_library_signs() -> None:
    verify(STANDARD, standard_headers(), context(webhook_secret=WHSEC))


def test_standard_webhooks_accepts_any_of_several_signatures_and_ignores_other_versions() -> None:
    headers = standard_headers()
    headers["webhook-signature"] = f"v1a,c29tZXRoaW5n v1,AAAA {headers['webhook-signature']}"
    verify(STANDARD, headers, context(webhook_secret=WHSEC))


def test_standard_webhooks_refuses_a_tampered_body_id_or_secret() -> None:
    headers = standard_headers()
    assert "does not match" in refused(STANDARD, headers, context(webhook_secret=WHSEC), body=BODY + b" ")
    assert "does not match" in refused(STANDARD, {**headers, "webhook-id": "msg_other"}, context(webhook_secret=WHSEC))
    other = "whsec_" + base64.b64encode(b"another-key").decode()
    assert "does not match" in refused(STANDARD, headers, context(webhook_secret=other))


def test_standard_webhooks_refuses_a_stale_or_future_timestamp() -> None:
    secret = context(webhook_secret=WHSEC)
    assert "outside the 300 s window" in refused(STANDARD, standard_headers(at=NOW - 301), secret)
    assert "outside" in refused(STANDARD, standard_headers(at=NOW + 301), secret)
    verify(STANDARD, standard_headers(at=NOW - 299), secret)
    wider = trigger({"scheme": "standard_webhooks", "secret": "{{ auth.webhook_secret }}", "tolerance_seconds": 600})
    verify(wider, standard_headers(at=NOW - 500), secret)


# -- Stripe ------------------------------------------------------------------------------------------------------

STRIPE_SECRET = "whsec_test_secret_for_stripe"
STRIPE = trigger({"scheme": "stripe", "secret": "{{ auth.webhook_secret }}"})


def stripe_header(at: float = NOW, secret: str = STRIPE_SECRET) -> dict[str, str]:
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(BODY.decode(), secret, int(at))}


def test_stripe_accepts_what_the_stripe_library_signs_and_verifies() -> None:
    headers = stripe_header()
    verify(STRIPE, headers, context(webhook_secret=STRIPE_SECRET))
    stripe.WebhookSignature.verify_header(BODY.decode(), headers["Stripe-Signature"], STRIPE_SECRET, tolerance=None)


def test_stripe_accepts_any_v1_signature_when_secrets_are_rolled() -> None:
    header = stripe_header()["Stripe-Signature"]
    rolled = stripe_header(secret="whsec_old")["Stripe-Signature"].split(",")[1]
    verify(STRIPE, {"Stripe-Signature": f"{header.split(',')[0]},{rolled},v0=abc,{header.split(',')[1]}"},
           context(webhook_secret=STRIPE_SECRET))  # fmt: skip


def test_stripe_refuses_tampering_and_stale_timestamps() -> None:
    secret = context(webhook_secret=STRIPE_SECRET)
    assert "does not match" in refused(STRIPE, stripe_header(), secret, body=b'{"id":"evt_2"}')
    header = stripe_header()["Stripe-Signature"].replace(f"t={int(NOW)}", f"t={int(NOW) + 1}")
    assert "does not match" in refused(STRIPE, {"Stripe-Signature": header}, secret)
    assert "outside" in refused(STRIPE, stripe_header(at=NOW - 301), secret)
    assert "missing timestamp" in refused(STRIPE, {"Stripe-Signature": "v1=" + "0" * 64}, secret)
    assert "no v1 signature" in refused(STRIPE, {"Stripe-Signature": f"t={int(NOW)}"}, secret)


# -- FKLOGIN (Flipkart) ------------------------------------------------------------------------------------------

APP_ID, APP_SECRET = "6113ca4a-fe05-11e4-a322-1697f925ec7b", "669a57f4-fe05-11e4-a322-1697f925ec7b"
NOTIFY_URL = "http://seller.api.pilotseller.com/notify/fki"
FKLOGIN = trigger({"scheme": "fklogin", "secret": "{{ auth.client_secret }}", "key_id": "{{ auth.client_id }}"})
FK_CONTEXT = context(client_id=APP_ID, client_secret=APP_SECRET)


def fklogin_headers(x_date: str, signed_date: str, url: str = NOTIFY_URL, app_id: str = APP_ID) -> dict[str, str]:
    """Flipkart's documented algorithm: FKLOGIN base64(appId:sha1hex(date + url + method + secret))."""
    signature = hashlib.sha1(f"{signed_date}{url}POST{APP_SECRET}".encode()).hexdigest()
    return {
        "X_Date": x_date,
        "X_Authorization": "FKLOGIN " + base64.b64encode(f"{app_id}:{signature}".encode()).decode(),
    }


def test_fklogin_accepts_flipkarts_documented_worked_example() -> None:
    """The sample on Flipkart's notification page: epoch seconds hashed, the HTTP-date sent."""
    headers = {
        "X_Date": "Tue, 19 May 2015 09:02:15 GMT",
        "X_Authorization": "FKLOGIN NjExM2NhNGEtZmUwNS0xMWU0LWEzMjItMTY5N2Y5MjVlYzdiOjgzNzYyYWJkODdiNDFlNjZkZ"
        "GQ1ODMyMGE0ZTgwMzI1MWU3MmI3NzY=",
    }  # fmt: skip
    assert hashlib.sha1(f"1432026135{NOTIFY_URL}POST{APP_SECRET}".encode()).hexdigest() == (
        "83762abd87b41e66ddd58320a4e803251e72b776"
    )
    verify(FKLOGIN, headers, FK_CONTEXT, now=1432026135 + 10, url=NOTIFY_URL)


def test_fklogin_accepts_the_http_date_hashed_as_sent() -> None:
    x_date = format_datetime(datetime.fromtimestamp(NOW, tz=UTC), usegmt=True)
    verify(FKLOGIN, fklogin_headers(x_date, x_date), FK_CONTEXT, url=NOTIFY_URL)


def test_fklogin_refuses_another_url_app_id_or_a_stale_date() -> None:
    x_date = format_datetime(datetime.fromtimestamp(NOW, tz=UTC), usegmt=True)
    headers = fklogin_headers(x_date, x_date)
    assert "does not match" in refused(FKLOGIN, headers, FK_CONTEXT, url=NOTIFY_URL + "/other")
    assert "does not match" in refused(FKLOGIN, headers, FK_CONTEXT, url=NOTIFY_URL, method="PUT")
    assert "another key id" in refused(FKLOGIN, fklogin_headers(x_date, x_date, app_id="other"), FK_CONTEXT)
    assert "outside the 3600 s window" in refused(FKLOGIN, headers, FK_CONTEXT, url=NOTIFY_URL, now=NOW + 3601)
    assert "not base64" in refused(FKLOGIN, {**headers, "X_Authorization": "FKLOGIN %%%"}, FK_CONTEXT)
    assert "not http_date" in refused(FKLOGIN, {**headers, "X_Date": "yesterday"}, FK_CONTEXT)
    assert "missing signature" in refused(FKLOGIN, {**headers, "X_Authorization": "Bearer x"}, FK_CONTEXT)


def test_fklogin_needs_the_app_id() -> None:
    with pytest.raises(ValidationError, match="key_id is required by fklogin"):
        trigger({"scheme": "fklogin", "secret": "{{ auth.client_secret }}"})


# -- Shopify and WooCommerce presets: base64 HMAC-SHA256 of the body ---------------------------------------------


@pytest.mark.parametrize(
    ("preset", "header"), [("shopify", "X-Shopify-Hmac-Sha256"), ("woocommerce", "X-WC-Webhook-Signature")]
)
def test_body_hmac_presets(preset: str, header: str) -> None:
    spec = trigger({"scheme": preset, "secret": "{{ auth.webhook_secret }}"})
    signature = base64.b64encode(hmac.new(b"s3cret-key", BODY, hashlib.sha256).digest()).decode()
    verify(spec, {header: signature}, context(webhook_secret="s3cret-key"))
    assert "does not match" in refused(spec, {header: signature}, context(webhook_secret="s3cret-key"), body=b"{}")
    assert "does not match" in refused(spec, {header: signature}, context(webhook_secret="other-key"))


# -- the general form --------------------------------------------------------------------------------------------


def test_a_spelled_out_scheme_over_path_delivery_id_and_body_in_hex() -> None:
    spec = trigger({
        "scheme": "signature", "header": "X-Signature", "prefix": "sha512=", "algorithm": "sha512",
        "secret": "{{ auth.webhook_secret }}",
        "content": ["method", {"literal": " "}, "path", {"literal": "\n"}, {"header": "X-Delivery"}, {"literal": "\n"},
                    "body"],
    })  # fmt: skip
    signed = b"POST /integrations/webhooks/acme\nd-7\n" + BODY
    signature = "sha512=" + hmac.new(b"k3y-k3y", signed, hashlib.sha512).hexdigest().upper()  # hex in any case
    headers = {"X-Signature": signature, "X-Delivery": "d-7"}
    verify(spec, headers, context(webhook_secret="k3y-k3y"), path="/integrations/webhooks/acme")
    assert "does not match" in refused(spec, {**headers, "X-Delivery": "d-8"}, context(webhook_secret="k3y-k3y"))


@pytest.mark.parametrize(
    "header",
    ["", "v1", "v1,", ",,,", "v1,\udcff", "v1,é" * 100, " ".join(["v1,x"] * 5000), "t=,v1=", "\x00", "=" * 300],
)
def test_malformed_signature_headers_are_refused_not_errors(header: str) -> None:
    for spec, name in ((STANDARD, "webhook-signature"), (STRIPE, "Stripe-Signature")):
        headers = {**standard_headers(), "Stripe-Signature": header, name: header}
        refused(spec, headers, context(webhook_secret=WHSEC))
    refused(FKLOGIN, {"X_Date": "Tue, 19 May 2015 09:02:15 GMT", "X_Authorization": "FKLOGIN " + header}, FK_CONTEXT)


def test_an_empty_secret_never_verifies() -> None:
    headers = standard_headers()
    assert "no secret" in refused(STANDARD, headers, context(webhook_secret=""))
    assert "no secret" in refused(STANDARD, headers, context(webhook_secret="whsec_"))


def test_content_that_signs_a_timestamp_must_declare_one() -> None:
    with pytest.raises(ValidationError, match="declare 'timestamp'"):
        trigger({"scheme": "signature", "header": "X-Sig", "secret": "x", "content": ["timestamp", "body"]})
    with pytest.raises(ValidationError, match="'secret' part"):
        trigger({"scheme": "signature", "header": "X-Sig", "secret": "x", "mac": "digest"})
