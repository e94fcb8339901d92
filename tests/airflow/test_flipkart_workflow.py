"""The Flipkart workflow as a real DAG run (`dag.test()`) against the sandboxes: a polled window of APPROVED
shipments, across `nextPageUrl` pages, becomes Eshopbox orders on the Flipkart channel, once."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.factory import register_workflow_dags
from tests.airflow.demo import eshopbox_orders_on
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.flipkart_approved_to_eshopbox"
WINDOW_END = dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)


def eshopbox_orders(sandbox: Sandbox) -> dict[str, dict]:
    return eshopbox_orders_on(sandbox, "FLIPKART-DEMO")


def test_approved_shipments_of_the_window_become_eshopbox_orders_once(sandbox: Sandbox, demo: dict[str, int]) -> None:
    inside = [
        sandbox.control("flipkart", "/shipments", {
            "sku": "ESB-TEE-RED-M", "quantity": 2, "price": 499, "payment_type": "COD" if n == 0 else "PREPAID",
            "updated_at": (WINDOW_END - dt.timedelta(minutes=14 - n // 2)).isoformat(),
        })["shipment"]
        for n in range(22)  # two pages of 20
    ]  # fmt: skip
    sandbox.control("flipkart", "/shipments", {"updated_at": (WINDOW_END + dt.timedelta(hours=1)).isoformat()})

    dag = register_workflow_dags({})[DAG_ID]
    assert dag.test(logical_date=WINDOW_END).state == "success"

    orders = eshopbox_orders(sandbox)
    assert set(orders) == {s["orderItems"][0]["orderId"] for s in inside}
    first = orders[inside[0]["orderItems"][0]["orderId"]]
    assert first["isCOD"] == "1" and first["orderTotal"] == 998.0
    assert first["shippingAddress"]["customerName"] == "Asha Rao" and first["shippingAddress"]["postalCode"] == "560001"
    assert [(i["itemID"], i["quantity"]) for i in first["items"]] == [("ESB-TEE-RED-M", 2)]

    assert dag.test(logical_date=WINDOW_END).state == "success"  # the same window again: nothing new
    assert len(eshopbox_orders(sandbox)) == len(inside)
