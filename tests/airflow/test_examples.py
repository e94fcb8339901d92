"""The example DAGs in `include/examples/` parse without import errors and run (`dag.test()`) against the sandboxes."""

from __future__ import annotations

import datetime as dt
import runpy
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag

from connectors.hooks.app import AppHook
from tests.airflow.test_app_operators import task_instance, write_to_db, xcoms
from tests.airflow.test_app_sensor import deliver_after_first_check, new_waybill
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def example_dags() -> DagBag:
    return DagBag(dag_folder=str(EXAMPLES))


def test_every_example_parses_without_import_errors() -> None:
    bag = example_dags()
    assert bag.import_errors == {}
    assert {"nightly_order_reconciliation", "delivered_to_shopify_fulfillment_event"} <= set(bag.dag_ids)


def shopify_order(sandbox: Sandbox, sku: str, moment: dt.datetime) -> dict[str, Any]:
    stamp = moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    body = {"sku": sku, "quantity": 1, "price": "499.00", "created_at": stamp, "updated_at": stamp}
    return sandbox.control("shopify", "/orders", body)["order"]


def eshopbox_orders(sandbox: Sandbox) -> dict[str, int]:
    """Orders by customer order number, with how many times each exists."""
    counts: dict[str, int] = {}
    for order in sandbox.control("eshopbox", "/state", method="GET")["orders"]:
        counts[order["customerOrderNumber"]] = counts.get(order["customerOrderNumber"], 0) + 1
    return counts


def test_nightly_reconciliation_creates_the_missing_orders_of_the_interval_once(
    sandbox: Sandbox, demo: dict[str, int]
) -> None:
    bag = example_dags()
    dag = bag.get_dag("nightly_order_reconciliation")
    logical_date = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    interval = dag.timetable.infer_manual_data_interval(run_after=logical_date)
    assert interval.end - interval.start == dt.timedelta(days=1)

    inside = [shopify_order(sandbox, sku, interval.start + dt.timedelta(hours=hours))
              for sku, hours in (("ESB-TEE-RED-M", 1), ("ESB-TEE-BLUE-L", 9), ("ESB-MUG-WHITE", 20))]  # fmt: skip
    before = shopify_order(sandbox, "ESB-TEE-RED-M", interval.start - dt.timedelta(hours=3))
    # the first one already reached Eshopbox (its webhook was delivered)
    example = runpy.run_path(dag.fileloc)
    already = AppHook("eshopbox@1.0.0", "demo_eshopbox").run_action(
        "create_order", example["eshopbox_order"](inside[0]), idempotency_key="webhook-delivered"
    )
    assert already.outcome == "succeeded"

    write_to_db(dag)
    dag_run = dag.test(logical_date=logical_date)
    assert dag_run.state == "success"
    numbers = [str(order["id"]) for order in inside]
    counts = eshopbox_orders(sandbox)
    assert {number: counts.get(number) for number in numbers} == dict.fromkeys(numbers, 1)
    assert str(before["id"]) not in counts  # outside the data interval
    outcomes = [xcoms(dag.dag_id, dag_run.run_id, "find_in_eshopbox", map_index)["outcome"] for map_index in range(3)]
    assert outcomes == ["found", "not_found", "not_found"]
    created = [xcoms(dag.dag_id, dag_run.run_id, "create_missing", map_index) for map_index in range(2)]
    assert [c["outcome"] for c in created] == ["succeeded", "succeeded"]

    # the same night again (a rerun, a backfill): everything is found, nothing is created
    again = dag.test(logical_date=logical_date)
    assert again.state == "success"
    assert eshopbox_orders(sandbox) == counts
    assert task_instance(dag.dag_id, again.run_id, "create_missing", -1).state == "skipped"


def fulfilled_order_with_waybill(sandbox: Sandbox) -> tuple[int, int, str]:
    """A Shopify order fulfilled with a Delhivery AWB that is Manifested: (order id, fulfillment id, AWB)."""
    awb = new_waybill(sandbox)
    created = sandbox.control("shopify", "/orders", {"sku": "ESB-TEE-RED-M", "quantity": 1, "price": "499.00"})
    order = created["order"]
    fulfillment = AppHook("shopify@2.0.0", "demo_shopify").run_action(
        "create_fulfillment",
        {
            "order_id": order["id"],
            "fulfillment_order_id": created["fulfillment_order"]["id"],
            "tracking_number": awb,
            "tracking_company": "Delhivery",
        },  # fmt: skip
    )
    return order["id"], fulfillment.result["id"], awb


def fulfillment_events(sandbox: Sandbox, fulfillment_id: int) -> list[dict[str, Any]]:
    events = sandbox.control("shopify", "/state", method="GET")["fulfillment_events"]
    return [event for event in events if event["fulfillment_id"] == fulfillment_id]


def test_the_delivered_event_is_posted_once_delhivery_delivers(
    sandbox: Sandbox, demo: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_CHECK_SECONDS", "1")
    dag = example_dags().get_dag("delivered_to_shopify_fulfillment_event")
    order_id, fulfillment_id, awb = fulfilled_order_with_waybill(sandbox)
    checks = deliver_after_first_check(monkeypatch, sandbox, awb)

    write_to_db(dag)
    dag_run = dag.test(run_conf={"order_id": order_id, "awb": awb})
    assert dag_run.state == "success"
    assert checks == [False, True]  # Manifested at the first check (then deferred), Delivered at the next
    (event,) = fulfillment_events(sandbox, fulfillment_id)
    assert event["status"] == "delivered" and f"AWB {awb}" in event["message"]
    assert "Delhi_Okhla_DC" in event["message"]  # where Delhivery's Delivered scan was, from the sensor's record


def test_an_order_without_a_fulfillment_fails_before_waiting(
    sandbox: Sandbox, demo: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DELIVERY_CHECK_SECONDS", "1")
    dag = example_dags().get_dag("delivered_to_shopify_fulfillment_event")
    order = sandbox.control("shopify", "/orders", {"sku": "ESB-MUG-WHITE", "quantity": 1, "price": "299.00"})["order"]
    checks = deliver_after_first_check(monkeypatch, sandbox, new_waybill(sandbox))

    write_to_db(dag)
    dag_run = dag.test(run_conf={"order_id": order["id"], "awb": "0000000000000"})
    assert dag_run.state == "failed"
    assert task_instance(dag.dag_id, dag_run.run_id, "find_fulfillment", -1).state == "failed"
    assert task_instance(dag.dag_id, dag_run.run_id, "wait_delivered", -1).state == "upstream_failed"
    assert checks == []  # Delhivery was never asked
