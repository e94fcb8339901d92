"""The WooCommerce seed workflow runs as a real DAG run (`dag.test()`): a webhook the WooCommerce sandbox signed and
sent, accepted by the receiver, becomes one Eshopbox order in the WooCommerce sales channel."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.inbox import requeue_event
from connectors.registry.models import ActionLogEntry, Event, EventStatus
from connectors.webhooks import WebhookSettings, create_app
from tests.airflow.test_workflow_runs import event_status, run
from tests.unit.sandbox.fixtures import Receiver, Sandbox
from tests.unit.sandbox.woocommerce.api import wc

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.woocommerce_order_to_eshopbox"
ROUTE = "/webhooks/woocommerce/order_created/demo_woocommerce"


def woocommerce_order_webhook(sandbox: Sandbox, receiver: Receiver) -> tuple[dict[str, Any], bytes, dict[str, str]]:
    """Subscribe `order.created` at the sandbox store, place an order; the order and the delivery as sent."""
    hook = wc(sandbox, "POST", "/webhooks", json={"topic": "order.created", "delivery_url": f"{receiver.url}/hook"})
    assert hook.status_code == 201, hook.text
    receiver.wait_for(1)  # WooCommerce's ping when a webhook is saved
    placed = sandbox.control("woocommerce", "/orders?wait=true", {"sku": "ESB-TEE-RED-M", "quantity": 2})
    delivered = receiver.wait_for(2)[-1]
    return placed["order"], delivered.body, delivered.headers


def receive(registry_url: str, body: bytes, headers: dict[str, str]) -> int:
    """What the api-server's receiver does with the delivery: verify it, store the event; its id."""
    forwarded = {name: value for name, value in headers.items() if name.startswith("x-wc-") or name == "content-type"}
    settings = WebhookSettings(db_url=registry_url, dispatch=False, gc_freeze=False)
    with TestClient(create_app(settings)) as client:
        answer = client.post(ROUTE, content=body, headers=forwarded)
    assert answer.status_code == 200, answer.text
    with session_scope() as session:
        return session.scalars(select(Event.id).order_by(Event.id.desc())).first()


def eshopbox_orders_for(sandbox: Sandbox, number: str) -> list[dict[str, Any]]:
    orders = sandbox.control("eshopbox", "/state", method="GET")["orders"]
    return [o for o in orders if o["customerOrderNumber"] == number]


def test_woocommerce_order_webhook_becomes_one_eshopbox_order(
    sandbox: Sandbox, receiver: Receiver, demo: dict[str, int], sqlite_registry: str
) -> None:
    order, body, headers = woocommerce_order_webhook(sandbox, receiver)
    event_id = receive(sqlite_registry, body, headers)

    assert run(DAG_ID).state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    (created,) = eshopbox_orders_for(sandbox, order["number"])
    assert created["externalChannelID"] == "WOOCOMMERCE-DEMO"
    assert created["isCOD"] == "1" and created["orderTotal"] == 998.0
    assert [(i["itemID"], i["quantity"], i["lineItemTotal"]) for i in created["items"]] == [("ESB-TEE-RED-M", 2, 998.0)]
    assert created["shippingAddress"]["customerName"] == "Asha Verma"
    assert created["shippingAddress"]["postalCode"] == "122002"

    # a replay of the event, and the same order delivered again under a new delivery id: still one order
    with session_scope() as session:
        requeue_event(session, event_id)
    assert run(DAG_ID).state == "success"
    again = receive(sqlite_registry, body, {**headers, "x-wc-webhook-delivery-id": "redelivered-1"})
    assert again != event_id
    assert run(DAG_ID).state == "success"
    assert event_status(again) == (EventStatus.DONE, None)
    assert len(eshopbox_orders_for(sandbox, order["number"])) == 1
    with session_scope() as session:
        outcome = session.scalar(select(ActionLogEntry.outcome).where(ActionLogEntry.dedupe_key == "redelivered-1"))
    assert outcome == "found"


def test_a_forged_woocommerce_webhook_is_refused_and_nothing_runs(
    sandbox: Sandbox, receiver: Receiver, demo: dict[str, int], sqlite_registry: str
) -> None:
    _, body, headers = woocommerce_order_webhook(sandbox, receiver)
    settings = WebhookSettings(db_url=sqlite_registry, dispatch=False, gc_freeze=False)
    forged = {**headers, "x-wc-webhook-signature": "AAAA" + headers["x-wc-webhook-signature"][4:]}
    with TestClient(create_app(settings)) as client:
        answer = client.post(ROUTE, content=body, headers={k: v for k, v in forged.items() if k.startswith("x-wc-")})
    assert answer.status_code == 401
    with session_scope() as session:
        assert session.scalars(select(Event)).all() == []
