"""The Eshopbox → Ginesys OMS workflow as real DAG runs (`dag.test()`) against the sandboxes: an order Eshopbox
takes in is pushed into Browntape once, with its lines, and a shipment in another status is left alone."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.models.connection import Connection

from connectors.registry.models import EventStatus
from tests.airflow.test_workflow_runs import deliver, event_status, run
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.eshopbox_order_to_ginesys"
ITEMS = [("ESB-TEE-RED-M", 2, 499.0), ("ESB-MUG-WHITE", 1, 299.0)]


def eshopbox_order(sandbox: Sandbox, number: str) -> dict[str, Any]:
    """An order created in Eshopbox; its shipment (status `created`) is the webhook body."""
    items = [{"lineItemSequenceNumber": n, "itemID": sku, "productName": sku, "quantity": quantity,
              "customerPrice": price, "discount": 0, "lineItemTotal": price * quantity}
             for n, (sku, quantity, price) in enumerate(ITEMS, start=1)]  # fmt: skip
    address = {"customerName": "Asha Rao Kulkarni", "addressLine1": "12 MG Road", "city": "Bengaluru",
               "state": "Karnataka", "postalCode": "560001", "contactPhone": "9800000000"}  # fmt: skip
    body = {"externalChannelID": "GINESYS-DEMO", "customerOrderNumber": number, "orderDate": "2026-11-20 10:00:00",
            "isCOD": "1", "paymentType": "COD", "taxAmount": 0, "subtotal": 1297, "orderTotal": 1297,
            "balanceDue": 1297, "thirdPartyShipping": False, "shippingAddress": address, "billingAddress": address,
            "items": items}  # fmt: skip
    headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}
    response = sandbox.http.post(f"{sandbox.url}/eshopbox/wms/api/order", json=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["shipments"][0]  # type: ignore[no-any-return]


def ginesys_orders(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.control("ginesys", "/state", method="GET")["orders"]  # type: ignore[no-any-return]


def test_an_order_eshopbox_takes_in_is_pushed_into_ginesys_once(sandbox: Sandbox, demo: dict[str, int]) -> None:
    shipment = eshopbox_order(sandbox, "SHOP-6001")
    workflow_id = demo["eshopbox_order_to_ginesys"]
    event_id = deliver(workflow_id, f"{shipment['externalShipmentID']}:created", shipment)
    assert run(DAG_ID).state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)

    (order,) = ginesys_orders(sandbox)
    assert (order["order_reference"], order["channel_id"], order["created"]) == ("SHOP-6001", "68",
                                                                                 "2026-11-20 10:00:00")  # fmt: skip
    assert (order["customer"]["firstname"], order["customer"]["lastname"]) == ("Asha", "Rao Kulkarni")
    assert (order["shipping_address"]["zip"], order["financial_status"]) == ("560001", "pending")
    assert order["amount"] == 1297.0
    assert [(i["custom_code"], i["quantity"], i["price"]) for i in order["items"]] == ITEMS

    again = deliver(workflow_id, "redelivered-under-another-key", shipment)
    assert run(DAG_ID).state == "success"
    assert event_status(again)[0] is EventStatus.DONE and len(ginesys_orders(sandbox)) == 1


def test_a_shipment_in_another_status_is_filtered(sandbox: Sandbox, demo: dict[str, int]) -> None:
    shipment = {**eshopbox_order(sandbox, "SHOP-6002"), "status": "packed"}
    event_id = deliver(demo["eshopbox_order_to_ginesys"], "packed", shipment)
    run(DAG_ID)
    assert event_status(event_id) == (EventStatus.FILTERED, "condition not met: status equals 'created' (was 'packed')")
    assert ginesys_orders(sandbox) == []


def test_the_test_button_proves_the_demo_api_users_credentials(sandbox: Sandbox, demo: dict[str, int]) -> None:
    worked, message = Connection(conn_id="demo_ginesys", conn_type="integrations_ginesys").test_connection()
    assert worked, message
