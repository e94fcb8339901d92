"""The Shopify simulator's gate (`connectors.sandbox.shopify.simulator`): the access token, the per-shop call-limit
bucket, and the count of the 429s it serves."""

from __future__ import annotations

from tests.unit.sandbox.fixtures import LIMIT, Sandbox

SHOP = "demo.myshopify.com"


def test_admin_calls_need_the_access_token(sandbox: Sandbox) -> None:
    for token in (None, "shpat_wrong"):
        response = sandbox.shopify("GET", "/orders.json", token=token)
        assert response.status_code == 401
        assert "Invalid API key or access token" in response.json()["errors"]
    assert sandbox.shopify("GET", "/orders.json").status_code == 200
    assert sandbox.rate_limited("shopify") == (0, {})  # a 401 is not a rate-limit refusal


def test_call_limit_header_and_429_when_the_bucket_is_full(sandbox: Sandbox) -> None:
    used = []
    for _ in range(60):
        response = sandbox.shopify("GET", "/orders.json")
        if response.status_code == 429:
            break
        used.append(int(response.headers["X-Shopify-Shop-Api-Call-Limit"].split("/")[0]))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2.0"
    assert response.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/40")
    assert used[:3] == [1, 2, 3]
    assert used == sorted(used) and used[-1] >= 39
    assert sandbox.http.get(f"{sandbox.url}/shopify/_sandbox/state").status_code == 200  # control API is not limited
    assert sandbox.rate_limited("shopify") == (1, {SHOP: 1})


def test_every_429_is_counted_per_shop_until_reset(limited_sandbox: Sandbox) -> None:
    statuses = [limited_sandbox.shopify("GET", "/orders.json").status_code for _ in range(LIMIT + 3)]
    assert statuses == [200] * LIMIT + [429] * 3
    state = limited_sandbox.control("shopify", "/state", method="GET")
    assert (state["rate_limited"], state["rate_limited_by"]) == (3, {SHOP: 3})
    assert state["call_limit"] == {SHOP: f"{LIMIT}/{LIMIT}"}
    limited_sandbox.control("shopify", "/reset")
    assert limited_sandbox.rate_limited("shopify") == (0, {})
    assert limited_sandbox.shopify("GET", "/orders.json").status_code == 200  # the bucket was reset too


def test_concurrent_burst_counts_exactly_the_429s_served(limited_sandbox: Sandbox) -> None:
    headers = {"X-Shopify-Access-Token": "shpat_sandbox_demo_token"}
    answers = limited_sandbox.burst(f"{limited_sandbox.admin}/orders.json", 40, headers)
    assert answers == {200: LIMIT, 429: 40 - LIMIT}
    assert limited_sandbox.rate_limited("shopify") == (answers[429], {SHOP: answers[429]})
