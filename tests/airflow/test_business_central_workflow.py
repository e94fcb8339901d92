"""The Eshopbox → Business Central workflow as real DAG runs (`dag.test()`) against the sandboxes: an order Eshopbox
takes in becomes one BC sales order with its lines under the channel's customer, a redelivery finds it instead of
creating another, and a shipment in another status is left alone."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.registry.models import EventStatus
from tests.airflow.test_workflow_runs import deliver, event_status, run
from tests.unit.sandbox.business_central.api import COMPANY_ID
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.eshopbox_order_to_business_central"
ITEMS = [("ESB-TEE-RED-M", "T-shirt red M", 2, 499.0), ("ESB-MUG-WHITE", "Mug white", 1, 299.0)]


def eshopbox_order(sandbox: Sandbox, number: str) -> dict[str, Any]:
    """An order created in Eshopbox on the Shopify channel; its shipment (status `created`) is the webhook body."""
    items = [{"lineItemSequenceNumber": n, "itemID": sku, "productName": name, "quantity": quantity,
              "customerPrice": price, "discount": 0, "lineItemTotal": price * quantity}
             for n, (sku, name, quantity, price) in enumerate(ITEMS, start=1)]  # fmt: skip
    address = {"customerName": "Asha Rao", "addressLine1": "12 MG Road", "city": "Bengaluru", "state": "Karnataka",
               "postalCode": "560001", "contactPhone": "9800000000"}  # fmt: skip
    body = {"externalChannelID": "SHOPIFY-DEMO", "customerOrderNumber": number, "orderDate": "2026-11-20 10:00:00",
            "isCOD": "0", "paymentType": "Prepaid", "taxAmount": 0, "subtotal": 1297, "orderTotal": 1297,
            "balanceDue": 0, "thirdPartyShipping": False, "shippingAddress": address, "billingAddress": address,
            "items": items}  # fmt: skip
    headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}
    response = sandbox.http.post(f"{sandbox.url}/eshopbox/wms/api/order", json=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["shipments"][0]


def sales_orders(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.control("business_central", "/state", method="GET")["companies"][COMPANY_ID]["sales_orders"]


def test_an_order_eshopbox_takes_in_becomes_one_bc_sales_order(sandbox: Sandbox, demo: dict[str, int]) -> None:
    shipment = eshopbox_order(sandbox, "SHOP-5001")
    workflow_id = demo["eshopbox_order_to_business_central"]
    event_id = deliver(workflow_id, f"{shipment['externalShipmentID']}:created", shipment)
    assert run(DAG_ID).state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)

    (order,) = sales_orders(sandbox)
    assert (order["externalDocumentNumber"], order["customerNumber"], order["orderDate"]) == (
        "SHOP-5001", "C-ESHOPBOX", "2026-11-20",
    )  # fmt: skip
    assert (order["shipToName"], order["shipToCity"], order["shipToPostCode"]) == ("Asha Rao", "Bengaluru", "560001")
    lines = [(line["lineObjectNumber"], line["description"], line["quantity"], line["unitPrice"])
             for line in order["salesOrderLines"]]  # fmt: skip
    assert lines == ITEMS and order["totalAmountIncludingTax"] == 1297.0

    again = deliver(workflow_id, "redelivered-under-another-key", shipment)
    assert run(DAG_ID).state == "success"
    assert event_status(again)[0] is EventStatus.DONE and len(sales_orders(sandbox)) == 1


def test_a_shipment_in_another_status_is_filtered(sandbox: Sandbox, demo: dict[str, int]) -> None:
    shipment = {**eshopbox_order(sandbox, "SHOP-5002"), "status": "packed"}
    event_id = deliver(demo["eshopbox_order_to_business_central"], "packed", shipment)
    run(DAG_ID)
    assert event_status(event_id) == (EventStatus.FILTERED, "condition not met: status equals 'created' (was 'packed')")
    assert sales_orders(sandbox) == []
