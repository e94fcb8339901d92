"""The webhook receiver end to end: real HTTP to uvicorn, a real SQLite registry, a fake Airflow API."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pytest

from connectors.registry.db import session_scope
from connectors.registry.models import Event, EventStatus, Workflow, utcnow
from tests.unit.webhooks.conftest import (
    CONNECTIONS,
    ESHOPBOX_ROUTE,
    ESHOPBOX_TOKEN,
    SHOPIFY_DAG,
    SHOPIFY_ROUTE,
    SHOPIFY_SECRET,
    shopify_headers,
    shopify_order,
    shopify_signature,
    wait_for,
)


@pytest.mark.parametrize(
    "writer",
    [
        {"store_in_event_loop": True},  # SQLite's default: batches written on the event loop
        {"store_in_event_loop": False},  # PostgreSQL's default: a writer thread
    ],
    ids=["loop", "thread"],
)
def test_signed_shopify_webhook_is_stored_then_its_workflow_woken(start_receiver, fake_airflow, writer):
    harness = start_receiver(fake_airflow, **writer)
    body = shopify_order()

    response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body, webhook_id="wh-0001"))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert len(answer["stored"]) == 1 and answer["duplicates"] == []
    event_id = answer["stored"][0]
    assert answer["events"] == [
        {"workflow": "demo/shopify_order_to_eshopbox", "event_id": event_id, "duplicate": False}
    ]
    event = harness.event(event_id)
    assert event.dedupe_key == "wh-0001" and event.payload == body
    wait_for(lambda: fake_airflow.accepted)
    [run] = fake_airflow.accepted
    assert run.dag_id == SHOPIFY_DAG
    assert run.body["dag_run_id"].startswith(f"drain__{event_id}__")
    assert run.body["conf"]["woken_by_event"] == event_id
    assert "logical_date" in run.body and run.body["logical_date"] is None
    assert run.body["note"] == f"woken by event {event_id}: shopify@1.0.0 order_created event wh-0001"
    assert harness.event(event_id).status == EventStatus.RECEIVED  # until the run claims it
    assert run.authorization and run.authorization.startswith("Bearer token-")


def test_redelivery_with_the_same_webhook_id_is_not_stored_or_triggered_again(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    first = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body, webhook_id="wh-dup"))
    event_id = first.json()["stored"][0]
    wait_for(lambda: fake_airflow.accepted)

    again = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body, webhook_id="wh-dup"))

    assert again.status_code == 200
    assert again.json()["stored"] == [] and again.json()["duplicates"] == [event_id]
    assert len(harness.events()) == 1
    time.sleep(0.5)  # two sweeps
    assert len(fake_airflow.requests) == 1


@pytest.mark.parametrize(
    "signature", [None, "", "not-a-signature", shopify_signature(b"another body"), shopify_signature(b"{}", "wrong")]
)
def test_unsigned_or_wrongly_signed_webhooks_are_refused_and_not_stored(start_receiver, fake_airflow, signature):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    headers = shopify_headers(body)
    del headers["X-Shopify-Hmac-Sha256"]
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature

    response = harness.post(SHOPIFY_ROUTE, body, headers)

    assert response.status_code == 401
    assert SHOPIFY_SECRET not in response.text
    assert harness.events() == []
    assert fake_airflow.requests == []


def test_malformed_json_is_a_bad_request(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = b'{"id": 1, "name": '
    response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert harness.events() == []


def test_missing_dedupe_key_is_a_bad_request(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = json.dumps({"externalShipmentID": "SHP-1", "status": "packed"}).encode()  # no status_updated_at
    response = harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": ESHOPBOX_TOKEN})
    assert response.status_code == 400
    assert harness.events() == []


def test_oversized_bodies_are_refused_by_content_length_and_by_bytes_read(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow, max_body_bytes=1024)
    body = json.dumps({"id": 1, "note": "x" * 2000}).encode()

    declared = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
    chunked = harness.post(SHOPIFY_ROUTE, (body[i : i + 100] for i in range(0, len(body), 100)), shopify_headers(body))

    assert declared.status_code == 413
    assert chunked.status_code == 413
    assert harness.events() == []
    small = shopify_order()
    assert harness.post(SHOPIFY_ROUTE, small, shopify_headers(small)).status_code == 200


def test_other_topics_are_acknowledged_and_ignored(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body, topic="orders/updated"))
    assert response.status_code == 200
    assert "ignored" in response.json()
    assert harness.events() == []


def test_eshopbox_token_fans_out_to_every_workflow_on_the_connection(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = json.dumps({"externalShipmentID": "SHP-7", "customerOrderNumber": "1001", "status": "packed",
                       "status_updated_at": "2026-11-28T10:00:00Z"}).encode()  # fmt: skip

    refused = harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": "wrong-token", "Content-Type": "application/json"})
    response = harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": ESHOPBOX_TOKEN, "Content-Type": "application/json"})

    assert refused.status_code == 401
    assert response.status_code == 200, response.text
    workflows = {e["workflow"] for e in response.json()["events"]}
    assert workflows == {"demo/eshopbox_packed_to_shopify_fulfillment", "demo/eshopbox_delivered_to_shopify_event"}
    events = harness.events()
    assert len(events) == 2 and {e.dedupe_key for e in events} == {r"SHP-7:packed:2026-11-28T10\:00\:00Z"}
    wait_for(lambda: len(fake_airflow.accepted) == 2)
    assert {r.dag_id for r in fake_airflow.accepted} == {
        "wf.demo.eshopbox_packed_to_shopify_fulfillment",
        "wf.demo.eshopbox_delivered_to_shopify_event",
    }
    again = harness.post(ESHOPBOX_ROUTE, body, {"x-api-key": ESHOPBOX_TOKEN})
    assert sorted(again.json()["duplicates"]) == sorted(e.id for e in events)


def test_one_workflow_route(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = json.dumps({"externalShipmentID": "SHP-8", "status": "delivered", "status_updated_at": "t1"}).encode()

    response = harness.post(
        "/webhooks/workflows/demo/eshopbox_delivered_to_shopify_event", body, {"x-api-key": ESHOPBOX_TOKEN}
    )

    assert response.status_code == 200
    assert [e["workflow"] for e in response.json()["events"]] == ["demo/eshopbox_delivered_to_shopify_event"]
    wait_for(lambda: fake_airflow.accepted)
    assert fake_airflow.accepted[0].dag_id == "wf.demo.eshopbox_delivered_to_shopify_event"


def test_stored_headers_hold_no_signature_or_token(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    headers = shopify_headers(body, webhook_id="wh-headers", **{"Authorization": "Bearer abc", "Cookie": "s=1"})
    shopify_id = harness.post(SHOPIFY_ROUTE, body, headers).json()["stored"][0]
    shipment = json.dumps({"externalShipmentID": "S", "status": "packed", "status_updated_at": "t"}).encode()
    eshopbox_ids = harness.post(ESHOPBOX_ROUTE, shipment, {"x-api-key": ESHOPBOX_TOKEN}).json()["stored"]

    stored = harness.event(shopify_id).headers
    assert stored == {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-webhook-id": "wh-headers",
        "x-shopify-shop-domain": "demo.myshopify.com",
        "x-shopify-triggered-at": "2026-11-28T10:00:00Z",
        "x-shopify-api-version": "2024-10",
        "user-agent": stored["user-agent"],
    }
    for event_id in eshopbox_ids:
        assert "x-api-key" not in harness.event(event_id).headers
    everything = json.dumps([e.headers for e in harness.events()])
    for secret in (SHOPIFY_SECRET, ESHOPBOX_TOKEN, headers["X-Shopify-Hmac-Sha256"], "Bearer abc"):
        assert secret not in everything


def test_disabled_workflow_stops_receiving_after_the_routing_refresh(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    assert harness.post(SHOPIFY_ROUTE, body, shopify_headers(body)).status_code == 200
    with session_scope(harness.db_url) as session:
        session.query(Workflow).filter_by(key="shopify_order_to_eshopbox").update({"enabled": False})

    def refused() -> bool:
        return harness.post(SHOPIFY_ROUTE, body, shopify_headers(body)).status_code == 401  # as if it never existed

    wait_for(refused, timeout=3, interval=0.1)


def test_routing_table_is_cached_not_read_per_request(start_receiver, fake_airflow, monkeypatch):
    harness = start_receiver(fake_airflow, routes_refresh_seconds=60)
    router = harness.receiver.router
    loads = []
    original = router._load
    monkeypatch.setattr(router, "_load", lambda: loads.append(1) or original())
    for _ in range(20):
        body = shopify_order()
        assert harness.post(SHOPIFY_ROUTE, body, shopify_headers(body)).status_code == 200
    assert len(loads) <= 1
    lookups = harness.receiver.connections.lookup.calls
    assert lookups == 1  # the connection was read once and cached


def test_rotated_secret_is_picked_up_without_waiting_for_the_cache(start_receiver, fake_airflow, monkeypatch):
    monkeypatch.setattr("connectors.webhooks.receiver.RECHECK_AFTER_SECONDS", 0.1)
    harness = start_receiver(fake_airflow, connection_cache_seconds=3600)
    body = shopify_order()
    assert harness.post(SHOPIFY_ROUTE, body, shopify_headers(body)).status_code == 200
    harness.receiver.connections.lookup.connections["demo_shopify"]["webhook_secret"] = "rotated-secret-value"
    time.sleep(0.15)  # a failed check re-reads a connection cached for longer than RECHECK_AFTER_SECONDS
    headers = shopify_headers(body)
    headers["X-Shopify-Hmac-Sha256"] = shopify_signature(body, "rotated-secret-value")
    assert harness.post(SHOPIFY_ROUTE, body, headers).status_code == 200


def test_missing_connection_refuses_signed_webhooks(start_receiver, fake_airflow):
    from connectors.webhooks.connections import StaticConnections

    others = {k: v for k, v in CONNECTIONS.items() if k != "demo_shopify"}
    harness = start_receiver(fake_airflow, connection_lookup=StaticConnections(others))
    body = shopify_order()
    assert harness.post(SHOPIFY_ROUTE, body, shopify_headers(body)).status_code == 401
    assert harness.events() == []


def test_connection_lookup_failure_answers_503_so_the_app_retries(start_receiver, fake_airflow):
    def broken(spec, conn_id):
        raise RuntimeError("metadata database down, password=hunter2")

    harness = start_receiver(fake_airflow, connection_lookup=broken)
    body = shopify_order()
    response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
    assert response.status_code == 503
    assert "hunter2" not in response.text


def test_health_reports_airflow_the_backlog_and_failed_events(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow, dispatch=False, mounted=True)
    harness.receiver.health.max_age = 0
    harness.http.headers["Authorization"] = f"Bearer {harness.token()}"
    response = harness.http.get(harness.base_url + "/health", timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok" and response.json()["problems"] == []
    assert response.json()["inbox"] == {"received": 0, "running": 0, "failed": 0, "oldest_waiting_seconds": None}

    event_id = post_shopify_order(harness)
    with session_scope(harness.db_url) as session:  # it has waited ten minutes: nothing drains it
        session.get_one(Event, event_id).received_at = utcnow() - dt.timedelta(minutes=10)
    fake_airflow.health["scheduler"] = {"status": "unhealthy", "latest_scheduler_heartbeat": "2026-11-30T09:00:00"}
    response = harness.http.get(harness.base_url + "/health", timeout=5)
    assert response.status_code == 503
    problems = response.json()["problems"]
    assert "Airflow scheduler is unhealthy (last heartbeat 2026-11-30T09:00:00)" in problems
    assert any(p.startswith("inbox backlog stuck: 1 events, oldest 6") for p in problems), problems
    assert response.json()["inbox"]["received"] == 1


def test_health_names_an_open_circuit(start_receiver, fake_airflow):
    from connectors.registry.circuits import trip
    from connectors.registry.db import get_engine

    harness = start_receiver(fake_airflow, dispatch=False, mounted=True)
    harness.receiver.health.max_age = 0
    harness.http.headers["Authorization"] = f"Bearer {harness.token()}"
    with get_engine(harness.db_url).begin() as connection:
        trip(connection, ("eshopbox", "demo_eshopbox"), "RetriesExhaustedError: 503", lambda _: dt.timedelta(minutes=5))
    response = harness.http.get(harness.base_url + "/health", timeout=5)
    assert response.status_code == 200, response.text
    [circuit] = response.json()["circuits"]
    assert (circuit["app"], circuit["connection"], circuit["state"], circuit["trips"]) == (
        "eshopbox",
        "demo_eshopbox",
        "open",
        1,
    )
    assert dt.datetime.fromisoformat(circuit["open_until"]) > utcnow()


def post_shopify_order(harness, order_id: int = 1) -> int:
    body = shopify_order(order_id)
    response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
    assert response.status_code == 200, response.text
    return response.json()["stored"][0]


def test_secrets_never_reach_the_logs(start_receiver, fake_airflow, caplog):
    caplog.set_level(logging.DEBUG)
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
    harness.post(SHOPIFY_ROUTE, body, {**shopify_headers(body), "X-Shopify-Hmac-Sha256": "bad"})
    harness.post(ESHOPBOX_ROUTE, b"{}", {"x-api-key": "wrong"})
    wait_for(lambda: fake_airflow.accepted)
    fake_airflow.mode = "unavailable"
    body = shopify_order(2)
    harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
    time.sleep(0.3)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    token = fake_airflow.accepted[0].authorization.removeprefix("Bearer ")
    for secret in (SHOPIFY_SECRET, ESHOPBOX_TOKEN, fake_airflow.password, token):
        assert secret not in logged


@pytest.mark.parametrize("in_loop", [True, False], ids=["loop", "thread"])
def test_concurrent_deliveries_are_each_stored_once(start_receiver, fake_airflow, in_loop):
    """Many deliveries at once (batched into shared transactions), each webhook id twice."""
    from concurrent.futures import ThreadPoolExecutor

    harness = start_receiver(fake_airflow, store_in_event_loop=in_loop)
    deliveries = []
    for n in range(40):
        body = shopify_order(n)
        deliveries += [(body, shopify_headers(body, webhook_id=f"wh-{n}"))] * 2

    def send(delivery):
        return harness.post(SHOPIFY_ROUTE, *delivery).json()

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, deliveries))

    assert len(harness.events()) == 40
    ids = [a["stored"] + a["duplicates"] for a in answers]
    assert all(len(i) == 1 for i in ids)
    assert sum(len(a["stored"]) for a in answers) == 40
    for n in range(40):  # both deliveries of one webhook id name the same event
        assert ids[2 * n] == ids[2 * n + 1]
    wait_for(lambda: fake_airflow.accepted)
    assert len(fake_airflow.accepted) < 40  # one workflow woken, not a run per event


@pytest.mark.parametrize("signature", ["é-not-ascii", "\u00ff" * 44], ids=["latin-1-byte", "all-high-bytes"])
def test_a_non_ascii_signature_header_is_401_and_nothing_is_stored(start_receiver, fake_airflow, signature):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    headers = {**shopify_headers(body), "X-Shopify-Hmac-Sha256": signature.encode("latin-1")}
    response = harness.http.post(harness.base_url + SHOPIFY_ROUTE, data=body, headers=headers, timeout=10)
    assert response.status_code == 401 and harness.events() == []


def test_signed_but_malformed_bodies_are_400_and_nothing_is_stored(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow, max_body_bytes=1024 * 1024)
    for body in (b"[" * 50_000 + b"]" * 50_000, b'{"id": ' + b"9" * 5000 + b"}", b"[1]", b'{"id": NaN}'):
        response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body))
        assert response.status_code == 400, (body[:20], response.text)
    assert harness.events() == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16"]
)
def test_a_signed_body_declared_as_something_else_than_utf8_json_is_415(start_receiver, fake_airflow, content_type):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    response = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body, **{"Content-Type": content_type}))
    assert response.status_code == 415 and ("JSON" in response.text or "UTF-8" in response.text)
    assert harness.events() == []
    accepted = harness.post(
        SHOPIFY_ROUTE, body, shopify_headers(body, **{"Content-Type": "application/json; charset=UTF-8"})
    )
    assert accepted.status_code == 200


def test_a_long_webhook_id_is_stored_once_under_its_hash(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    first = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body, webhook_id="x" * 600))
    again = harness.post(SHOPIFY_ROUTE, body, shopify_headers(body, webhook_id="x" * 600))
    assert first.status_code == again.status_code == 200
    assert again.json()["duplicates"] == first.json()["stored"]
    (event,) = harness.events()
    assert event.dedupe_key.startswith("sha256:")


def test_a_body_that_never_arrives_is_408_and_frees_the_connection(start_receiver, fake_airflow):
    import socket

    harness = start_receiver(fake_airflow, body_timeout_seconds=0.5)
    host, port = harness.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /webhooks/shopify/order_created/demo_shopify HTTP/1.1\r\nHost: {host}\r\n"
            'Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"id": 1}'.encode()
        )
        answer = sock.recv(4096).decode()  # blocks until the receiver answers: no sleep in the test
    assert answer.startswith("HTTP/1.1 408")
    assert harness.events() == []
