"""Circuit breakers per (app, connection), shared by every run through the registry.

A call that fails after all its retries (the app is down, or asks to wait longer than a call may) trips the
breaker of its (app, connection): until `open_until` no run calls that app on that connection, whichever workflow
it drains; their events wait, parked, without holding a worker. Past `open_until` the breaker is half-open: one
run claims the probe (`probe_until`, a lease) and tries one event; an answer from the app closes the breaker,
another failure opens it again for twice as long. Failures while the breaker is already open (runs that were in
flight when it tripped) do not lengthen the wait, except to honour a longer `Retry-After`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, or_, select, update

from connectors.registry.db import insert_for
from connectors.registry.models import Circuit, utcnow

_c = Circuit.__table__.c

ConnectionKey = tuple[str, str]
"""(app key, connection id): the app without its version, as every version calls the same servers."""


def as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC


@dataclass(frozen=True)
class CircuitState:
    key: ConnectionKey
    failures: int
    open_until: dt.datetime
    last_error: str | None
    probe_until: dt.datetime | None = None

    def is_open(self, now: dt.datetime) -> bool:
        return as_utc(self.open_until) > now

    def blocked_until(self, now: dt.datetime) -> dt.datetime | None:
        """Until when a run may not call the app: open, or half-open with another run probing; else None."""
        if self.is_open(now):
            return as_utc(self.open_until)
        if self.probe_until is not None and as_utc(self.probe_until) > now:
            return as_utc(self.probe_until)
        return None


_COLUMNS = (_c.app, _c.connection_id, _c.failures, _c.open_until, _c.last_error, _c.probe_until)


def _state(r: Row[Any]) -> CircuitState:
    return CircuitState((r.app, r.connection_id), r.failures, r.open_until, r.last_error, r.probe_until)


def _matching(keys: Iterable[ConnectionKey]) -> list[object]:
    return [and_(_c.app == app, _c.connection_id == connection_id) for app, connection_id in keys]


def circuits_of(connection: Connection, keys: Iterable[ConnectionKey]) -> dict[ConnectionKey, CircuitState]:
    """The tripped breakers among `keys` (open, or half-open once `open_until` passed)."""
    conditions = _matching(keys)
    if not conditions:
        return {}
    rows = connection.execute(select(*_COLUMNS).where(or_(*conditions)))
    return {(r.app, r.connection_id): _state(r) for r in rows}


def claim_probe(connection: Connection, key: ConnectionKey, lease: dt.timedelta) -> bool:
    """Take the probe of a half-open breaker for `lease`; False when it is open or another run probes."""
    now = utcnow()
    result = connection.execute(
        update(Circuit.__table__)
        .where(_c.app == key[0], _c.connection_id == key[1], _c.open_until <= now)
        .where(or_(_c.probe_until.is_(None), _c.probe_until <= now))
        .values(probe_until=now + lease)
    )
    return result.rowcount == 1


def trip(
    connection: Connection,
    key: ConnectionKey,
    error: str,
    backoff: Callable[[int], dt.timedelta],
    at_least: dt.datetime | None = None,
) -> dt.datetime:
    """The app failed: open the breaker of `key` for `backoff(trips in a row)`, at least until `at_least` (the
    app's `Retry-After`). An already open breaker keeps its count; returns until when calls wait."""
    app, connection_id = key
    now = utcnow()
    current = connection.execute(
        select(*_COLUMNS).where(_c.app == app, _c.connection_id == connection_id).with_for_update()
    ).first()
    state = _state(current) if current is not None else None
    floor = at_least or now
    if state is not None and state.is_open(now):  # tripped meanwhile by another run: wait with it
        open_until = max(as_utc(state.open_until), floor)
        connection.execute(update(Circuit.__table__).where(_c.app == app, _c.connection_id == connection_id)
                           .values(open_until=open_until))  # fmt: skip
        return open_until
    failures = (state.failures if state else 0) + 1
    open_until = max(now + backoff(failures), floor)
    values = {"failures": failures, "open_until": open_until, "last_error": error[:2000], "probe_until": None}
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
    rows = connection.execute(select(*_COLUMNS).order_by(_c.app, _c.connection_id))
    return [_state(r) for r in rows]
