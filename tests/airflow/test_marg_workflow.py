"""The Marg → Shopify stock workflow as real DAG runs (`dag.test()`) against the sandboxes: the stock of the items
Marg changed since the window's start becomes Shopify's available inventory; a deleted item and an item Shopify
does not have are not pushed."""

from __future__ import annotations

import datetime as dt

import pytest
from airflow.models.connection import Connection
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.models import Event, EventStatus
from tests.airflow.test_workflow_runs import run
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.marg_stock_to_shopify"
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def ist(moment: dt.datetime) -> str:
    return moment.astimezone(IST).replace(tzinfo=None).isoformat()


def test_a_polling_run_sets_shopify_inventory_from_margs_changed_stock(sandbox: Sandbox, demo: dict[str, int]) -> None:
    window_start = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    inside = ist(window_start + dt.timedelta(minutes=10))
    sandbox.control("marg", "/products", {"items": [
        {"code": "ESB-TEE-RED-M", "stock": 17, "at": inside},
        {"code": "ESB-MUG-WHITE", "stock": 3.0, "at": inside},
        {"code": "NOT-IN-SHOPIFY", "stock": 9, "at": inside},
        {"code": "ESB-TEE-BLUE-L", "stock": 11, "deleted": True, "at": inside},
    ]})  # fmt: skip
    run(DAG_ID, logical_date=window_start + dt.timedelta(hours=1))  # the hour before: [10:00, 11:00)
    levels = {
        (level["inventory_item_id"], level["available"])
        for level in sandbox.control("shopify", "/state", method="GET")["inventory_levels"]
    }
    assert (44000000001, 17) in levels and (44000000003, 3) in levels
    assert (44000000002, 11) not in levels
    with session_scope() as session:
        query = select(Event.status, Event.error).where(Event.status != EventStatus.DONE)
        outcomes = dict(session.execute(query).all())
    unknown_sku = "inventory_item_id: the app has no item for sku 'NOT-IN-SHOPIFY' (search 'find_inventory_items')"
    assert outcomes == {
        EventStatus.FILTERED: "condition not met: Is_Deleted not_equals '1' (was '1')",
        EventStatus.FAILED: unknown_sku,
    }


def test_the_test_button_proves_the_demo_companys_credentials(sandbox: Sandbox, demo: dict[str, int]) -> None:
    worked, message = Connection(conn_id="demo_marg", conn_type="integrations_marg").test_connection()
    assert worked, message
