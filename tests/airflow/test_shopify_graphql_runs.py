"""shopify@3.0.0 (GraphQL Admin API) in real DAG runs (`dag.test()`) against the sandboxes: the seed workflows pinned
to 3.0.0 fulfil an order and add its `delivered` event once, and `integrations workflows upgrade` moves the stock
workflow as it was on REST (a test fixture) from 1.0.0 → 2.0.0 → 3.0.0, after which its polling run sets Shopify's
inventory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from connectors.cli import main
from connectors.registry.db import session_scope
from connectors.registry.inbox import requeue_event
from connectors.registry.models import EventStatus, Workflow
from connectors.spec import Catalog
from connectors.workflows.spec import WorkflowSpec
from connectors.workflows.store import apply_workflows
from connectors.workflows.validation import check_workflow
from tests.airflow.test_workflow_runs import create_shopify_order, deliver, event_status, run, ship
from tests.unit.registry.test_registry import LEGACY_STOCK, apply_workflow_files
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")
WORKFLOWS = Path(__file__).resolve().parents[2] / "include" / "workflows"
GRAPHQL = "shopify@3.0.0"


def pinned(seed: str, key: str, app: str = GRAPHQL) -> WorkflowSpec:
    """A seed workflow under another key, every Shopify step pinned to `app` (conditions kept)."""
    document = yaml.safe_load((WORKFLOWS / f"{seed}.yaml").read_text())
    document["key"] = key
    for step in document["steps"]:
        if step["app"].startswith("shopify@"):
            step["app"] = app
    return WorkflowSpec.model_validate(document)


@pytest.fixture
def on_graphql(demo: dict[str, int]) -> dict[str, int]:
    """The demo workflows plus `packed_v3` and `delivered_v3`: seeds 2 and 4 pinned to shopify@3.0.0."""
    specs = [pinned("eshopbox_packed_to_shopify_fulfillment", "packed_v3"),
             pinned("eshopbox_delivered_to_shopify_event", "delivered_v3")]  # fmt: skip
    catalog = Catalog.load()
    assert [check_workflow(spec, catalog) for spec in specs] == [[], []]
    with session_scope() as session:
        apply_workflows(session, specs)
        return {row.key: row.id for row in session.scalars(select(Workflow))}


def shopify_state(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("shopify", "/state", method="GET")


def admin_apis_called(sandbox: Sandbox) -> set[str]:
    """Which Admin APIs were called since the sandbox was reset: `graphql` (its cost bucket) and `admin` (REST's
    call-limit bucket); each is made on a shop's first request to that API."""
    with sandbox.state.lock:
        return {scope for scope, _ in sandbox.state.shopify.throttle.limits}


def test_fulfilment_and_delivered_event_over_graphql_land_once(sandbox: Sandbox, on_graphql: dict[str, int]) -> None:
    order = create_shopify_order(sandbox)
    packed = ship(sandbox, on_graphql, order, "packed")  # seed 1 makes the Eshopbox order and shipment

    packed_event = deliver(on_graphql["packed_v3"], f"{packed['externalShipmentID']}:packed", packed)
    assert run("wf.demo.packed_v3").state == "success"
    assert event_status(packed_event) == (EventStatus.DONE, None)
    fulfillments = [f for f in shopify_state(sandbox)["fulfillments"] if f["order_id"] == order["id"]]
    assert [f["tracking_number"] for f in fulfillments] == [packed["trackingID"]]

    # a shipment event that is not `delivered` is filtered before any Shopify call
    filtered = deliver(on_graphql["delivered_v3"], "still-packed", packed)
    run("wf.demo.delivered_v3")
    assert event_status(filtered)[0] is EventStatus.FILTERED
    assert shopify_state(sandbox)["fulfillment_events"] == []

    moved = sandbox.control("eshopbox", f"/shipments/{packed['externalShipmentID']}/status", {"status": "delivered"})
    delivered = moved.get("shipment", moved)
    event_id = deliver(on_graphql["delivered_v3"], "delivered", delivered)
    assert run("wf.demo.delivered_v3").state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    events = shopify_state(sandbox)["fulfillment_events"]
    assert [(e["order_id"], e["fulfillment_id"], e["status"]) for e in events] == [
        (order["id"], fulfillments[0]["id"], "delivered")
    ]

    # a replay of both events: the action log knows the steps are done, nothing is sent to Shopify twice
    with session_scope() as session:
        requeue_event(session, packed_event)
        requeue_event(session, event_id)
    assert run("wf.demo.packed_v3").state == "success"
    assert run("wf.demo.delivered_v3").state == "success"
    state = shopify_state(sandbox)
    assert len([f for f in state["fulfillments"] if f["order_id"] == order["id"]]) == 1
    assert len(state["fulfillment_events"]) == 1
    assert admin_apis_called(sandbox) == {"graphql"}  # no REST call


