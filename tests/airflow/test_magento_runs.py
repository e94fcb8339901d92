"""The Magento seed workflow runs as real DAG runs (`dag.test()`): a polling run reads its window of Magento orders
(admin token auth, `searchCriteria`) and creates each order ready to ship in Eshopbox exactly once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.models import Event, EventStatus
from tests.airflow.test_workflow_runs import run
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.magento_order_to_eshopbox"
WINDOW_START = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def magento_order(sandbox: Sandbox, minutes: int, **spec: Any) -> dict[str, Any]:
    updated = (WINDOW_START + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
    return sandbox.control("magento", "/orders", {"updated_at": updated, **spec})["order"]


def eshopbox_orders(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    return {o["customerOrderNumber"]: o for o in sandbox.control("eshopbox", "/state", method="GET")["orders"]}


def test_polling_run_creates_the_windows_magento_orders_in_eshopbox_once(
    sandbox: Sandbox, demo: dict[str, int]
) -> None:
    paid = magento_order(sandbox, 5, items=[{"sku": "ESB-TEE-RED-M", "qty": 2, "price": "499.00"}])
    cod = magento_order(sandbox, 10, sku="ESB-MUG-WHITE", payment_method="cashondelivery")
    shipped = magento_order(sandbox, 12, status="complete")
    later = magento_order(sandbox, 40)

    # a manual run at 10:15 covers the quarter hour before it: [10:00, 10:15)
    assert run(DAG_ID, logical_date=WINDOW_START + dt.timedelta(minutes=15)).state == "success"

    created = eshopbox_orders(sandbox)
    assert set(created) == {paid["increment_id"], cod["increment_id"]}
    assert shipped["increment_id"] not in created and later["increment_id"] not in created
    tee = created[paid["increment_id"]]
    assert tee["externalChannelID"] == "MAGENTO-DEMO" and tee["isCOD"] == "0" and tee["orderTotal"] == 998.0
    assert [(i["itemID"], i["quantity"]) for i in tee["items"]] == [("ESB-TEE-RED-M", 2)]
    assert tee["shippingAddress"]["addressLine1"] == "12, MG Road"
    assert created[cod["increment_id"]]["isCOD"] == "1"
    with session_scope() as session:
        statuses = sorted(str(s) for s in session.scalars(select(Event.status)))
    assert statuses == sorted(str(s) for s in (EventStatus.DONE, EventStatus.DONE, EventStatus.FILTERED))

    # the same window polled again (a backfill): nothing new in Eshopbox
    assert run(DAG_ID, logical_date=WINDOW_START + dt.timedelta(minutes=15)).state == "success"
    assert set(eshopbox_orders(sandbox)) == {paid["increment_id"], cod["increment_id"]}
