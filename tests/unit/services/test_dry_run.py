"""Dry run of a workflow on a sample event (`connectors.services.dry_run`): real seed workflows and app versions,
a real SQLite registry for the stored-event fallback, connection values through the receiver's connection lookup
(which holds the credentials too: none of them may reach the answer)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.inbox import NewEvent, store_events
from connectors.registry.models import Workflow
from connectors.services import ServiceError
from connectors.services.dry_run import ContextFor, DryRun, dry_run_workflow, lookup_context
from connectors.spec import Catalog
from connectors.webhooks.connections import StaticConnections

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / "include" / "workflows"
PAYLOADS = ROOT / "tests" / "fixtures" / "payloads"
ACCESS_TOKEN = "shpat_dry_run_secret_0123456789"
CLIENT_SECRET = "eshopbox-dry-run-client-secret"
CONNECTIONS = {
    "demo_shopify": {"shop": "demo", "access_token": ACCESS_TOKEN, "webhook_secret": "whsec-dry-run"},
    "demo_eshopbox": {"workspace": "demo", "channel_id": "SHOPIFY", "client_id": "cid",
                      "client_secret": CLIENT_SECRET, "refresh_token": "rt-dry-run"},
}  # fmt: skip
ENVIRONMENTS = {"shopify@1.0.0": {"ADMIN_BASE_URL": "http://127.0.0.1:8900/shopify"}}


@pytest.fixture
def context_for(catalog: Catalog) -> ContextFor:
    return lookup_context(catalog, StaticConnections(CONNECTIONS), lambda spec: ENVIRONMENTS.get(spec.ref, {}))


def payload(name: str, **changes: Any) -> dict[str, Any]:
    return {**json.loads((PAYLOADS / f"{name}.json").read_text()), **changes}


def text(workflow: str) -> str:
    return (WORKFLOWS / f"{workflow}.yaml").read_text()


def answer(report: DryRun) -> str:
    """The report as the API sends it."""
    return json.dumps(dataclasses.asdict(report), default=str)


def store_event(url: str, workflow_key: str, key: str, body: Any) -> int:
    with session_scope(url) as session:
        workflow_id = session.scalar(select(Workflow.id).where(Workflow.key == workflow_key))
        assert workflow_id is not None
        (stored,) = store_events(session.connection(), [NewEvent(workflow_id, key, json.dumps(body).encode())])
        return stored.event_id


def test_an_order_is_rendered_into_the_request_that_would_create_it(sessions, catalog, context_for) -> None:
    order = payload("shopify_order_created")
    report = dry_run_workflow(
        sessions, catalog, yaml_text=text("shopify_order_to_eshopbox"), sample=order, context_for=context_for
    )
    assert (report.dag_id, report.would_run, report.sample.source) == (
        "wf.demo.shopify_order_to_eshopbox",
        True,
        "given",
    )
    (step,) = report.steps
    assert (step.kind, step.app, step.operation, step.pending, step.error) == (
        "action", "eshopbox@1.0.0", "create_order", None, None)  # fmt: skip
    assert step.inputs["is_cod"] is True and step.inputs["payment_type"] == "COD"
    assert step.inputs["order_date"] == "2026-11-28 10:15:00"
    line = {"lineItemSequenceNumber": 1, "itemID": "ESB-TEE-RED-M", "productName": "Tee red M", "quantity": 2,
            "customerPrice": 499.0, "discount": 0, "lineItemTotal": 998.0}  # fmt: skip
    assert step.inputs["items"] == [line]
    request = step.request
    assert request is not None
    assert (request.method, request.url) == ("POST", "https://wms.eshopbox.com/api/order")
    assert request.json["externalChannelID"] == "SHOPIFY"  # the connection's custom property
    assert request.json["customerOrderNumber"] == "820982911946154508"
    assert (request.json["isCOD"], request.json["balanceDue"], request.json["orderTotal"]) == ("1", 1177.64, 1177.64)
    assert step.search_first is not None and step.search_first.mode == "find_or_create"
    assert step.search_first.request is not None
    assert step.search_first.request.url == "https://wms.eshopbox.com/api/order/820982911946154508"
    assert "Authorization" not in request.headers and CLIENT_SECRET not in answer(report)


def test_conditions_a_search_before_an_action_and_no_api_key(sessions, catalog, context_for) -> None:
    shipment = payload("eshopbox_shipment_packed")
    report = dry_run_workflow(
        sessions, catalog, yaml_text=text("eshopbox_packed_to_shopify_fulfillment"), sample=shipment,
        context_for=context_for,
    )  # fmt: skip
    assert report.would_run and report.conditions.passed
    (condition,) = report.conditions.all
    assert (condition.field, condition.operator, condition.value) == ("status", "equals", "packed")
    assert (condition.holds, condition.actual, condition.missing) == (True, "packed", False)
    search, action = report.steps
    assert (search.kind, search.inputs, search.error) == ("search", {"order_id": "820982911946154508"}, None)
    assert search.request is not None and search.request.method == "GET"
    assert search.request.url == (
        "http://127.0.0.1:8900/shopify/admin/api/2024-10/orders/820982911946154508/fulfillment_orders.json"
    )  # the environment's base URL
    # shopify's api_key auth adds X-Shopify-Access-Token when sending: not in a dry run, and the key nowhere
    assert "X-Shopify-Access-Token" not in search.request.headers
    assert ACCESS_TOKEN not in answer(report) and "whsec-dry-run" not in answer(report)
    assert action.pending == "needs the output of step fulfillment_order, known only when it is sent"
    assert action.request is None and action.inputs is None


def test_a_sample_that_fails_the_conditions_still_shows_the_steps(sessions, catalog, context_for) -> None:
    workflow = text("eshopbox_packed_to_shopify_fulfillment")
    dispatched = payload("eshopbox_shipment_packed", status="dispatched")
    report = dry_run_workflow(sessions, catalog, yaml_text=workflow, sample=dispatched, context_for=context_for)
    assert report.would_run is False and report.conditions.passed is False
    (condition,) = report.conditions.all
    assert (condition.holds, condition.actual) == (False, "dispatched")
    assert report.steps[0].request is not None  # rendered all the same
    without_status = {k: v for k, v in dispatched.items() if k != "status"}
    (missing,) = dry_run_workflow(sessions, catalog, yaml_text=workflow, sample=without_status).conditions.all
    assert (missing.holds, missing.missing, missing.actual) == (False, True, None)


def test_lookup_tables_give_the_status_a_scan_maps_to(sessions, catalog, context_for) -> None:
    workflow = text("delhivery_status_to_eshopbox")
    undelivered = payload("delhivery_scan_undelivered")
    (step,) = dry_run_workflow(sessions, catalog, yaml_text=workflow, sample=undelivered, context_for=context_for).steps
    assert (step.inputs["status_code"], step.inputs["status"]) == (9, "FAILED_DELIVERY")  # NDR code EOD-74
    assert step.request is not None and step.request.url == "https://wms.eshopbox.com/api/update-status"
    assert step.request.json["status_code"] == 9 and step.request.json["waybill"] == "1490800000001"
    shipment = undelivered["Shipment"]
    in_transit = {"Shipment": {**shipment, "NSLCode": None, "Status": {**shipment["Status"], "Status": "In Transit"}}}
    (step,) = dry_run_workflow(sessions, catalog, yaml_text=workflow, sample=in_transit).steps
    assert (step.inputs["status_code"], step.inputs["status"]) == (5, "INTRANSIT")


def test_without_connection_values_the_names_a_request_needs_are_the_error(sessions, catalog) -> None:
    report = dry_run_workflow(
        sessions, catalog, yaml_text=text("shopify_order_to_eshopbox"), sample=payload("shopify_order_created")
    )
    (step,) = report.steps
    assert step.inputs["customer_order_number"] == 820982911946154508 and step.request is None
    assert step.error is not None and step.error.startswith("needs properties.channel_id: ")

    def unreadable(app_ref: str, connection_id: str) -> dict[str, Any]:
        raise RuntimeError(f"backend down while reading {connection_id}")

    (step,) = dry_run_workflow(sessions, catalog, yaml_text=text("shopify_order_to_eshopbox"),
                               sample=payload("shopify_order_created"), context_for=unreadable).steps  # fmt: skip
    assert step.error == (
        "needs properties.channel_id: connection 'demo_eshopbox' could not be read: RuntimeError: backend down while "
        "reading demo_eshopbox"
    )


def test_the_newest_stored_event_is_the_default_sample(sessions, catalog, sqlite_registry: str) -> None:
    older = payload("shopify_order_created", id=1)
    store_event(sqlite_registry, "shopify_order_to_eshopbox", "webhook-1", older)
    newest = store_event(sqlite_registry, "shopify_order_to_eshopbox", "webhook-2", payload("shopify_order_created"))
    report = dry_run_workflow(sessions, catalog, workflow="wf.demo.shopify_order_to_eshopbox")
    assert report.sample.source == f"event {newest}"
    assert report.steps[0].inputs["customer_order_number"] == 820982911946154508
    # a draft on the same trigger and connection takes the stored workflow's newest event
    draft = text("shopify_order_to_eshopbox").replace("key: shopify_order_to_eshopbox", "key: orders_draft")
    assert dry_run_workflow(sessions, catalog, yaml_text=draft).sample.source == f"event {newest}"
    elsewhere = draft.replace("connection: demo_shopify", "connection: demo_shopify_sap_business_one")
    declared = dry_run_workflow(sessions, catalog, yaml_text=elsewhere)  # no event there: the app's own sample
    assert declared.sample.source == "declared"
    assert declared.sample.payload == catalog.get("shopify@1.0.0").triggers["order_created"].sample
    assert declared.steps[0].inputs["customer_order_number"] == declared.sample.payload["id"]


def test_no_sample_anywhere_is_a_problem(sessions, catalog) -> None:
    with pytest.raises(ServiceError) as refused:  # no event stored, and Delhivery's scan push declares no sample
        dry_run_workflow(sessions, catalog, workflow="wf.demo.delhivery_delivered_to_eshopbox")
    assert refused.value.kind == "invalid"
    (problem,) = refused.value.problems
    assert problem.path == "sample" and problem.message.startswith("no sample event: ")
    assert "wf.demo.delhivery_delivered_to_eshopbox has no stored event" in problem.message


def test_an_invalid_draft_and_an_unknown_workflow(sessions, catalog) -> None:
    broken = text("shopify_order_to_eshopbox").replace("action: create_order", "action: create_ordr")
    with pytest.raises(ServiceError) as invalid:
        dry_run_workflow(sessions, catalog, yaml_text=broken, sample={})
    assert invalid.value.kind == "invalid"
    assert [(p.path, p.line) for p in invalid.value.problems] == [("steps[0].action", 14)]
    with pytest.raises(ServiceError) as unknown:
        dry_run_workflow(sessions, catalog, workflow="wf.demo.nothing", sample={})
    assert unknown.value.kind == "not_found"
