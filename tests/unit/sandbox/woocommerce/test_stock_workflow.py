"""The seed workflow `eshopbox_stock_to_woocommerce` drained against the WooCommerce sandbox: quantities go 100 a
`products/batch` request, SKUs are found in WooCommerce and remembered, only what changed is sent, an unknown SKU
or a stale id fails or is searched again on its own, and other warehouses' rows are filtered."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.registry.db import get_engine, session_scope
from connectors.registry.models import EventStatus, ResolvedValue
from connectors.registry.sync_state import Target, remember_resolved
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.spec import Catalog
from connectors.workflows.engine import ClientFactory
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.woocommerce.api import CONSUMER_KEY, CONSUMER_SECRET, store_url
from tests.unit.sandbox.woocommerce.test_batch import seed, stock
from tests.unit.workflows.drain_fixtures import statuses
from tests.unit.workflows.stock_sync import CountingSession, apply_seed, deliver_stock, drain

SEED = Path(__file__).resolve().parents[4] / "include" / "workflows" / "eshopbox_stock_to_woocommerce.yaml"


@pytest.fixture
def session() -> CountingSession:
    return CountingSession("/wp-json/wc/v3")


@pytest.fixture
def clients(sandbox: Sandbox, session: CountingSession) -> ClientFactory:
    catalog = Catalog.load()

    def build(app_ref: str, conn_id: str) -> AppClient:
        values = ConnectionValues(conn_id, {"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET},
                                  {"store_url": store_url(sandbox)})  # fmt: skip
        return AppClient(catalog.get(app_ref), values, session=session, sleep=lambda _: None)

    return build


@pytest.fixture
def workflow(sqlite_registry: str) -> int:
    return apply_seed(sqlite_registry, "eshopbox_stock_to_woocommerce")


def test_quantities_go_100_a_request_and_skus_are_found_once(
    sqlite_registry: str, workflow: int, sandbox: Sandbox, session: CountingSession, clients: ClientFactory
) -> None:
    seed(sandbox, 250, stock_quantity=0)
    skus = [f"SKU-{n:05d}" for n in range(250)]
    wanted = {sku: n % 17 for n, sku in enumerate(skus)}
    ids = deliver_stock(sqlite_registry, workflow, {**wanted, "NO-SUCH-SKU": 3}, "2026-11-20T10:10:00Z")
    elsewhere = deliver_stock(sqlite_registry, workflow, {skus[0]: 99}, "2026-11-20T10:10:00Z", warehouse="BLR")

    summary = drain(sqlite_registry, workflow, clients, "run-1")

    assert sorted(summary.done) == ids[:250]
    outcome = statuses(sqlite_registry)
    assert outcome[ids[250]] == (
        EventStatus.FAILED,
        "product_id: the app has no item for sku 'NO-SUCH-SKU' (search 'find_products_by_sku')",
    )
    assert outcome[elsewhere[0]][0] is EventStatus.FILTERED
    assert stock(sandbox) == wanted
    assert session.calls == {"GET /products": 3, "POST /products/batch": 3}  # 100 + 100 + 50 each
    with session_scope(sqlite_registry) as db:
        assert len(db.scalars(select(ResolvedValue)).all()) == 250

    session.calls.clear()
    changed = {**wanted, skus[3]: 40, skus[200]: 41}  # a later window: 2 of 250 changed
    later = deliver_stock(sqlite_registry, workflow, changed, "2026-11-20T11:10:00Z")
    summary = drain(sqlite_registry, workflow, clients, "run-2")
    assert sorted(summary.done) == [later[3], later[200]] and len(summary.filtered) == 248
    assert session.calls == {"POST /products/batch": 1}  # the SKUs are remembered: no search
    assert stock(sandbox)[skus[3]] == 40 and stock(sandbox)[skus[200]] == 41


def test_a_stale_product_id_is_searched_again_and_set(
    sqlite_registry: str, workflow: int, sandbox: Sandbox, session: CountingSession, clients: ClientFactory
) -> None:
    ids = seed(sandbox, 3, stock_quantity=0)
    skus = [f"SKU-{n:05d}" for n in range(3)]
    with get_engine(sqlite_registry).begin() as connection:  # an id WooCommerce no longer knows (recreated)
        remember_resolved(connection, Target("woocommerce", "demo_woocommerce"), "find_products_by_sku",
                          {skus[1]: 999_999, skus[0]: ids[0], skus[2]: ids[2]})  # fmt: skip
    events = deliver_stock(sqlite_registry, workflow, {sku: 6 for sku in skus}, "2026-11-20T10:10:00Z")

    summary = drain(sqlite_registry, workflow, clients, "run-1")

    assert sorted(summary.done) == events, statuses(sqlite_registry)
    assert stock(sandbox) == {sku: 6 for sku in skus}
    # not atomic: the first request applied the others; only the stale item went again, after one search
    assert session.calls == {"POST /products/batch": 2, "GET /products": 1}
