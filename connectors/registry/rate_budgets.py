"""A request-rate budget shared by every process, in the registry database (the generic cell rate algorithm).

One row per (app, connection) holds `next_at`, the theoretical arrival time of the next request. Taking a slot is
ONE atomic statement, `UPDATE .. SET next_at = max(next_at, now) + 1/rate RETURNING next_at`, so processes never
race; the caller then sleeps until its slot. `burst` requests may go at once after a quiet spell, as with a token
bucket of that capacity. The app's usage header (`32/40`) pushes `next_at` forward when the app counts more.
Keyed by app, not app version: two versions of an app on one connection share the vendor's one limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import Engine, create_engine, text

from connectors.registry.db import get_engine, insert_for
from connectors.registry.models import StoredRateBudget
from connectors.runtime.http.rate_limit import RateBudget, process_budget
from connectors.spec.app_version import AppVersionSpec


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
        self.interval, self.burst = 1.0 / rate, max(1.0, burst)
        self.tolerance = (self.burst - 1) * self.interval
        greatest = "greatest" if engine.dialect.name == "postgresql" else "max"
        # plain SQL, built once: this runs before every request, so it skips building and caching a statement
        self._take = text(
            f"UPDATE rate_budgets SET next_at = {greatest}(next_at, :now) + :interval WHERE key = :key"
            " RETURNING next_at"
        )
        self._push_back = text(f"UPDATE rate_budgets SET next_at = {greatest}(next_at, :floor) WHERE key = :key")
        insert = insert_for(engine.dialect.name)
        with engine.connect() as connection:
            connection.execute(
                insert(StoredRateBudget.__table__)
                .values(key=key, next_at=0.0)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            connection.commit()  # a no-op in autocommit

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


_budgets: dict[tuple[str, str, str], DatabaseRateBudget] = {}
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


@lru_cache(maxsize=4)
def _budget_engine(url: str) -> Engine:
    """Taking a slot is one statement in autocommit, without waiting for the write-ahead log to reach the disk:
    one round trip per request. A budget lost in a crash only lets a burst through, which the app's 429s and our
    retries absorb; events and the action log keep full durability on the main engine."""
    return create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"options": "-c synchronous_commit=off"}, pool_recycle=600
    )
