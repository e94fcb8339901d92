"""Order numbers as shops write them (`#1001`) reach the Eshopbox sandbox whole, through the real app definition:
a `#` in a path segment is sent as `%23`, not cut off as a fragment."""

from __future__ import annotations

from connectors.runtime.steps import run_action, run_search
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.test_apps_against_sandbox import eshopbox_client, order_inputs


def test_an_order_number_with_a_hash_is_created_once_and_found(sandbox: Sandbox) -> None:
    client = eshopbox_client(sandbox)

    created = run_action(client, "create_order", order_inputs("#SO-2001"))
    found = run_search(client, "find_order", {"customer_order_number": "#SO-2001"})
    again = run_action(client, "create_order", order_inputs("#SO-2001"))  # find-or-create: the search finds it

    assert created.outcome == "succeeded" and created.result["customerOrderNumber"] == "#SO-2001"
    assert found.outcome == "found" and found.result["customerOrderNumber"] == "#SO-2001"
    assert again.outcome == "found"
    assert [o["customerOrderNumber"] for o in sandbox.control("eshopbox", "/state", method="GET")["orders"]] == [
        "#SO-2001"
    ]
