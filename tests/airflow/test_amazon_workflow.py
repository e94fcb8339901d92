"""The Amazon workflow as a real DAG run (`dag.test()`) against the sandboxes: a polled window of Amazon orders
becomes Eshopbox orders on the Amazon channel, once; orders not waiting to ship are left."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.factory import register_workflow_dags
from tests.airflow.demo import eshopbox_orders_on
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.amazon_order_to_eshopbox"
WINDOW_END = dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)


def eshopbox_orders(sandbox: Sandbox) -> dict[str, dict]:
    return eshopbox_orders_on(sandbox, "AMAZON-DEMO")


def new_order(sandbox: Sandbox, minutes_before_end: float, **spec: object) -> dict:
    stamp = (WINDOW_END - dt.timedelta(minutes=minutes_before_end)).isoformat()
    return sandbox.control("amazon", "/orders", {"updated_at": stamp, **spec})["order"]


def test_unshipped_orders_of_the_window_become_eshopbox_orders_once(sandbox: Sandbox, demo: dict[str, int]) -> None:
    inside = [new_order(sandbox, 14 - n / 10, payment_method="COD" if n == 0 else "Other") for n in range(3)]
    two_lines = new_order(sandbox, 5, items=[{"sku": "ESB-TEE-RED-M", "quantity": 2, "price": 499},
                                             {"sku": "ESB-MUG-WHITE", "quantity": 1, "price": 299}])  # fmt: skip
    new_order(sandbox, 3, status="Pending")  # not paid yet: left for a later window
    new_order(sandbox, -60)  # after the window

    dag = register_workflow_dags({})[DAG_ID]
    assert dag.test(logical_date=WINDOW_END).state == "success"

    orders = eshopbox_orders(sandbox)
    assert set(orders) == {o["AmazonOrderId"] for o in [*inside, two_lines]}
    first = orders[inside[0]["AmazonOrderId"]]
    assert first["isCOD"] == "1" and first["orderTotal"] == 499.0
    assert first["shippingAddress"]["customerName"] == "Asha Rao" and first["shippingAddress"]["postalCode"] == "560001"
    lines = orders[two_lines["AmazonOrderId"]]["items"]
    assert [(i["itemID"], i["quantity"], i["lineItemTotal"]) for i in lines] == [
        ("ESB-TEE-RED-M", 2, 998.0),
        ("ESB-MUG-WHITE", 1, 299.0),
    ]

    assert dag.test(logical_date=WINDOW_END).state == "success"  # the same window again: nothing new
    assert len(eshopbox_orders(sandbox)) == 4
