"""The request-rate budget shared through the registry: concurrent takers never get slots closer than the rate."""

from __future__ import annotations

import threading

import pytest

from connectors.registry.db import get_engine
from connectors.registry.rate_budgets import DatabaseRateBudget, database_rate_budget
from connectors.runtime.http.rate_limit import TokenBucket
from connectors.spec import Catalog


def slots_taken(url: str, takers: int, each: int, rate: float, burst: float) -> list[float]:
    """Every taker has its own budget object and connection, as separate processes would; nobody sleeps, so the
    slots granted are what the shared row decided."""
    slots: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(takers)

    def take() -> None:
        clock_now: list[float] = []

        def clock() -> float:
            import time

            clock_now.append(time.time())
            return clock_now[-1]

        budget = DatabaseRateBudget(get_engine(url), "shopify/acme", rate, burst, clock=clock, sleep=lambda _: None)
        barrier.wait()
        for _ in range(each):
            waited = budget.acquire()
            with lock:
                slots.append(clock_now[-1] + waited)

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(slots)


def test_concurrent_takers_share_one_rate(registry_url: str) -> None:
    slots = slots_taken(registry_url, takers=4, each=15, rate=50.0, burst=1)
    assert len(slots) == 60
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 1 / 50 - 1e-3  # four takers, one rate: never two slots closer than 20 ms


def test_a_burst_goes_at_once_then_the_rate_holds(registry_url: str) -> None:
    still = 1000.0  # the clock stands still and nobody sleeps: only the shared row decides
    budget = DatabaseRateBudget(
        get_engine(registry_url), "shopify/acme", 10.0, 5, clock=lambda: still, sleep=lambda _: None
    )
    waits = [budget.acquire() for _ in range(8)]
    assert waits[:4] == pytest.approx([0, 0, 0, 0], abs=1e-6)  # the burst less one kept back: no wait
    assert waits[4:] == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=1e-3)  # then one request per 100 ms


def test_the_apps_usage_header_pushes_the_budget_back(registry_url: str) -> None:
    budget = DatabaseRateBudget(get_engine(registry_url), "shopify/acme", 2.0, 40, sleep=lambda _: None)
    assert [budget.acquire() for _ in range(3)] == [0, 0, 0]  # a burst of 40 declared (39 used)
    budget.observe_usage(40, 40)  # the app says its bucket is full: one call per leak, no burst
    waits = [budget.acquire() for _ in range(3)]
    assert waits == pytest.approx([0.5, 1.0, 1.5], abs=0.05)


def test_the_registry_budget_is_per_app_and_connection_and_a_token_bucket_on_sqlite(registry_url: str) -> None:
    shopify = Catalog.load().get("shopify@1.0.0")
    budget = database_rate_budget(shopify, "acme_shop", registry_url)
    if registry_url.startswith("sqlite"):
        assert isinstance(budget, TokenBucket)
    else:
        assert isinstance(budget, DatabaseRateBudget) and budget.key == "shopify/acme_shop"
        assert database_rate_budget(Catalog.load().get("shopify@2.0.0"), "acme_shop", registry_url) is budget
