"""Proactive rate limiting: one budget per (app, connection), corrected by the app's usage header.

`TokenBucket` holds the budget in this process. Several processes calling one connection at once (runs draining
in parallel) must share one budget instead, or N processes send N times the rate: the client takes any
`RateBudget` factory, e.g. the registry database's (`connectors.registry.rate_budgets`). The same holds for the
GraphQL cost bucket: `CostBucket` is the process's, and the client takes any `CostBudget` factory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from connectors.spec.app_version import AppVersionSpec, RateLimitSpec


class RateBudget(Protocol):
    def acquire(self) -> float:
        """Wait until one request may be sent; returns the seconds waited."""

    def observe_usage(self, used: float, limit: float) -> None:
        """The app says `used` of `limit` is taken."""


RateBudgetFactory = Callable[[AppVersionSpec, str], RateBudget]
"""(app version, connection id) -> the budget every request of that pair takes from."""


class TokenBucket:
    """`rate` tokens per second up to `capacity`; `acquire` waits for one token."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate, self.capacity = rate, capacity
        self._tokens, self._clock, self._sleep = capacity, clock, sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                delay = (1 - self._tokens) / self.rate
            self._sleep(delay)
            waited += delay

    def observe_usage(self, used: float, limit: float) -> None:
        """The app says `used` of `limit` is taken: never believe we have more left than it does."""
        if limit <= 0:
            return
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, self.capacity * (limit - used) / limit)

    @property
    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens


_buckets: dict[tuple[str, str], TokenBucket] = {}
_buckets_lock = threading.Lock()


def bucket_for(app_ref: str, connection_id: str, spec: RateLimitSpec) -> TokenBucket:
    """The process-wide bucket of one (app, connection): every client of that pair shares it."""
    with _buckets_lock:
        key = (app_ref, connection_id)
        if key not in _buckets:
            _buckets[key] = TokenBucket(spec.requests_per_second, spec.burst)
        return _buckets[key]


def process_budget(spec: AppVersionSpec, connection_id: str) -> RateBudget:
    """The default `RateBudgetFactory`: the process-wide token bucket."""
    assert spec.rate_limit is not None
    return bucket_for(spec.ref, connection_id, spec.rate_limit)


class CostBudget(Protocol):
    """A GraphQL calculated-query-cost budget of one (app, connection)."""

    known_costs: dict[str, float]
    """query -> the requested cost the app last reported for it: a cache, kept per process."""

    def acquire(self, cost: float = 1.0) -> float:
        """Take `cost` points (at most the bucket's size), sleeping until they are there; returns the seconds waited."""

    def observe(self, maximum: float, available: float, restore_rate: float) -> None:
        """The app's throttle status after a request: its bucket holds `maximum` points, `available` now, and
        restores `restore_rate` points per second."""


CostBudgetFactory = Callable[[AppVersionSpec, str], CostBudget]
"""(app version, connection id) -> the cost budget every GraphQL request of that pair takes from."""


class CostBucket:
    """A cost-based budget (GraphQL calculated query cost): `acquire(cost)` waits until the bucket holds `cost`
    points. Its size and restore rate are what the app last reported; until a first report it lets requests go."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self.maximum: float | None = None
        self.restore_rate = 0.0
        self._available, self._updated = 0.0, clock()
        self._lock = threading.Lock()
        self.known_costs: dict[str, float] = {}  # query -> the requested cost the app reported for it

    def _refill(self) -> None:
        now = self._clock()
        if self.maximum is not None:
            self._available = min(self.maximum, self._available + (now - self._updated) * self.restore_rate)
        self._updated = now

    def acquire(self, cost: float = 1.0) -> float:
        """Take `cost` points (at most the bucket's size), sleeping until they are there; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self.maximum is None:
                    return waited
                wanted = min(cost, self.maximum)
                if self._available >= wanted or self.restore_rate <= 0:
                    self._available -= wanted
                    return waited
                delay = (wanted - self._available) / self.restore_rate
            self._sleep(delay)
            waited += delay

    def observe(self, maximum: float, available: float, restore_rate: float) -> None:
        """The app's throttle status after a request: it is the truth (it refunds what a query did not use)."""
        with self._lock:
            self.maximum, self.restore_rate = maximum, restore_rate
            self._available, self._updated = min(available, maximum), self._clock()

    @property
    def available(self) -> float | None:
        with self._lock:
            self._refill()
            return None if self.maximum is None else self._available


_cost_buckets: dict[tuple[str, str], CostBucket] = {}


def cost_bucket_for(app_key: str, connection_id: str) -> CostBucket:
    """The process-wide cost bucket of one (app, connection): every version and client of that pair shares it, as
    the app keeps one bucket per (app, store)."""
    with _buckets_lock:
        key = (app_key, connection_id)
        if key not in _cost_buckets:
            _cost_buckets[key] = CostBucket()
        return _cost_buckets[key]


def process_cost_budget(spec: AppVersionSpec, connection_id: str) -> CostBudget:
    """The default `CostBudgetFactory`: the process-wide cost bucket."""
    return cost_bucket_for(spec.app.key, connection_id)


def parse_call_limit(value: str | None) -> tuple[float, float] | None:
    """`32/40` -> (32, 40); None if absent or malformed."""
    if not value or "/" not in value:
        return None
    used, _, limit = value.partition("/")
    try:
        return float(used), float(limit)
    except ValueError:
        return None
