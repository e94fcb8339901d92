"""The Paytm Mall workflow as a real DAG run (`dag.test()`) against the sandboxes: a polled window of new orders,
across offset pages, logged in with the two-step persona login, becomes Eshopbox orders on the Paytm Mall channel,
once, and each order is acknowledged on Paytm Mall."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.factory import register_workflow_dags
from tests.airflow.demo import eshopbox_orders_on
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.paytm_mall_order_to_eshopbox"
WINDOW_END = dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)


def eshopbox_orders(sandbox: Sandbox) -> dict[str, dict]:
    return eshopbox_orders_on(sandbox, "PAYTM-MALL-DEMO")


def test_new_orders_of_the_window_become_eshopbox_orders_once(sandbox: Sandbox, demo: dict[str, int]) -> None:
    inside = [
        sandbox.control("paytm_mall", "/orders", {
            "sku": "ESB-TEE-RED-M", "qty": 2, "price": 499, "payment_method": "COD" if n == 0 else "PREPAID",
            "updated_at": (WINDOW_END - dt.timedelta(minutes=14 - n // 2)).isoformat(),
        })["order"]
        for n in range(27)  # two pages of 25
    ]  # fmt: skip
    sandbox.control("paytm_mall", "/orders", {"updated_at": (WINDOW_END + dt.timedelta(hours=1)).isoformat()})

    dag = register_workflow_dags({})[DAG_ID]
    assert dag.test(logical_date=WINDOW_END).state == "success"

    orders = eshopbox_orders(sandbox)
    assert set(orders) == {o["id"] for o in inside}
    first = orders[inside[0]["id"]]
    assert first["isCOD"] == "1" and first["orderTotal"] == 998.0
    assert first["shippingAddress"]["customerName"] == "Asha Rao" and first["shippingAddress"]["postalCode"] == "560001"
    assert [(i["itemID"], i["quantity"]) for i in first["items"]] == [("ESB-TEE-RED-M", 2)]
    paytm = {o["id"]: o for o in sandbox.control("paytm_mall", "/state", method="GET")["orders"]}
    assert {paytm[o["id"]]["status"] for o in inside} == {5}  # acknowledged

    assert dag.test(logical_date=WINDOW_END).state == "success"  # the same window again: nothing new
    assert len(eshopbox_orders(sandbox)) == len(inside)
