"""The SAP S/4HANA seed workflow runs as real DAG runs (`dag.test()`): an Eshopbox shipment of an SAP outbound delivery
dispatched posts the delivery's goods issue in S/4HANA once, through Basic logon and the CSRF token (fetched by
each run's task); a shipment not yet dispatched is filtered."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.registry.models import EventStatus
from tests.airflow.test_workflow_runs import deliver, event_status, run
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

WORKFLOW = "eshopbox_dispatched_to_sap_s4hana_goods_issue"
DAG_ID = f"wf.demo.{WORKFLOW}"
ADDRESS = {
    "customerName": "Asha Rao",
    "addressLine1": "12, MG Road",
    "postalCode": "560001",
    "contactPhone": "9800000000",
}


def eshopbox_order_for_delivery(sandbox: Sandbox, delivery: str) -> dict[str, Any]:
    """The Eshopbox order made for an SAP outbound delivery (its number is the customer order number); its shipment."""
    order = {
        "externalChannelID": "SAP-S4HANA-DEMO",
        "customerOrderNumber": delivery,
        "isCOD": "0",
        "paymentType": "Prepaid",
        "taxAmount": 0,
        "subtotal": 998,
        "orderTotal": 998,
        "balanceDue": 0,
        "thirdPartyShipping": False,
        "shippingAddress": ADDRESS,
        "billingAddress": ADDRESS,
        "items": [{"lineItemSequenceNumber": 1, "itemID": "ESB-TEE-RED-M", "productName": "Tee", "quantity": 2,
                   "customerPrice": 499, "lineItemTotal": 998}],
    }  # fmt: skip
    headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}
    response = sandbox.http.post(f"{sandbox.url}/eshopbox/wms/api/order", json=order, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["shipments"][0]


def move(sandbox: Sandbox, shipment: dict[str, Any], status: str) -> dict[str, Any]:
    moved = sandbox.control("eshopbox", f"/shipments/{shipment['externalShipmentID']}/status", {"status": status})
    return moved.get("shipment", moved)


def sap_state(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("sap_s4hana", "/state", method="GET")


def test_dispatched_shipment_posts_the_deliverys_goods_issue_once(sandbox: Sandbox, demo: dict[str, int]) -> None:
    shipment = eshopbox_order_for_delivery(sandbox, "80000000")  # the demo sales order's delivery
    packed = deliver(demo[WORKFLOW], "packed", move(sandbox, shipment, "packed"))
    dispatched = move(sandbox, shipment, "dispatched")
    event_id = deliver(demo[WORKFLOW], "dispatched", dispatched)
    assert run(DAG_ID).state == "success"

    assert event_status(packed)[0] is EventStatus.FILTERED
    assert event_status(event_id) == (EventStatus.DONE, None)
    state = sap_state(sandbox)
    assert state["goods_issues"] == ["80000000"]
    (delivery,) = state["deliveries"]
    assert delivery["OverallGoodsMovementStatus"] == "C" and delivery["ActualGoodsMovementDate"].startswith("/Date(")
    assert state["csrf_fetches"] == 1

    # the same shipment reported again (a redelivery under a new key): the posted delivery is found, not posted again
    again = deliver(demo[WORKFLOW], "dispatched-again", dispatched)
    assert run(DAG_ID).state == "success"
    assert event_status(again) == (EventStatus.DONE, None)
    assert sap_state(sandbox)["goods_issues"] == ["80000000"]


def test_each_run_fetches_a_token_of_its_own_so_an_expired_session_does_not_matter(
    sandbox: Sandbox, demo: dict[str, int]
) -> None:
    order = sandbox.control("sap_s4hana", "/sales-orders", {
        "SalesOrderType": "OR", "SalesOrganization": "1710", "DistributionChannel": "10",
        "OrganizationDivision": "00", "SoldToParty": "17100002", "PurchaseOrderByCustomer": "WEB-7",
        "to_Item": [{"Material": "ESB-MUG-WHITE", "RequestedQuantity": "1"}],
    })["sales_order"]  # fmt: skip
    second = sandbox.control("sap_s4hana", "/deliveries", {"sales_order": order["SalesOrder"]})["delivery"]
    for number, key in (("80000000", "first"), (second["DeliveryDocument"], "second")):
        shipment = move(sandbox, eshopbox_order_for_delivery(sandbox, number), "dispatched")
        event_id = deliver(demo[WORKFLOW], key, shipment)
        assert run(DAG_ID).state == "success"
        assert event_status(event_id) == (EventStatus.DONE, None)
        sandbox.control("sap_s4hana", "/sessions/expire")
    state = sap_state(sandbox)
    assert state["goods_issues"] == ["80000000", second["DeliveryDocument"]]
    assert (state["csrf_fetches"], state["csrf_refusals"]) == (2, 0)  # the token is never shared between tasks
