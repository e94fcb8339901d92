"""What the fuzz runs (`test_fuzz.py`) found, each pinned on its own."""

from __future__ import annotations

import json
import logging

from tests.unit.webhooks.bad_input import http_request, send_raw
from tests.unit.webhooks.conftest import (
    ESHOPBOX_ROUTE,
    ESHOPBOX_TOKEN,
    SHOPIFY_ROUTE,
    shopify_headers,
    shopify_order,
    wait_for,
)


def test_a_dedupe_value_with_a_lone_surrogate_is_stored_under_its_hash_not_refused_with_503(
    start_receiver, fake_airflow
):
    harness = start_receiver(fake_airflow)
    body = b'{"externalShipmentID": "S-\\ud800", "status": "packed", "status_updated_at": "t1"}'  # valid JSON

    first = harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": ESHOPBOX_TOKEN})
    again = harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": ESHOPBOX_TOKEN})

    assert first.status_code == again.status_code == 200, first.text
    assert sorted(again.json()["duplicates"]) == sorted(first.json()["stored"])
    assert {event.dedupe_key[:7] for event in harness.events()} == {"sha256:"}


def test_a_sender_that_leaves_mid_body_is_answered_not_an_unhandled_error(
    start_receiver, fake_airflow, caplog, server_errors
):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    headers = list(shopify_headers(body).items())
    raw = http_request("/" + SHOPIFY_ROUTE.lstrip("/"), headers, body)

    with caplog.at_level(logging.INFO):
        answer = send_raw(harness.base_url, raw[: -len(body) // 2], timeout=5, half_close=True)

        wait_for(lambda: "the sender left before its body was complete" in caplog.text or server_errors)

    assert answer.status is None or answer.status < 500
    assert [record.getMessage() for record in server_errors] == []
    assert harness.events() == []


def test_bad_input_corpus_requests_are_plain_http(start_receiver, fake_airflow):
    """The raw-socket sender and request builder used by the corpus speak HTTP the receiver accepts."""
    harness = start_receiver(fake_airflow)
    body = json.dumps({"externalShipmentID": "S-9", "status": "packed", "status_updated_at": "t9"}).encode()
    raw = http_request(ESHOPBOX_ROUTE, [("x-api-key", ESHOPBOX_TOKEN), ("Content-Type", "application/json")], body)

    answer = send_raw(harness.base_url, raw, timeout=5)

    assert answer.status == 200 and len(answer.stored()) == 2
