"""A request-rate budget shared by every process, in the registry database (the generic cell rate algorithm).

One row per (app, connection) holds `next_at`, the theoretical arrival time of the next request. Taking a slot is
ONE atomic statement, `UPDATE .. SET next_at = max(next_at, now) + 1/rate RETURNING next_at`, so processes never
race; the caller then sleeps until its slot. `burst` requests may go at once after a quiet spell, as with a token
bucket of that capacity. The app's usage header (`32/40`) pushes `next_at` forward when the app counts more.
Keyed by app, not app version: two versions of an app on one connection share the vendor's one limit.

`DatabaseCostBudget` does the same for a GraphQL calculated-query cost (Shopify), in the row `<app>/<connection>/cost`
of the same table, which also holds the bucket's size and restore rate as the app last reported them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import Engine, create_engine, text

from connectors.registry.db import get_engine, insert_for
from connectors.registry.models import StoredRateBudget
from connectors.runtime.http.rate_limit import (
    CostBudget,
    RateBudget,
    process_budget,
    process_cost_budget,
)
from connectors.spec.app_version import AppVersionSpec


def _create_row(engine: Engine, key: str) -> None:
    """The budget's row, if no process made it yet."""
    insert = insert_for(engine.dialect.name)
    with engine.connect() as connection:
        connection.execute(
            insert(StoredRateBudget.__table__)
            .values(key=key, next_at=0.0)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        connection.commit()  # a no-op in autocommit


class DatabaseRateBudget:
    def __init__(
        self,
        engine: Engine,
        key: str,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine, self.key, self.clock, self.sleep = engine, key, clock, sleep
        # one request of the declared burst is kept back: between taking a slot and the app counting the request, a
        # process may be held up (another took the CPU) and its request then arrives bunched with later ones. Seen
        # with two Celery workers and four drains on one connection: one 429 in 240 requests with the whole burst.
        self.interval, self.burst = 1.0 / rate, max(1.0, burst - 1)
        self.tolerance = (self.burst - 1) * self.interval
        greatest = "greatest" if engine.dialect.name == "postgresql" else "max"
        # plain SQL, built once: this runs before every request, so it skips building and caching a statement
        self._take = text(
            f"UPDATE rate_budgets SET next_at = {greatest}(next_at, :now) + :interval WHERE key = :key"
            " RETURNING next_at"
        )
        self._push_back = text(f"UPDATE rate_budgets SET next_at = {greatest}(next_at, :floor) WHERE key = :key")
        _create_row(engine, key)

    def acquire(self) -> float:
        now = self.clock()
        with self.engine.connect() as connection:
            next_at = connection.execute(
                self._take, {"now": now, "interval": self.interval, "key": self.key}
            ).scalar_one()
            connection.commit()
        wait = max(0.0, next_at - self.interval - self.tolerance - now)
        if wait > 0:
            self.sleep(wait)
        return wait

    def observe_usage(self, used: float, limit: float) -> None:
        """At most `burst * (limit - used) / limit` requests may go at once from now."""
        if limit <= 0:
            return
        available = self.burst * (limit - used) / limit
        floor = self.clock() + (self.burst - available) * self.interval
        with self.engine.connect() as connection:
            connection.execute(self._push_back, {"floor": floor, "key": self.key})
            connection.commit()


class DatabaseCostBudget:
    """A GraphQL cost bucket of `maximum` points restored at `restore_rate` points per second, shared by every
    process through one row (GCRA with a cost per request).

    The row's `next_at` is the time at which the bucket would be full again: at time t it holds
    `maximum - restore_rate * max(0, next_at - t)` points, so each point given out moves `next_at` by
    `1 / restore_rate` and the tolerance is the whole bucket, `maximum / restore_rate`. Taking `cost` points is one
    atomic statement, `next_at = greatest(next_at, now) + cost / restore_rate` (cost at most `maximum`), and the
    points are there once the bucket, before this take, held them:

        maximum - restore_rate * (greatest(next_at, now) - t) >= cost
        <=>  t >= new next_at - maximum / restore_rate

    so the caller sleeps `max(0, new next_at - maximum / restore_rate - now)`. Every send time s then satisfies
    `s >= next_at - maximum / restore_rate`, and `next_at` grows by at least cost/restore_rate per take from at least
    the taker's clock: together, the takes sent in any window [a, b] hold at most `maximum + restore_rate * (b - a)`
    points, whichever processes took them (their clocks being epoch time, in sync).

    `observe` adopts the app's report: its size and rate go to the row (so a new process meters its first query),
    and `next_at` moves to at least `now + (maximum - available) / restore_rate`, the time the app's own bucket is full
    again; never back, as the app does not count what other processes have taken and not yet sent. Until a first
    report (size and rate NULL) every take goes at once without moving `next_at`, as `CostBucket` does.

    The size and rate are the row's, not this object's: a take uses what any process last observed. A change of
    plan (another size or rate) leaves `next_at` in seconds of the old rate until the app's next report corrects it.
    `known_costs` (query -> requested cost) stays in the process, a cache.
    """

    def __init__(
        self,
        engine: Engine,
        key: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine, self.key, self.clock, self.sleep = engine, key, clock, sleep
        self.known_costs: dict[str, float] = {}
        postgres = engine.dialect.name == "postgresql"
        greatest, least = ("greatest", "least") if postgres else ("max", "min")
        self._take = text(
            "UPDATE rate_budgets SET next_at = CASE WHEN maximum > 0 AND restore_rate > 0"
            f" THEN {greatest}(next_at, :now) + {least}(:cost, maximum) / restore_rate ELSE next_at END"
            " WHERE key = :key RETURNING next_at, maximum, restore_rate"
        )
        self._observe = text(
            "UPDATE rate_budgets SET maximum = :maximum, restore_rate = :restore_rate,"
            f" next_at = {greatest}(next_at, :floor) WHERE key = :key"
        )
        _create_row(engine, key)

    def acquire(self, cost: float = 1.0) -> float:
        """Take `cost` points (at most the bucket's size), sleeping until they are there; returns the seconds waited."""
        now = self.clock()
        with self.engine.connect() as connection:
            next_at, maximum, restore_rate = connection.execute(
                self._take, {"now": now, "cost": max(0.0, cost), "key": self.key}
            ).one()
            connection.commit()
        if maximum is None or restore_rate is None or maximum <= 0 or restore_rate <= 0:
            return 0.0  # no report yet (or a bucket that does not restore): let it go, the app's answer decides
        wait = max(0.0, next_at - maximum / restore_rate - now)
        if wait > 0:
            self.sleep(wait)
        return wait

    def observe(self, maximum: float, available: float, restore_rate: float) -> None:
        """The app's throttle status after a request: adopt its size and rate; it holds `available` points now, so
        the bucket is full no sooner than `(maximum - available) / restore_rate` from now."""
        if maximum <= 0:
            return
        missing = maximum - min(max(available, 0.0), maximum)
        floor = self.clock() + missing / restore_rate if restore_rate > 0 else 0.0
        with self.engine.connect() as connection:
            connection.execute(
                self._observe,
                {"maximum": maximum, "restore_rate": restore_rate, "floor": floor, "key": self.key},
            )
            connection.commit()


_budgets: dict[tuple[str, str, str], DatabaseRateBudget] = {}
_cost_budgets: dict[tuple[str, str, str], DatabaseCostBudget] = {}
_lock = threading.Lock()


def database_rate_budget(spec: AppVersionSpec, connection_id: str, url: str | None = None) -> RateBudget:
    """A `RateBudgetFactory`: the budget of (app, connection) in the registry, one object per process.

    On SQLite (fast tests, one process) the process's own token bucket: SQLite has one writer, and a token
    refresh holding the token store's lock would make the budget's UPDATE wait for itself."""
    assert spec.rate_limit is not None
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        return process_budget(spec, connection_id)
    key = (str(engine.url), spec.app.key, connection_id)
    with _lock:
        if key not in _budgets:
            limit = spec.rate_limit
            _budgets[key] = DatabaseRateBudget(
                _budget_engine(engine.url.render_as_string(hide_password=False)),
                f"{spec.app.key}/{connection_id}",
                limit.requests_per_second,
                limit.burst,
            )
        return _budgets[key]


def database_cost_budget(spec: AppVersionSpec, connection_id: str, url: str | None = None) -> CostBudget:
    """A `CostBudgetFactory`: the GraphQL cost budget of (app, connection) in the registry, one object per process
    (so `known_costs`, its cache, is the process's). On SQLite the process's own `CostBucket`, as for
    `database_rate_budget`."""
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        return process_cost_budget(spec, connection_id)
    key = (str(engine.url), spec.app.key, connection_id)
    with _lock:
        if key not in _cost_budgets:
            _cost_budgets[key] = DatabaseCostBudget(
                _budget_engine(engine.url.render_as_string(hide_password=False)),
                f"{spec.app.key}/{connection_id}/cost",
            )
        return _cost_budgets[key]


@lru_cache(maxsize=4)
def _budget_engine(url: str) -> Engine:
    """Taking a slot is one statement in autocommit, without waiting for the write-ahead log to reach the disk:
    one round trip per request. A budget lost in a crash only lets a burst through, which the app's 429s and our
    retries absorb; events and the action log keep full durability on the main engine."""
    return create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"options": "-c synchronous_commit=off"}, pool_recycle=600
    )
