"""The GraphQL cost budget shared through the registry: processes together never take more points than the bucket
holds plus what it restores, and the app's throttle status pushes the shared budget forward, never back."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest
from sqlalchemy import text

from connectors.registry.db import get_engine
from connectors.registry.rate_budgets import DatabaseCostBudget, database_cost_budget
from connectors.runtime.http.rate_limit import CostBucket, cost_bucket_for
from connectors.spec import Catalog

KEY = "shopify/acme/cost"
SIZE, RATE = 100.0, 10.0  # a bucket of 100 points restoring 10 points per second


class FakeClock:
    """One clock for every budget, moved by the test: waits are recorded, nobody sleeps."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def budget(url: str, clock: FakeClock | None = None) -> DatabaseCostBudget:
    return DatabaseCostBudget(get_engine(url), KEY, clock=clock or FakeClock(), sleep=lambda _: None)


def worst_window(grants: list[tuple[float, float]]) -> float:
    """The largest excess of the points sent in any window [a, b] over `SIZE + RATE * (b - a)` (<= 0: never over)."""
    grants = sorted(grants)
    worst = float("-inf")
    for i, (start, _) in enumerate(grants):
        taken = 0.0
        for sent, cost in grants[i:]:
            taken += cost
            worst = max(worst, taken - (SIZE + RATE * (sent - start)))
    return worst


def test_two_budgets_on_one_row_never_grant_more_than_the_bucket_and_what_it_restores(registry_url: str) -> None:
    clock, rng = FakeClock(), random.Random(7)
    first, second = budget(registry_url, clock), budget(registry_url, clock)
    first.observe(SIZE, SIZE, RATE)  # the app: a full bucket of 100, restoring 10 per second
    grants: list[tuple[float, float]] = []  # (sent at, points)
    waits: list[float] = []
    for _ in range(120):
        taker = rng.choice([first, second])
        cost = float(rng.choice([1, 5, 12, 30, 60, 150]))  # 150: more than the bucket, taken as the whole bucket
        waits.append(taker.acquire(cost))
        grants.append((clock.now + waits[-1], min(cost, SIZE)))
        clock.now += rng.choice([0.0, 0.0, 0.5, 2.0, 15.0])
    assert worst_window(grants) <= 1e-6
    assert worst_window(grants) > -1.0  # and not needlessly slow: some window takes its whole allowance
    assert max(waits) > 0


