"""The Shopify → SAP Business One workflow as real DAG runs (`dag.test()`): each new Shopify order becomes one B1
sales order, also after the Service Layer session went idle between two runs (a 401, a new login, the call again)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.inbox import requeue_event
from connectors.registry.models import ActionLogEntry, EventStatus
from tests.airflow.test_workflow_runs import create_shopify_order, deliver, event_status, run
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.shopify_order_to_sap_business_one"
KEY = "shopify_order_to_sap_business_one"


def b1(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("sap_business_one", "/state", method="GET")


def b1_orders(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    return {order["NumAtCard"]: order for order in b1(sandbox)["orders"]}


def test_shopify_orders_become_sales_orders_once_across_an_idle_session(sandbox: Sandbox, demo: dict[str, int]) -> None:
    first = create_shopify_order(sandbox)
    event_id = deliver(demo[KEY], "webhook-1", first)
    assert run(DAG_ID).state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    order = b1_orders(sandbox)[str(first["id"])]
    assert order["CardCode"] == "C-SHOPIFY" and order["Comments"] == f"Shopify order {first['name']}"
    assert [(line["ItemCode"], line["Quantity"], line["UnitPrice"], line["WarehouseCode"])
            for line in order["DocumentLines"]] == [("ESB-TEE-RED-M", 2, 499.0, "01")]  # fmt: skip
    assert b1(sandbox)["logins"] == 1

    # 31 minutes without a call: the Service Layer has dropped the session the token store still holds
    sandbox.control("sap_business_one", "/clock/advance", {"seconds": 31 * 60})
    second = create_shopify_order(sandbox)
    later = deliver(demo[KEY], "webhook-2", second)
    assert run(DAG_ID).state == "success"
    assert event_status(later) == (EventStatus.DONE, None)
    assert set(b1_orders(sandbox)) == {str(first["id"]), str(second["id"])}
    assert b1(sandbox)["logins"] == 2  # logged in again once, after the 401

    # a replay of the first event, and a redelivery of it under a new key: neither enters it twice
    with session_scope() as session:
        requeue_event(session, event_id)
    assert run(DAG_ID).state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    again = deliver(demo[KEY], "webhook-3", first)
    assert run(DAG_ID).state == "success"
    assert event_status(again) == (EventStatus.DONE, None)
    assert len(b1(sandbox)["orders"]) == 2
    with session_scope() as session:
        outcome = session.scalar(select(ActionLogEntry.outcome).where(ActionLogEntry.dedupe_key == "webhook-3"))
    assert outcome == "found"  # find_order by NumAtCard
