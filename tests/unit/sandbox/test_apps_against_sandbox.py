"""Our own runtime and app definitions against the sandboxes: the YAMLs must reach them through environment values."""

from __future__ import annotations

import dataclasses
from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.request import render_request
from connectors.runtime.values import resolve_values
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.eshopbox.api import order_body
from tests.unit.sandbox.fixtures import SHOPIFY_SECRET, SHOPIFY_TOKEN, Sandbox


def client_for(
    app: str, credentials: dict[str, Any], properties: dict[str, Any], environment: dict[str, str]
) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    spec = load_app_version(BUILTIN_APPS / app / "1.0.0.yaml")
    connection = ConnectionValues(f"sandbox-{app}", credentials=credentials, properties=properties)
    return AppClient(spec, connection, environment=environment, session=session)


def run_action(client: AppClient, name: str, inputs: dict[str, Any]) -> requests.Response:
    """Render and send an action or search as the runtime does (`connectors.runtime.steps`); `{{ inputs.items }}`
    must mean the input named `items`, not the dict method."""
    spec = client.spec.actions.get(name) or client.spec.searches[name]
    values: Any = resolve_values(spec.inputs, inputs, f"inputs of {name}")
    return client.send(render_request(spec.request, client.template_context(inputs=values), client.base_url))


def test_shopify_app_sets_inventory_and_polls_orders(sandbox: Sandbox) -> None:
    client = client_for(
        "shopify",
        {"access_token": SHOPIFY_TOKEN, "webhook_secret": SHOPIFY_SECRET},
        {"shop": "demo"},
        {"ADMIN_BASE_URL": f"{sandbox.url}/shopify"},
    )
    assert client.base_url == f"{sandbox.url}/shopify/admin/api/2024-10"
    inputs = {"inventory_item_id": 44_000_000_002, "location_id": 65_000_000_001, "available": 12}
    response = run_action(client, "set_inventory_level", inputs)
    assert response.status_code == 200
    assert response.json()["inventory_level"]["available"] == 12
    assert response.headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"

    order = sandbox.control("shopify", "/orders", {"updated_at": "2024-10-02T10:00:00Z"})["order"]
    trigger = client.spec.triggers["orders_updated"]
    request = render_request(trigger.request, client.template_context(), client.base_url)
    window = {
        trigger.window.start_param: "2024-10-02T00:00:00+00:00",
        trigger.window.end_param: "2024-10-03T00:00:00+00:00",
    }
    polled = client.send(dataclasses.replace(request, params={**request.params, **window}))
    assert [o["id"] for o in polled.json()[trigger.records]] == [order["id"]]

    fo = run_action(client, "find_fulfillment_orders", {"order_id": order["id"]}).json()["fulfillment_orders"][0]
    created = run_action(
        client,
        "create_fulfillment",
        {"order_id": order["id"], "fulfillment_order_id": fo["id"], "tracking_number": "1490800000009"},
    )
    assert created.status_code == 201
    fulfillment_id = created.json()["fulfillment"]["id"]
    event = run_action(
        client,
        "create_fulfillment_event",
        {"order_id": order["id"], "fulfillment_id": fulfillment_id, "status": "delivered"},
    )
    assert event.json()["fulfillment_event"]["status"] == "delivered"


def eshopbox_client(sandbox: Sandbox) -> AppClient:
    return client_for(
        "eshopbox",
        {
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
            "refresh_token": "sandbox-refresh-token",
            "webhook_token": "sandbox-eshopbox-webhook-key",
        },
        {"workspace": "demo", "channel_id": "SHOPIFY-DEMO"},
        {
            "WMS_BASE_URL": f"{sandbox.url}/eshopbox/wms",
            "AUTH_BASE_URL": f"{sandbox.url}/eshopbox/auth",
            "PLATFORM_BASE_URL": f"{sandbox.url}/eshopbox/platform",
        },
    )


def order_inputs(number: str) -> dict[str, Any]:
    sample = order_body(number)
    return {
        "customer_order_number": number,
        "order_date": "2024-10-03 10:00:00",
        "subtotal": 499,
        "tax_amount": 90,
        "order_total": 589,
        "shipping_address": sample["shippingAddress"],
        "items": sample["items"],
    }


def test_eshopbox_app_gets_a_token_and_creates_an_order(sandbox: Sandbox) -> None:
    client = eshopbox_client(sandbox)
    response = run_action(client, "create_order", order_inputs("SO-1001"))
    assert response.status_code == 200, response.text
    shipment_id = response.json()["shipments"][0]["externalShipmentID"]
    assert response.json()["externalChannelID"] == "SHOPIFY-DEMO"

    marked = run_action(client, "mark_shipment_status", {"shipment_id": shipment_id, "status": "packed"})
    assert marked.json()["status"] == "packed"
    found = run_action(client, "find_shipment", {"shipment_id": shipment_id}).json()
    update = run_action(
        client,
        "update_courier_status",
        {"waybill": found["trackingID"], "courier": "Delhivery", "status": "Delivered", "status_code": 8},
    )
    assert update.json()["meta"]["success"] is True
    state = sandbox.control("eshopbox", "/state", method="GET")
    assert state["token_calls"] == 1  # one token, cached for every call
    assert state["shipments"][0]["status"] == "delivered"


def test_eshopbox_create_order_with_plain_dict_inputs(sandbox: Sandbox) -> None:
    response = run_action(eshopbox_client(sandbox), "create_order", order_inputs("SO-1002"))
    assert response.status_code == 200


def test_delhivery_app_tracks_a_waybill(sandbox: Sandbox) -> None:
    sandbox.control("delhivery", "/shipments", {"waybill": "1490800000042", "reference_no": "SO-42"})
    client = client_for(
        "delhivery",
        {"api_token": "sandbox-delhivery-token", "webhook_token": "sandbox-delhivery-webhook-token"},
        {},
        {"BASE_URL": f"{sandbox.url}/delhivery"},
    )
    body = run_action(client, "track_shipment", {"waybill": "1490800000042"}).json()
    assert body[client.spec.searches["track_shipment"].records][0]["Shipment"]["ReferenceNo"] == "SO-42"
