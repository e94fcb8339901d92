"""Circuit breakers per (app, connection), shared by every run through the registry.

A call that fails after all its retries (the app is down, or asks to wait longer than a call may) trips the
breaker of its (app, connection): until `open_until` no run calls that app on that connection, whichever workflow
it drains; their events wait, parked, without holding a worker. Past `open_until` the breaker is half-open: the
next run probes with one event; a success closes it, another failure opens it again for a longer wait.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, or_, select

from connectors.registry.db import insert_for
from connectors.registry.models import Circuit, utcnow

_c = Circuit.__table__.c

ConnectionKey = tuple[str, str]
"""(app key, connection id): the app without its version, as every version calls the same servers."""


@dataclass(frozen=True)
class CircuitState:
    key: ConnectionKey
    failures: int
    open_until: dt.datetime
    last_error: str | None

    def is_open(self, now: dt.datetime) -> bool:
        until = self.open_until if self.open_until.tzinfo else self.open_until.replace(tzinfo=dt.UTC)
        return until > now


def _matching(keys: Iterable[ConnectionKey]) -> list[object]:
    return [and_(_c.app == app, _c.connection_id == connection_id) for app, connection_id in keys]


def circuits_of(connection: Connection, keys: Iterable[ConnectionKey]) -> dict[ConnectionKey, CircuitState]:
    """The tripped breakers among `keys` (open, or half-open once `open_until` passed)."""
    conditions = _matching(keys)
    if not conditions:
        return {}
    rows = connection.execute(select(_c.app, _c.connection_id, _c.failures, _c.open_until, _c.last_error)
                              .where(or_(*conditions)))  # fmt: skip
    return {(r.app, r.connection_id): CircuitState((r.app, r.connection_id), r.failures, r.open_until, r.last_error)
            for r in rows}  # fmt: skip


def trip(
    connection: Connection,
    key: ConnectionKey,
    error: str,
    backoff: Callable[[int], dt.timedelta],
) -> dt.datetime:
    """Open the breaker of `key` for `backoff(trips in a row)`; returns until when."""
    app, connection_id = key
    failures = connection.execute(
        select(_c.failures).where(_c.app == app, _c.connection_id == connection_id)
    ).scalar_one_or_none()
    failures = (failures or 0) + 1
    now = utcnow()
    open_until = now + backoff(failures)
    values = {"failures": failures, "open_until": open_until, "last_error": error[:2000]}
    insert = insert_for(connection.dialect.name)
    connection.execute(
        insert(Circuit.__table__)
        .values(app=app, connection_id=connection_id, opened_at=now, **values)
        .on_conflict_do_update(index_elements=["app", "connection_id"], set_=values)
    )
    return open_until


def close(connection: Connection, keys: Iterable[ConnectionKey]) -> int:
    """The app answered again: forget the breakers of `keys`."""
    conditions = _matching(keys)
    if not conditions:
        return 0
    return connection.execute(delete(Circuit.__table__).where(or_(*conditions))).rowcount


def all_circuits(connection: Connection) -> list[CircuitState]:
    """Every tripped breaker, for `integrations status`."""
    rows = connection.execute(select(_c.app, _c.connection_id, _c.failures, _c.open_until, _c.last_error)
                              .order_by(_c.app, _c.connection_id))  # fmt: skip
    return [CircuitState((r.app, r.connection_id), r.failures, r.open_until, r.last_error) for r in rows]
