"""Flipkart's order-management notifications through the real receiver: the Flipkart sandbox signs each one
(`X_Authorization: FKLOGIN base64(appId:sha1(X_Date + url + method + secret))`, `X_Date`) and POSTs it to the
receiver's route for the app's `shipment_event` trigger; the receiver verifies it with the `fklogin` preset and
stores it once. Forged or altered signed parts are refused with 401 and nothing stored; Flipkart's retry of a
delivery (the same bytes and headers) is a duplicate of the stored event."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.registry.db import session_scope
from connectors.spec import Catalog
from connectors.webhooks.connections import StaticConnections
from connectors.workflows.store import apply_workflows, load_workflow_files
from tests.unit.sandbox.fixtures import Receiver, Sandbox
from tests.unit.webhooks.conftest import CONNECTIONS, Harness

APP_ID, APP_SECRET = "sandbox-flipkart-app-id", "sandbox-flipkart-app-secret"  # the sandbox's defaults
ROUTE = "/webhooks/flipkart/shipment_event/demo_flipkart"
WORKFLOW = """\
client: demo
key: flipkart_cancelled_to_eshopbox
name: Flipkart shipment cancelled → Eshopbox shipment cancelled
trigger:
  app: flipkart@1.0.0
  connection: demo_flipkart
  key: shipment_event
conditions:
  all:
    - {field: eventType, operator: equals, value: shipment_cancelled}
steps:
  - key: order
    app: eshopbox@1.0.0
    connection: demo_eshopbox_flipkart
    search: find_order
    inputs:
      customer_order_number: "{{ trigger.attributes.orderItems[0].orderId }}"
  - key: cancelled
    app: eshopbox@1.0.0
    connection: demo_eshopbox_flipkart
    action: mark_shipment_status
    inputs:
      shipment_id: "{{ steps.order.shipments[0].externalShipmentID }}"
      status: cancelled
"""


@pytest.fixture
def flipkart_workflow(registry: str, catalog: Catalog, tmp_path: Path) -> str:
    """A webhook workflow on Flipkart's `shipment_event` (the seeds only poll Flipkart), applied to the registry."""
    path = tmp_path / "workflows" / "flipkart_cancelled_to_eshopbox.yaml"
    path.parent.mkdir()
    path.write_text(WORKFLOW)
    with session_scope(registry) as session:
        apply_workflows(session, load_workflow_files([path], catalog))
    return "demo/flipkart_cancelled_to_eshopbox"


def flipkart_receiver(start_receiver: Callable[..., Harness], **overrides: Any) -> Harness:
    """The receiver (no Airflow to wake), knowing the `demo_flipkart` connection as the sandbox's app id and secret."""
    demo_flipkart = {"client_id": APP_ID, "client_secret": APP_SECRET, "location_id": "LOC-SANDBOX-1"}
    lookup = StaticConnections({**CONNECTIONS, "demo_flipkart": demo_flipkart})
    return start_receiver(connection_lookup=lookup, dispatch=False, **overrides)


@pytest.fixture
def harness(start_receiver: Callable[..., Harness], flipkart_workflow: str) -> Harness:
    return flipkart_receiver(start_receiver)


def deliveries(sandbox: Sandbox) -> list[dict[str, Any]]:
    """The sandbox's Flipkart deliveries, in the order they were made."""
    return sandbox.state.deliveries_of("flipkart")


def captured_notification(sandbox: Sandbox, receiver: Receiver) -> tuple[bytes, dict[str, str]]:
    """A `shipment_created` notification as the sandbox sent it to `receiver` (a host in front of ours): body and
    the headers Flipkart sends."""
    sandbox.control("flipkart", "/webhook", {"url": receiver.url + ROUTE})
    sandbox.control("flipkart", "/shipments?wait=true", {"sku": "ESB-TEE-RED-M"})
    captured = receiver.wait_for(1)[0]
    return captured.body, {
        name: captured.headers[name.lower()] for name in ("Content-Type", "X_Date", "X_Authorization")
    }


