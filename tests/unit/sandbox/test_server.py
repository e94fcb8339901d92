"""The combined app (`connectors.sandbox.server`): one shape of 429 counts across the three vendors' control APIs."""

from __future__ import annotations

import pytest

from tests.unit.sandbox.fixtures import LIMIT, Sandbox


@pytest.mark.parametrize("vendor", ["shopify", "eshopbox", "delhivery"])
def test_every_vendor_state_shows_its_429s_the_same_way(sandbox: Sandbox, vendor: str) -> None:
    state = sandbox.control(vendor, "/state", method="GET")
    assert (state["rate_limited"], state["rate_limited_by"]) == (0, {})


def test_a_full_reset_clears_every_vendors_count(limited_sandbox: Sandbox) -> None:
    for _ in range(LIMIT + 1):
        limited_sandbox.shopify("GET", "/orders.json")
        limited_sandbox.http.get(
            f"{limited_sandbox.url}/delhivery/api/v1/packages/json/?waybill=1",
            headers={"Authorization": "Token sandbox-delhivery-token"},
        )
    assert limited_sandbox.rate_limited("shopify")[0] == limited_sandbox.rate_limited("delhivery")[0] == 1
    assert limited_sandbox.http.post(f"{limited_sandbox.url}/_sandbox/reset").status_code == 200
    assert limited_sandbox.rate_limited("shopify") == limited_sandbox.rate_limited("delhivery") == (0, {})