def upgrade(reference: str, target: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["workflows", "upgrade", reference, "--to", target, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def stored(workflow_id: int) -> Workflow:
    with session_scope() as session:
        row = session.get(Workflow, workflow_id)
        assert row is not None
        session.expunge(row)
        return row


def test_upgrade_from_rest_to_graphql_then_the_polling_run_sets_inventory(
    sandbox: Sandbox, demo: dict[str, int], sqlite_registry: str
) -> None:
    # the stock workflow as it was on 1.0.0 (REST, one SKU a request, `sku_map`), next to the seeds
    workflow_id = apply_workflow_files(sqlite_registry, [LEGACY_STOCK])["eshopbox_stock_to_shopify_rest"]
    reference = str(workflow_id)
    # to 2.0.0 first (renames `available`), then 2.0.0 -> 3.0.0 (no change but the pin)
    assert "input renamed available -> quantity" in upgrade(reference, "shopify@2.0.0")
    assert stored(workflow_id).definition["steps"][0]["app"] == "shopify@2.0.0"
    dry = upgrade(reference, GRAPHQL, "--dry-run")
    assert "step set_available: shopify@2.0.0 -> shopify@3.0.0" in dry
    assert stored(workflow_id).definition["steps"][0]["app"] == "shopify@2.0.0"
    output = upgrade(reference, GRAPHQL)
    assert "step set_available: shopify@2.0.0 -> shopify@3.0.0" in output and "input renamed" not in output
    row = stored(workflow_id)
    assert row.revision == 3 and row.definition["steps"][0]["app"] == GRAPHQL
    assert row.definition["steps"][0]["inputs"]["quantity"] == "{{ trigger.sellable }}"

    window_start = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    inside = (window_start + dt.timedelta(minutes=10)).isoformat()
    later = (window_start + dt.timedelta(minutes=20)).isoformat()
    sandbox.control("eshopbox", "/inventory", {"items": [
        {"sku": "ESB-TEE-RED-M", "warehouseId": "GGN", "sellable": 5, "updatedAt": inside},
        {"sku": "ESB-TEE-RED-M", "warehouseId": "GGN", "sellable": 7, "updatedAt": later},
        {"sku": "ESB-MUG-WHITE", "warehouseId": "GGN", "sellable": 3, "updatedAt": inside},
    ]})  # fmt: skip
    before = {(lv["inventory_item_id"], lv["location_id"]): lv["available"]
              for lv in shopify_state(sandbox)["inventory_levels"]}  # fmt: skip
    logical_date = window_start + dt.timedelta(hours=1)
    assert run("wf.demo.eshopbox_stock_to_shopify_rest", logical_date=logical_date).state == "success"
    after = {(lv["inventory_item_id"], lv["location_id"]): lv["available"]
             for lv in shopify_state(sandbox)["inventory_levels"]}  # fmt: skip
    assert after[(44000000001, 65000000001)] == 7 and after[(44000000003, 65000000001)] == 3
    assert {key: value for key, value in after.items() if before.get(key) != value} == {
        (44000000001, 65000000001): 7,
        (44000000003, 65000000001): 3,
    }
    assert admin_apis_called(sandbox) == {"graphql"}  # no REST call

    # the same window again (a backfill): the same absolute levels, nothing else touched
    assert run("wf.demo.eshopbox_stock_to_shopify_rest", logical_date=logical_date).state == "success"
    again = {(lv["inventory_item_id"], lv["location_id"]): lv["available"]
             for lv in shopify_state(sandbox)["inventory_levels"]}  # fmt: skip
    assert again == after


def test_upgraded_delivered_workflow_adds_the_event_over_graphql(sandbox: Sandbox, demo: dict[str, int]) -> None:
    # seeds 2 and 4 straight from 1.0.0 to 3.0.0 by id (3.0.0 declares migrations from 1.x and 2.x)
    for key in ("eshopbox_packed_to_shopify_fulfillment", "eshopbox_delivered_to_shopify_event"):
        output = upgrade(str(demo[key]), GRAPHQL)
        assert "shopify@1.0.0 -> shopify@3.0.0" in output
        assert {step["app"] for step in stored(demo[key]).definition["steps"]} == {GRAPHQL}

    order = create_shopify_order(sandbox)
    packed = ship(sandbox, demo, order, "packed")
    packed_event = deliver(demo["eshopbox_packed_to_shopify_fulfillment"], "packed", packed)
    assert run("wf.demo.eshopbox_packed_to_shopify_fulfillment").state == "success"
    assert event_status(packed_event) == (EventStatus.DONE, None)
    moved = sandbox.control("eshopbox", f"/shipments/{packed['externalShipmentID']}/status", {"status": "delivered"})
    event_id = deliver(demo["eshopbox_delivered_to_shopify_event"], "delivered", moved.get("shipment", moved))
    assert run("wf.demo.eshopbox_delivered_to_shopify_event").state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)
    events = shopify_state(sandbox)["fulfillment_events"]
    assert [(e["order_id"], e["status"]) for e in events] == [(order["id"], "delivered")]
    assert admin_apis_called(sandbox) == {"graphql"}  # no REST call
