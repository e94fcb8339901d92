"""A bulk step drained against the Shopify sandbox: the seed stock workflow sets levels 250 a request, finds
SKUs in Shopify and remembers them, sends only what changed, and ends each event with its own item's outcome."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from connectors.registry.db import get_engine, session_scope
from connectors.registry.models import ActionLogEntry, Circuit, EventStatus, ResolvedValue
from connectors.registry.sync_state import Target, remember_resolved
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.rate_limit import CostBucket
from connectors.spec import Catalog
from connectors.workflows.engine import ClientFactory
from tests.unit.sandbox.fixtures import SHOPIFY_SECRET, SHOPIFY_TOKEN, Sandbox
from tests.unit.workflows.drain_fixtures import statuses
from tests.unit.workflows.stock_sync import CountingSession, apply_seed, deliver_stock, drain

LOCATION = 65_000_000_001


@pytest.fixture
def session() -> CountingSession:
    return CountingSession()


@pytest.fixture
def clients(sandbox: Sandbox, session: CountingSession) -> ClientFactory:
    catalog = Catalog.load()
    bucket = CostBucket()

    def build(app_ref: str, conn_id: str) -> AppClient:
        values = ConnectionValues(conn_id, {"access_token": SHOPIFY_TOKEN, "webhook_secret": SHOPIFY_SECRET},
                                  {"shop": "demo"})  # fmt: skip
        client = AppClient(catalog.get(app_ref), values, environment={"ADMIN_BASE_URL": f"{sandbox.url}/shopify"},
                           session=session, sleep=lambda _: None)  # fmt: skip
        client.cost_bucket = bucket
        return client

    return build


@pytest.fixture
def workflow(registry: str) -> int:
    return apply_seed(registry, "eshopbox_stock_to_shopify")


def seed_items(sandbox: Sandbox, count: int) -> list[str]:
    """`count` inventory items in the Shopify sandbox, SKU-00000…; their SKUs."""
    body = {"count": count, "sku_prefix": "SKU-", "start": 0, "pad": 5, "location_ids": [LOCATION]}
    sandbox.control("shopify", "/inventory_items/bulk", body)
    return [f"SKU-{n:05d}" for n in range(count)]


def shopify_levels(sandbox: Sandbox) -> dict[str, int]:
    """SKU -> available at the location, as the sandbox holds it."""
    return sandbox.control("shopify", f"/inventory_levels?location_id={LOCATION}", method="GET")


def test_levels_go_250_a_request_and_skus_are_found_once(
    registry: str, workflow: int, sandbox: Sandbox, session: CountingSession, clients: ClientFactory
) -> None:
    skus = seed_items(sandbox, 600)
    stock = {sku: n % 37 for n, sku in enumerate(skus)}
    ids = deliver_stock(registry, workflow, stock, "2026-11-20T10:10:00Z")

    summary = drain(registry, workflow, clients, "run-1")

    assert sorted(summary.done) == sorted(ids) and not summary.failed
    assert {sku: level for sku, level in shopify_levels(sandbox).items() if sku in stock} == stock
    assert session.operations["SetInventoryLevels"] == 3  # 250 + 250 + 100
    assert session.operations["FindInventoryItems"] == 3  # 250 SKUs a search
    with session_scope(registry) as db:
        assert len(db.scalars(select(ResolvedValue)).all()) == 600
        logged = db.scalars(
            select(ActionLogEntry).where(ActionLogEntry.dedupe_key == f"{skus[7]}|GGN|2026-11-20T10:10:00Z")
        )
        entry = logged.one()
        assert entry.outcome.value == "succeeded" and entry.request["item"]["quantity"] == 7


def test_only_changed_levels_are_sent_and_reconcile_sends_all(
    registry: str, workflow: int, sandbox: Sandbox, session: CountingSession, clients: ClientFactory
) -> None:
    skus = seed_items(sandbox, 300)
    stock = {sku: 5 for sku in skus}
    deliver_stock(registry, workflow, stock, "2026-11-20T10:10:00Z")
    drain(registry, workflow, clients, "run-1")
    session.operations.clear()

    changed = {**stock, **{sku: 9 for sku in skus[:10]}}  # a later window: 10 of 300 changed
    ids = deliver_stock(registry, workflow, changed, "2026-11-20T11:10:00Z")
    summary = drain(registry, workflow, clients, "run-2")

    assert sorted(summary.done) == ids[:10] and len(summary.filtered) == 290
    assert session.operations == Counter({"SetInventoryLevels": 1})  # the SKUs are remembered: no search
    assert statuses(registry)[ids[20]][1].startswith("unchanged: the same values were pushed at")
    assert shopify_levels(sandbox)[skus[0]] == 9 and shopify_levels(sandbox)[skus[20]] == 5

    with sandbox.state.lock:  # someone changed Shopify by hand: only a reconciliation notices
        for level in sandbox.state.shopify.inventory_levels.values():
            level["available"] = 0
    again = deliver_stock(registry, workflow, changed, "2026-11-20T12:10:00Z")
    assert drain(registry, workflow, clients, "run-3").done == []
    deliver_stock(registry, workflow, changed, "2026-11-20T13:10:00Z")
    summary = drain(registry, workflow, clients, "run-4", reconcile=True)
    assert len(summary.done) == 300 and again[0] not in summary.done
    assert {sku: level for sku, level in shopify_levels(sandbox).items() if sku in changed} == changed


def test_an_unknown_sku_fails_alone_and_a_stale_id_is_searched_again(
    registry: str, workflow: int, sandbox: Sandbox, session: CountingSession, clients: ClientFactory
) -> None:
    skus = seed_items(sandbox, 5)
    with get_engine(registry).begin() as connection:  # an id Shopify no longer knows (the item was recreated)
        remember_resolved(connection, Target("shopify", "demo_shopify"), "find_inventory_items",
                          {skus[1]: "gid://shopify/InventoryItem/1"})  # fmt: skip
    ids = deliver_stock(registry, workflow, {**{sku: 3 for sku in skus}, "NO-SUCH-SKU": 4}, "2026-11-20T10:10:00Z")

    summary = drain(registry, workflow, clients, "run-1")

    outcome = statuses(registry)
    assert outcome[ids[5]] == (
        EventStatus.FAILED,
        "inventory_item_id: the app has no item for sku 'NO-SUCH-SKU' (search 'find_inventory_items')",
    )
    assert sorted(summary.done) == ids[:5], outcome  # the stale one too, after a second search
    assert all(shopify_levels(sandbox)[sku] == 3 for sku in skus)
    # the first request named the stale item; Shopify applied none of it, so the others went again with it
    assert session.operations["SetInventoryLevels"] == 3


def test_a_down_app_gives_the_batch_back_and_trips_the_breaker(
    registry: str, workflow: int, sandbox: Sandbox, clients: ClientFactory
) -> None:
    skus = seed_items(sandbox, 10)
    ids = deliver_stock(registry, workflow, {sku: 2 for sku in skus}, "2026-11-20T10:10:00Z")
    sandbox.control("shopify", "/faults", {"mode": "unavailable", "requests": 1000})

    summary = drain(registry, workflow, clients, "run-1")

    assert summary.done == [] and not summary.failed and sorted(summary.released) == ids
    with session_scope(registry) as db:
        assert db.get(Circuit, ("shopify", "demo_shopify")) is not None
    outcome = statuses(registry)
    assert all(outcome[i][0] is EventStatus.RECEIVED and outcome[i][1].startswith("not tried: ") for i in ids)
    assert all(level == 0 for sku, level in shopify_levels(sandbox).items() if sku in skus)