def test_concurrent_takers_share_one_bucket(registry_url: str) -> None:
    """Each taker has its own budget object and connection, as separate processes would; the real clock runs but
    nobody sleeps, so what was granted is what the shared row decided."""
    budget(registry_url).observe(SIZE, SIZE, RATE)
    grants: list[tuple[float, float]] = []
    lock, barrier = threading.Lock(), threading.Barrier(4)

    def take(seed: int) -> None:
        asked: list[float] = []

        def clock() -> float:
            asked.append(time.time())
            return asked[-1]

        taker = DatabaseCostBudget(get_engine(registry_url), KEY, clock=clock, sleep=lambda _: None)
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(15):
            cost = float(rng.choice([3, 10, 25, 40]))
            waited = taker.acquire(cost)
            with lock:
                grants.append((asked[-1] + waited, cost))

    threads = [threading.Thread(target=take, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(grants) == 60
    assert worst_window(grants) <= 1e-3  # rounding only: an epoch time's double is exact to ~1e-7 s
    assert sum(cost for _, cost in grants) > SIZE  # some takers had to wait


def test_waits_follow_the_cost_once_the_bucket_is_empty(registry_url: str) -> None:
    clock = FakeClock()
    taker = budget(registry_url, clock)
    taker.observe(SIZE, SIZE, RATE)
    assert [taker.acquire(50) for _ in range(2)] == [0, 0]  # the bucket's 100 points at once
    assert taker.acquire(20) == pytest.approx(2.0)  # then 20 points restore in 2 s
    assert taker.acquire(500) == pytest.approx(12.0)  # at most the bucket: until it is full again after those
    clock.now += 12.0  # sent: the bucket is empty
    assert taker.acquire(10) == pytest.approx(1.0)


def test_until_the_app_reports_requests_go_then_every_process_uses_its_report(registry_url: str) -> None:
    clock = FakeClock()
    first, second = budget(registry_url, clock), budget(registry_url, clock)
    assert [first.acquire(80) for _ in range(3)] == [0, 0, 0]  # no size or rate known yet: as CostBucket
    first.observe(SIZE, 20, RATE)  # the app: 20 of 100 left
    assert second.acquire(40) == pytest.approx(2.0)  # a process that never saw a report meters by the row's
    assert second.known_costs == {} and second.known_costs is not first.known_costs  # a cache per process


def test_observe_pushes_the_budget_forward_never_back(registry_url: str) -> None:
    clock = FakeClock()
    taker, other = budget(registry_url, clock), budget(registry_url, clock)
    taker.observe(SIZE, SIZE, RATE)
    assert taker.acquire(60) == 0  # we think 40 are left
    other.observe(SIZE, 10, RATE)  # the app says 10: forward
    assert taker.acquire(30) == pytest.approx(2.0)
    next_at = stored_next_at(registry_url)
    other.observe(SIZE, SIZE, RATE)  # the app says full (it does not count what others took and not yet sent)
    assert stored_next_at(registry_url) == pytest.approx(next_at)  # never back
    assert taker.acquire(10) == pytest.approx(3.0)
    clock.now += 100.0
    taker.observe(SIZE, 0, RATE)  # much later, the app says empty: forward from now
    assert stored_next_at(registry_url) == pytest.approx(clock.now + SIZE / RATE)
    assert taker.acquire(10) == pytest.approx(1.0)


def test_the_apps_size_and_rate_are_adopted(registry_url: str) -> None:
    clock = FakeClock()
    taker = budget(registry_url, clock)
    taker.observe(SIZE, 0, RATE)
    taker.observe(2000, 2000, 100)  # another plan: 2000 points, 100 per second (and full)
    with get_engine(registry_url).connect() as connection:
        row = connection.execute(text("SELECT maximum, restore_rate FROM rate_budgets WHERE key = :k"), {"k": KEY})
        assert tuple(row.one()) == (2000, 100)
    assert taker.acquire(1000) == pytest.approx(0.0)  # 10 s of the old rate in debt: 1000 of the 2000 are there
    taker.observe(SIZE, 5, 0)  # a bucket that does not restore: requests go, the app's answer decides
    assert taker.acquire(90) == 0


def stored_next_at(url: str) -> float:
    with get_engine(url).connect() as connection:
        return float(connection.execute(text("SELECT next_at FROM rate_budgets WHERE key = :k"), {"k": KEY}).one()[0])


def test_the_registry_cost_budget_is_per_app_and_connection_and_the_process_bucket_on_sqlite(
    registry_url: str,
) -> None:
    shopify = Catalog.load().get("shopify@3.0.0")
    cost_budget = database_cost_budget(shopify, "acme_shop", registry_url)
    if registry_url.startswith("sqlite"):
        assert isinstance(cost_budget, CostBucket) and cost_budget is cost_bucket_for("shopify", "acme_shop")
    else:
        assert isinstance(cost_budget, DatabaseCostBudget) and cost_budget.key == "shopify/acme_shop/cost"
        assert database_cost_budget(shopify, "acme_shop", registry_url) is cost_budget  # one object per process
        assert database_cost_budget(shopify, "other_shop", registry_url) is not cost_budget


def test_clients_built_for_workflows_share_the_registry_cost_budget(
    registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.hooks import app as app_hooks

    extra = {"shop": "demo", "access_token": "shpat_cost_token", "webhook_secret": "whsec_cost"}
    monkeypatch.setenv("AIRFLOW_CONN_COST_SHOP", json.dumps({"conn_type": "integrations_shopify", "extra": extra}))
    client = app_hooks.AppHook("shopify@3.0.0", "cost_shop").get_client()
    if registry_url.startswith("sqlite"):
        assert client.cost_bucket is cost_bucket_for("shopify", "cost_shop")
    else:
        assert isinstance(client.cost_bucket, DatabaseCostBudget) and client.cost_bucket.key == "shopify/cost_shop/cost"
