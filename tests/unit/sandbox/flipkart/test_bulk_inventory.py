"""Flipkart's inventory update many SKUs a call: the sandbox route (an object keyed by SKU answered per SKU,
FAILURE / WARNING, at most 10 SKUs a call, bearer only), its seed and read-back control routes, flipkart@1.0.0's
bulk `set_inventory_levels` through the runtime, and the seed workflow `eshopbox_stock_to_flipkart` drained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.registry.models import EventStatus
from connectors.runtime.bulk import item_values, run_bulk_action
from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.sandbox.flipkart.listings import MAX_SKUS
from connectors.spec import Catalog
from connectors.workflows.drain import DrainSettings, drain_workflow
from connectors.workflows.engine import ClientFactory
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.flipkart.api import APP_ID, APP_SECRET, LOCATION, SPEC, flipkart, seller, token
from tests.unit.workflows.drain_fixtures import statuses
from tests.unit.workflows.stock_sync import CountingSession, apply_seed, deliver_stock

UPDATE = "/listings/v3/update/inventory"
SEED = Path(__file__).resolve().parents[4] / "include" / "workflows" / "eshopbox_stock_to_flipkart.yaml"


def seed(sandbox: Sandbox, count: int, **extra: Any) -> dict[str, Any]:
    return sandbox.control("flipkart", "/listings", {"count": count, **extra})


def listings(sandbox: Sandbox, *skus: str) -> dict[str, dict[str, Any]]:
    query = f"?sku={','.join(skus)}" if skus else ""
    response = sandbox.http.get(f"{sandbox.url}/flipkart/_sandbox/listings{query}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["listings"]


def counts(sandbox: Sandbox, *skus: str) -> dict[str, int]:
    return {sku: row["locations"][0]["inventory"] for sku, row in listings(sandbox, *skus).items()}


def entry(product_id: str, inventory: Any, location: str = LOCATION) -> dict[str, Any]:
    return {"product_id": product_id, "locations": [{"id": location, "inventory": inventory}]}


# -- the sandbox route -----------------------------------------------------------------------------------------


def test_seeded_listings_read_back_by_sku(sandbox: Sandbox) -> None:
    assert seed(sandbox, 1200, prefix="BULK-", inventory=3) == {"seeded": 1200, "listings": 1203}  # + the 3 demo
    explicit = {
        "sku": "TWO-LOC",
        "product_id": "FSN2",
        "locations": [{"id": LOCATION}, {"id": "LOC-2", "inventory": 1}],
    }
    sandbox.control("flipkart", "/listings", {"listings": [explicit]})
    found = listings(sandbox, "BULK-00001", "TWO-LOC", "NOPE")
    assert found == {
        "BULK-00001": {"sku": "BULK-00001", "product_id": "FSNBULK-00001",
                       "locations": [{"id": LOCATION, "status": "ENABLED", "inventory": 3}]},
        "TWO-LOC": {"sku": "TWO-LOC", "product_id": "FSN2",
                    "locations": [{"id": LOCATION, "status": "ENABLED", "inventory": 0},
                                  {"id": "LOC-2", "status": "ENABLED", "inventory": 1}]},
    }  # fmt: skip
    assert len(listings(sandbox)) == 1204
    bad = sandbox.http.post(f"{sandbox.url}/flipkart/_sandbox/listings", json={"listings": [{"sku": "x"}]}, timeout=10)
    assert bad.status_code == 400


def test_each_sku_succeeds_or_fails_on_its_own(sandbox: Sandbox) -> None:
    seed(sandbox, 3, prefix="S-")
    sandbox.control("flipkart", "/listings", {"listings": [
        {"sku": "OFF", "product_id": "FSNOFF", "locations": [{"id": LOCATION, "status": "DISABLED"}]},
    ]})  # fmt: skip
    body = {
        "S-00001": entry("FSNS-00001", 7),
        "S-00002": entry("FSNS-00002", -1),  # negative
        "S-00003": entry("FSNS-00003", 2, location="LOC-ELSEWHERE"),  # not a location of the listing
        "NO-SUCH-SKU": entry("FSNX", 1),
        "OFF": entry("FSNOFF", 5),  # disabled there: saved, with a warning
    }
    answer = seller(sandbox, "POST", UPDATE, token(sandbox), json=body).json()

    assert {sku: result["status"] for sku, result in answer.items()} == {
        "S-00001": "SUCCESS", "S-00002": "FAILURE", "S-00003": "FAILURE", "NO-SUCH-SKU": "FAILURE", "OFF": "WARNING",
    }  # fmt: skip
    assert answer["S-00002"]["attribute_errors"][0]["attribute"] == "inventory"
    assert "LOC-ELSEWHERE is not a location" in answer["S-00003"]["attribute_errors"][0]["description"]
    assert answer["NO-SUCH-SKU"]["errors"][0]["description"] == "Listing not found for the SKU"
    assert answer["OFF"]["errors"][0]["severity"] == "WARNING"
    assert counts(sandbox, "S-00001", "S-00002", "S-00003", "OFF") == {"S-00001": 7, "S-00002": 0, "S-00003": 0,
                                                                        "OFF": 5}  # fmt: skip


def test_a_call_takes_at_most_ten_skus_and_a_bearer_token(sandbox: Sandbox) -> None:
    seed(sandbox, MAX_SKUS + 1, prefix="L-")
    body = {f"L-{n:05d}": entry(f"FSNL-{n:05d}", 1) for n in range(1, MAX_SKUS + 2)}
    too_many = seller(sandbox, "POST", UPDATE, token(sandbox), json=body)
    assert too_many.status_code == 400 and "at most 10 SKUs" in too_many.text
    assert counts(sandbox, "L-00001")["L-00001"] == 0  # nothing applied
    assert seller(sandbox, "POST", UPDATE, None, json={"L-00001": entry("FSNL-00001", 1)}).status_code == 401
    ten = dict(list(body.items())[:MAX_SKUS])
    assert set(seller(sandbox, "POST", UPDATE, token(sandbox), json=ten).json()) == set(ten)


# -- the app's bulk action through the runtime --------------------------------------------------------------


def items(client: AppClient, *rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [item_values(client, "set_inventory_levels", row) for row in rows]


def test_set_inventory_levels_sends_skus_keyed_and_reads_each_result(sandbox: Sandbox) -> None:
    seed(sandbox, 4, prefix="A-")
    sandbox.control("flipkart", "/listings", {"listings": [
        {"sku": "TWO", "product_id": "FSNTWO", "locations": [{"id": LOCATION}, {"id": "LOC-2"}]},
    ]})  # fmt: skip
    client = flipkart(sandbox, connection="flipkart-bulk")
    call = run_bulk_action(client, "set_inventory_levels", items(
        client,
        {"sku": "A-00001", "product_id": "FSNA-00001", "inventory": 5},
        {"sku": "A-00002", "product_id": "WRONG", "inventory": 6},
        {"sku": "GONE", "product_id": "FSNGONE", "inventory": 1},
        {"sku": "TWO", "product_id": "FSNTWO", "inventory": 2},
        {"sku": "TWO", "product_id": "FSNTWO", "location_id": "LOC-2", "inventory": 9},  # same SKU: next call
    ))  # fmt: skip

    errors = [outcome.error for outcome in call.outcomes]
    assert errors == [None, "product_id does not match the SKU's listing", "Listing not found for the SKU", None, None]
    assert call.outcomes[0].result == {"status": "SUCCESS", "errors": [], "attribute_errors": []}
    assert call.requests == 2
    assert counts(sandbox, "A-00001", "A-00002") == {"A-00001": 5, "A-00002": 0}
    assert [loc["inventory"] for loc in listings(sandbox, "TWO")["TWO"]["locations"]] == [2, 9]


def test_set_inventory_levels_takes_ten_items_a_call(sandbox: Sandbox) -> None:
    client = flipkart(sandbox, connection="flipkart-bulk-limit")
    rows = [{"sku": f"X{n}", "product_id": "P", "inventory": 1} for n in range(MAX_SKUS + 1)]
    with pytest.raises(ConfigurationError, match="at most 10"):
        run_bulk_action(client, "set_inventory_levels", items(client, *rows))
    assert SPEC.actions["set_inventory_levels"].bulk.max_items == MAX_SKUS  # type: ignore[union-attr]


# -- the seed workflow ----------------------------------------------------------------------------------------


@pytest.fixture
def session() -> CountingSession:
    return CountingSession("/flipkart")


@pytest.fixture
def clients(sandbox: Sandbox, session: CountingSession) -> ClientFactory:
    catalog = Catalog.load()

    def build(app_ref: str, conn_id: str) -> AppClient:
        values = ConnectionValues(
            conn_id, {"client_id": APP_ID, "client_secret": APP_SECRET}, {"location_id": LOCATION}
        )
        return AppClient(catalog.get(app_ref), values, environment={"API_HOST": f"{sandbox.url}/flipkart"},
                         session=session, sleep=lambda _: None)  # fmt: skip

    return build


@pytest.fixture
def workflow(sqlite_registry: str) -> int:
    return apply_seed(sqlite_registry, "eshopbox_stock_to_flipkart")


DEMO = ("ESB-TEE-RED-M", "ESB-TEE-BLUE-L", "ESB-MUG-WHITE")


def test_the_seed_workflow_sets_what_changed(
    sqlite_registry: str, workflow: int, sandbox: Sandbox, session: CountingSession, clients: ClientFactory
) -> None:
    ids = deliver_stock(sqlite_registry, workflow, {"ESB-TEE-RED-M": 4, "ESB-TEE-BLUE-L": 0, "ESB-MUG-WHITE": 9,
                                              "NOT-MAPPED": 2}, "2026-11-20T10:10:00Z")  # fmt: skip
    elsewhere = deliver_stock(sqlite_registry, workflow, {"ESB-MUG-WHITE": 50}, "2026-11-20T10:10:00Z", warehouse="BLR")

    summary = drain_workflow(workflow, "run-1", clients, DrainSettings(), url=sqlite_registry)

    outcome = statuses(sqlite_registry)
    assert sorted(summary.done) == ids[:3], outcome
    assert outcome[ids[3]][0] is EventStatus.FAILED and "'product_id' is required" in (outcome[ids[3]][1] or "")
    assert outcome[elsewhere[0]][0] is EventStatus.FILTERED
    assert counts(sandbox, *DEMO) == {"ESB-TEE-RED-M": 4, "ESB-TEE-BLUE-L": 0, "ESB-MUG-WHITE": 9}
    assert session.calls["POST /sellers/listings/v3/update/inventory"] == 1

    session.calls.clear()
    later = deliver_stock(sqlite_registry, workflow, {"ESB-TEE-RED-M": 4, "ESB-MUG-WHITE": 8}, "2026-11-20T11:10:00Z")
    summary = drain_workflow(workflow, "run-2", clients, DrainSettings(), url=sqlite_registry)
    assert summary.done == [later[1]] and summary.filtered == [later[0]]  # the unchanged count is not sent
    assert counts(sandbox, "ESB-MUG-WHITE") == {"ESB-MUG-WHITE": 8}
    assert session.calls["POST /sellers/listings/v3/update/inventory"] == 1
