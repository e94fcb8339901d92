"""Two versions of one app serve two workflows at once, in real DAG runs: shopify@1.0.0 (Admin API 2024-10)
and shopify@2.0.0 (2025-07, which adds the fulfillment event status `delayed`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.models import Workflow
from connectors.spec import Catalog
from connectors.workflows.spec import WorkflowSpec
from connectors.workflows.store import apply_workflows
from connectors.workflows.validation import check_workflow
from tests.airflow.test_workflow_runs import create_shopify_order, deliver, event_status, pack_and_fulfil, run
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")
SEED = Path(__file__).resolve().parents[2] / "include" / "workflows" / "eshopbox_delivered_to_shopify_event.yaml"


def variant(key: str, shopify: str, status: str) -> WorkflowSpec:
    """The seed "shipment delivered → Shopify event" workflow, pinned to another Shopify version and status."""
    document = yaml.safe_load(SEED.read_text())
    document.update(key=key, conditions={})
    for step in document["steps"]:
        step["app"] = shopify
    document["steps"][1]["inputs"]["status"] = status
    return WorkflowSpec.model_validate(document)


@pytest.fixture
def versioned(demo: dict[str, int]) -> dict[str, int]:
    specs = [variant("event_v1", "shopify@1.0.0", "delivered"), variant("event_v2", "shopify@2.0.0", "delayed"),
             variant("delayed_on_v1", "shopify@1.0.0", "delayed")]  # fmt: skip
    catalog = Catalog.load()
    assert check_workflow(specs[0], catalog) == [] and check_workflow(specs[1], catalog) == []
    # apply refuses `delayed` on 1.0.0; stored anyway (an older registry row), the run refuses it too
    assert any("'delayed' is not one of" in message for _, message in check_workflow(specs[2], catalog))
    with session_scope() as session:
        apply_workflows(session, specs)
        return {row.key: row.id for row in session.scalars(select(Workflow))}


def test_two_versions_run_side_by_side(sandbox: Sandbox, versioned: dict[str, int]) -> None:
    order = create_shopify_order(sandbox)
    packed = pack_and_fulfil(sandbox, versioned, order)

    v1 = deliver(versioned["event_v1"], "shipment-1", packed)
    v2 = deliver(versioned["event_v2"], "shipment-1", packed)
    assert run("wf.demo.event_v1", run_conf={"event_id": v1}).state == "success"
    assert run("wf.demo.event_v2", run_conf={"event_id": v2}).state == "success"
    events = sandbox.control("shopify", "/state", method="GET")["fulfillment_events"]
    assert sorted(e["status"] for e in events if e["order_id"] == order["id"]) == ["delayed", "delivered"]

    # `delayed` does not exist in 1.0.0 (API 2024-10): refused before any request, the event keeps the reason
    old = deliver(versioned["delayed_on_v1"], "shipment-1", packed)
    run("wf.demo.delayed_on_v1", run_conf={"event_id": old})
    status, reason = event_status(old)
    assert status.value == "failed" and "'status': 'delayed' is not one of" in (reason or "")
