"""Delhivery's per-IP throttles (`connectors.sandbox.delhivery.throttles`): each API has its own allowance
(tracking, shipping charges, and shipment creation and pickups when configured), refusals are Delhivery's 429 with
`Retry-After`, and every 429 served is counted per IP until a reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.delhivery.api import TOKEN, charges, create, package, request_pickup, state, track
from tests.unit.sandbox.fixtures import FOREVER, LIMIT, Sandbox, fast_config

CLIENT_IP = "127.0.0.1"


@pytest.fixture(scope="module")
def throttled() -> Iterator[Sandbox]:
    """Every Delhivery API allows LIMIT calls per IP, never refilled during a test."""
    limits = {
        f"{scope}_rate_{field}": value
        for scope in ("tracking", "invoice", "create", "pickup")
        for field, value in (("limit", LIMIT), ("window", FOREVER))
    }
    with SandboxServer(fast_config(delhivery=limits)) as server:
        yield Sandbox(server)


@pytest.fixture
def sandbox_limited(throttled: Sandbox) -> Sandbox:
    throttled.state.reset()
    return throttled


def test_documented_defaults() -> None:
    config = fast_config().delhivery
    assert (config.tracking_rate_limit, config.tracking_rate_window) == (750, 300.0)
    assert (config.invoice_rate_limit, config.invoice_rate_window) == (40, 60.0)
    assert config.create_rate_limit is None and config.pickup_rate_limit is None  # undocumented: off


def test_each_api_has_its_own_allowance_per_ip(sandbox_limited: Sandbox) -> None:
    sandbox = sandbox_limited
    assert [charges(sandbox).status_code for _ in range(LIMIT + 1)] == [200] * LIMIT + [429]
    assert track(sandbox, "1").status_code == 200  # charges spent none of tracking's calls
    created = [create(sandbox, package(f"ESB-{n}")).status_code for n in range(LIMIT + 1)]
    assert created == [200] * LIMIT + [429]
    assert len(state(sandbox)["orders"]) == LIMIT  # the refused create manifested nothing
    body = {"pickup_location": "Eshopbox GGN", "pickup_date": "2099-01-01", "pickup_time": "10:00:00"}
    pickups = [request_pickup(sandbox, {**body, "expected_package_count": 1}).status_code for _ in range(LIMIT + 1)]
    assert pickups == [200] + [400] * (LIMIT - 1) + [429]  # refusals spend calls too
    refused = charges(sandbox)
    assert refused.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert int(refused.headers["Retry-After"]) >= 1
    assert sandbox.rate_limited("delhivery") == (4, {CLIENT_IP: 4})
    sandbox.control("delhivery", "/reset")
    assert sandbox.rate_limited("delhivery") == (0, {}) and charges(sandbox).status_code == 200


def test_a_refused_token_spends_nothing(sandbox_limited: Sandbox) -> None:
    for _ in range(LIMIT + 2):
        assert charges(sandbox_limited, headers={"Authorization": "Token nope"}).status_code == 401
    assert charges(sandbox_limited, headers=TOKEN).status_code == 200
    assert sandbox_limited.rate_limited("delhivery") == (0, {})


def test_concurrent_burst_of_charges_counts_exactly_the_429s_served(sandbox_limited: Sandbox) -> None:
    query = "md=S&cgm=1&o_pin=122002&d_pin=122002&ss=RTO"
    url = f"{sandbox_limited.url}/delhivery/api/kinko/v1/invoice/charges/.json?{query}"
    answers = sandbox_limited.burst(url, 30, TOKEN)
    assert answers == {200: LIMIT, 429: 30 - LIMIT}
    assert sandbox_limited.rate_limited("delhivery") == (answers[429], {CLIENT_IP: answers[429]})