def test_a_signed_notification_is_stored_once_and_its_redelivery_is_a_duplicate(
    sandbox: Sandbox, harness: Harness
) -> None:
    sandbox.control("flipkart", "/webhook", {"url": harness.base_url + ROUTE})  # the sandbox posts to the receiver
    created = sandbox.control("flipkart", "/shipments?wait=true", {"sku": "ESB-TEE-RED-M"})["shipment"]
    shipment_id = created["shipmentId"]
    moved = sandbox.control("flipkart", f"/shipments/{shipment_id}/status?wait=true", {"status": "CANCELLED"})
    assert moved["status"] == "CANCELLED"

    sent = deliveries(sandbox)
    assert [(d["topic"], [a["status"] for a in d["attempts"]]) for d in sent] == [
        ("shipment_created", [200]),
        ("shipment_cancelled", [200]),
    ]
    events = harness.events()
    assert [(e.dedupe_key.split(":")[:2], e.status.value) for e in events] == [
        ([shipment_id, "shipment_created"], "received"),
        ([shipment_id, "shipment_cancelled"], "received"),
    ]
    cancelled = events[1]
    assert cancelled.payload == sent[1]["body"].encode()  # stored byte for byte

    # Flipkart retries a delivery with the same bytes, X_Date and X_Authorization: accepted, not stored again
    redelivered = sandbox.control("flipkart", f"/redeliver/{sent[1]['id']}?wait=true")
    assert [a["status"] for a in redelivered["attempts"]] == [200, 200]
    answer = harness.post(ROUTE, sent[1]["body"].encode(), sent[1]["headers"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == [] and answer.json()["duplicates"] == [cancelled.id]
    assert answer.json()["events"] == [
        {"workflow": "demo/flipkart_cancelled_to_eshopbox", "event_id": cancelled.id, "duplicate": True}
    ]
    assert [e.id for e in harness.events()] == [e.id for e in events]


def forgeries(headers: dict[str, str]) -> dict[str, dict[str, str]]:
    """The sandbox-signed headers, each with one signed part changed or missing."""
    token = base64.b64decode(headers["X_Authorization"].removeprefix("FKLOGIN ")).decode()
    app_id, _, signature = token.partition(":")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    later = format_datetime(parsedate_to_datetime(headers["X_Date"]) + dt.timedelta(seconds=1), usegmt=True)

    def fklogin(text: str) -> str:
        return "FKLOGIN " + base64.b64encode(text.encode()).decode()

    return {
        "signature altered": {**headers, "X_Authorization": fklogin(f"{app_id}:{flipped}")},
        "another app id": {**headers, "X_Authorization": fklogin(f"other-app-id:{signature}")},
        "X_Date changed": {**headers, "X_Date": later},
        "X_Date missing": {k: v for k, v in headers.items() if k != "X_Date"},
        "no signature": {k: v for k, v in headers.items() if k != "X_Authorization"},
        "not FKLOGIN": {**headers, "X_Authorization": headers["X_Authorization"].replace("FKLOGIN", "Bearer")},
    }


def test_a_tampered_notification_is_refused_with_401_and_nothing_is_stored(
    sandbox: Sandbox, receiver: Receiver, start_receiver: Callable[..., Harness], flipkart_workflow: str
) -> None:
    # FKLOGIN signs the URL Flipkart posts to: the notification is captured at the host in front of the receiver
    # (a TLS-terminating proxy, `public_url`), then sent on to the receiver, untouched or tampered with
    body, headers = captured_notification(sandbox, receiver)
    proxied = flipkart_receiver(start_receiver, public_url=receiver.url)
    for what, forged in forgeries(headers).items():
        answer = proxied.post(ROUTE, body, forged)
        assert answer.status_code == 401, (what, answer.status_code, answer.text)
    assert proxied.events() == []

    # the untouched one is signed for a URL the receiver does not answer at unless told (`public_url`)
    direct = flipkart_receiver(start_receiver)
    assert direct.post(ROUTE, body, headers).status_code == 401
    assert direct.events() == []

    # control: the untouched one through the proxied receiver is stored, once
    answer = proxied.post(ROUTE, body, headers)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["stored"]) == 1
    assert [event.id for event in proxied.events()] == answer.json()["stored"]
    assert proxied.post(ROUTE, body, headers).json()["duplicates"] == answer.json()["stored"]
