"""The Eshopbox simulator's gate (`connectors.sandbox.eshopbox.simulator`): bearer auth, then the per-client API
limit, which is off by default (Eshopbox documents none) and counts every 429 it serves when configured."""

from __future__ import annotations

from tests.unit.sandbox.eshopbox.api import GRANT, order_body
from tests.unit.sandbox.fixtures import LIMIT, Sandbox

CLIENT = GRANT["client_id"]


def order_url(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/eshopbox/wms/api/order/nope"


def test_the_api_is_not_limited_by_default(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sandbox.eshopbox_token()}"}
    answers = sandbox.burst(order_url(sandbox), 30, headers)
    assert answers == {404: 30}  # authenticated, unknown order: never a 429
    assert sandbox.rate_limited("eshopbox") == (0, {})


def test_every_429_is_counted_per_client_until_reset(limited_sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {limited_sandbox.eshopbox_token()}"}
    unauthenticated = limited_sandbox.http.get(order_url(limited_sandbox))
    assert unauthenticated.status_code == 401  # refused before the limit: spends nothing, counts nothing
    created = limited_sandbox.http.post(
        f"{limited_sandbox.url}/eshopbox/wms/api/order", json=order_body("RL-1"), headers=headers
    )
    assert created.status_code == 200
    statuses = [limited_sandbox.http.get(order_url(limited_sandbox), headers=headers).status_code for _ in range(6)]
    assert statuses == [404] * (LIMIT - 1) + [429] * 2
    refused = limited_sandbox.http.get(
        f"{limited_sandbox.url}/eshopbox/platform/api/v2/productListing", headers=headers
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["message"]
    assert limited_sandbox.rate_limited("eshopbox") == (3, {CLIENT: 3})
    assert limited_sandbox.http.get(f"{limited_sandbox.url}/eshopbox/_sandbox/state").status_code == 200
    limited_sandbox.control("eshopbox", "/reset")
    assert limited_sandbox.rate_limited("eshopbox") == (0, {})


def test_concurrent_burst_counts_exactly_the_429s_served(limited_sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {limited_sandbox.eshopbox_token()}"}
    answers = limited_sandbox.burst(order_url(limited_sandbox), 40, headers)
    assert answers == {404: LIMIT, 429: 40 - LIMIT}
    assert limited_sandbox.rate_limited("eshopbox") == (answers[429], {CLIENT: answers[429]})
