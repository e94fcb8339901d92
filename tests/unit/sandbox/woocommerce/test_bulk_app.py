"""woocommerce@1.0.0 `set_stock_levels` (bulk, `products/batch`) and `find_products_by_sku` through the runtime
(`run_bulk_action`, `resolve_keys`) against the sandbox, OAuth 1.0a over HTTP."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from connectors.runtime.bulk import item_values, resolve_keys, run_bulk_action
from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.spec import Catalog
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.woocommerce.api import CONSUMER_KEY, CONSUMER_SECRET, store_url
from tests.unit.sandbox.woocommerce.test_batch import UNKNOWN, seed, stock
from tests.unit.workflows.stock_sync import CountingSession


@pytest.fixture
def session() -> CountingSession:
    return CountingSession("/wp-json/wc/v3")


@pytest.fixture
def client(sandbox: Sandbox, session: CountingSession) -> AppClient:
    values = ConnectionValues("demo_woocommerce", {"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET},
                              {"store_url": store_url(sandbox)})  # fmt: skip
    return AppClient(Catalog.load().get("woocommerce@1.0.0"), values, session=session, sleep=lambda _: None)


def items(client: AppClient, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item_values(client, "set_stock_levels", row) for row in rows]


def test_250_products_are_found_by_sku_and_set_in_3_requests(
    sandbox: Sandbox, client: AppClient, session: CountingSession
) -> None:
    ids = seed(sandbox, 250, stock_quantity=0)
    skus = [f"SKU-{n:05d}" for n in range(250)]
    resolve = client.spec.actions["set_stock_levels"].resolve["product_id"]

    found = resolve_keys(client, resolve, skus)

    assert found == dict(zip(skus, ids, strict=True))
    assert session.calls == Counter({"GET /products": 3})  # 100 + 100 + 50 SKUs a search
    rows = [{"sku": sku, "product_id": found[sku], "stock_quantity": n % 13} for n, sku in enumerate(skus)]
    calls = [run_bulk_action(client, "set_stock_levels", chunk) for chunk in
             (items(client, rows[start : start + 100]) for start in range(0, 250, 100))]  # fmt: skip

    assert [call.requests for call in calls] == [1, 1, 1]
    assert session.calls["POST /products/batch"] == 3
    assert calls[0].request["method"] == "POST" and calls[0].request["items"] == 100
    outcomes = [outcome for call in calls for outcome in call.outcomes]
    assert all(outcome.error is None and outcome.status_code == 200 for outcome in outcomes)
    assert outcomes[14].result["id"] == ids[14] and outcomes[14].result["stock_quantity"] == 1
    assert stock(sandbox) == {sku: n % 13 for n, sku in enumerate(skus)}


def test_an_unknown_product_id_fails_alone(sandbox: Sandbox, client: AppClient, session: CountingSession) -> None:
    ids = seed(sandbox, 2, stock_quantity=5)
    call = run_bulk_action(client, "set_stock_levels", items(client, [
        {"product_id": ids[0], "stock_quantity": 8},
        {"product_id": UNKNOWN, "stock_quantity": 3},
        {"product_id": ids[1], "stock_quantity": 9},
    ]))  # fmt: skip

    assert call.requests == 1 and session.calls == Counter({"POST /products/batch": 1})
    applied, refused, also = call.outcomes
    assert (refused.error, refused.code) == ("Invalid ID.", "woocommerce_rest_product_invalid_id")
    unknown_codes = client.spec.actions["set_stock_levels"].resolve["product_id"].unknown_codes
    assert refused.code in unknown_codes  # a remembered id WooCommerce no longer knows is searched again
    assert applied.error is None and also.error is None
    assert stock(sandbox) == {"SKU-00000": 8, "SKU-00001": 9}


def test_sku_resolution_finds_variations_and_leaves_unknown_skus_out(client: AppClient) -> None:
    resolve = client.spec.actions["set_stock_levels"].resolve["product_id"]
    found = resolve_keys(client, resolve, ["ESB-TEE-RED-M", "ESB-MUG-WHITE", "NO-SUCH-SKU"])
    assert found == {"ESB-TEE-RED-M": 13, "ESB-MUG-WHITE": 11}
    call = run_bulk_action(client, "set_stock_levels", items(client, [{"product_id": 13, "stock_quantity": 0}]))
    assert call.outcomes[0].error is None and call.outcomes[0].result["stock_status"] == "outofstock"


def test_more_items_than_a_request_takes_are_refused_before_sending(
    client: AppClient, session: CountingSession
) -> None:
    rows = items(client, [{"product_id": 11, "stock_quantity": 1}] * 101)
    with pytest.raises(ConfigurationError, match="at most 100"):
        run_bulk_action(client, "set_stock_levels", rows)
    assert not session.calls


def test_a_batch_whose_answer_was_lost_is_sent_again_as_it_sets_absolute_values(
    sandbox: Sandbox, client: AppClient, session: CountingSession
) -> None:
    ids = seed(sandbox, 2, stock_quantity=5)
    fault = {"mode": "commit_then_503", "requests": 1, "method": "POST", "path": "/wp-json/wc/v3/products/batch"}
    sandbox.control("woocommerce", "/faults", fault)

    rows = items(client, [{"product_id": i, "stock_quantity": 4} for i in ids])
    call = run_bulk_action(client, "set_stock_levels", rows)

    assert session.calls["POST /products/batch"] == 2  # `idempotent: true`: a 503 after the commit is retried
    assert all(outcome.error is None for outcome in call.outcomes)
    assert stock(sandbox) == {"SKU-00000": 4, "SKU-00001": 4}
