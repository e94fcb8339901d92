"""The Eshopbox → Dynamics NAV workflow as real DAG runs (`dag.test()`) against the sandboxes, through NAV's Digest
auth: an order Eshopbox takes in becomes one NAV sales order with its lines, and a redelivery finds it instead of
creating another."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.registry.models import EventStatus
from tests.airflow.test_business_central_workflow import ITEMS, eshopbox_order
from tests.airflow.test_workflow_runs import deliver, event_status, run
from tests.unit.sandbox.fixtures import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")

DAG_ID = "wf.demo.eshopbox_order_to_dynamics_nav"
COMPANY = "CRONUS India Ltd."


def nav_orders(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.control("business_central", "/state", method="GET")["nav_companies"][COMPANY]["sales_orders"]


def test_an_order_eshopbox_takes_in_becomes_one_nav_sales_order(sandbox: Sandbox, demo: dict[str, int]) -> None:
    shipment = eshopbox_order(sandbox, "NAV-7001")
    workflow_id = demo["eshopbox_order_to_dynamics_nav"]
    event_id = deliver(workflow_id, f"{shipment['externalShipmentID']}:created", shipment)
    assert run(DAG_ID).state == "success"
    assert event_status(event_id) == (EventStatus.DONE, None)

    (order,) = nav_orders(sandbox)
    assert (order["externalDocumentNumber"], order["customerNumber"], order["shipToCity"]) == (
        "NAV-7001", "C-ESHOPBOX", "Bengaluru",
    )  # fmt: skip
    lines = [(line["lineObjectNumber"], line["description"], line["quantity"], line["unitPrice"])
             for line in order["salesOrderLines"]]  # fmt: skip
    assert lines == ITEMS

    again = deliver(workflow_id, "redelivered-under-another-key", shipment)
    assert run(DAG_ID).state == "success"
    assert event_status(again)[0] is EventStatus.DONE and len(nav_orders(sandbox)) == 1
