"""What bulk syncs remember per connection: the values last pushed per identity (so only changes are sent) and the
app ids searches found per key (so SKUs are mapped once, not by hand)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select

from connectors.registry.db import upsert_many
from connectors.registry.models import PushedValue, ResolvedValue, utcnow

_p = PushedValue.__table__.c
_r = ResolvedValue.__table__.c
CHUNK = 1000  # keys per IN (...) list


@dataclass(frozen=True)
class Target:
    """Where values go: an app (not a version) and a connection."""

    app: str
    connection_id: str


@dataclass(frozen=True)
class Pushed:
    value: dict[str, Any]
    pushed_at: dt.datetime


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    keys = sorted(set(keys))
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def pushed_values(connection: Connection, target: Target, action: str, identities: Iterable[str]) -> dict[str, Pushed]:
    """Identity -> what was last pushed for it by `action`."""
    found: dict[str, Pushed] = {}
    for chunk in _chunks(identities):
        query = select(_p.identity, _p.value, _p.pushed_at).where(
            _p.app == target.app, _p.connection_id == target.connection_id, _p.action == action,
            _p.identity.in_(chunk),
        )  # fmt: skip
        found.update({identity: Pushed(value, at) for identity, value, at in connection.execute(query)})
    return found


def record_pushed(
    connection: Connection,
    target: Target,
    action: str,
    values: Mapping[str, dict[str, Any]],
    workflow_id: int | None = None,
    dedupe_keys: Mapping[str, str] | None = None,
) -> None:
    """Identity -> the values just pushed, in one statement."""
    if not values:
        return
    now = utcnow()
    rows = [
        {"app": target.app, "connection_id": target.connection_id, "action": action, "identity": identity,
         "value": value, "workflow_id": workflow_id, "dedupe_key": (dedupe_keys or {}).get(identity),
         "pushed_at": now}
        for identity, value in values.items()
    ]  # fmt: skip
    upsert_many(
        connection, PushedValue.__table__, rows, ["app", "connection_id", "action", "identity"],
        lambda excluded: {name: excluded[name] for name in ("value", "workflow_id", "dedupe_key", "pushed_at")},
    )  # fmt: skip


def forget_pushed(connection: Connection, target: Target, action: str | None = None) -> int:
    """Forget what was pushed (all of a connection, or one action's): the next sync sends everything again."""
    query = delete(PushedValue).where(_p.app == target.app, _p.connection_id == target.connection_id)
    if action is not None:
        query = query.where(_p.action == action)
    return connection.execute(query).rowcount


def resolved_values(connection: Connection, target: Target, search: str, keys: Iterable[str]) -> dict[str, Any]:
    """Key -> the value the search found for it earlier."""
    found: dict[str, Any] = {}
    for chunk in _chunks(keys):
        query = select(_r.key, _r.value).where(
            _r.app == target.app, _r.connection_id == target.connection_id, _r.search == search, _r.key.in_(chunk)
        )
        found.update({key: value["value"] for key, value in connection.execute(query)})
    return found


def remember_resolved(connection: Connection, target: Target, search: str, values: Mapping[str, Any]) -> None:
    if not values:
        return
    now = utcnow()
    rows = [
        {"app": target.app, "connection_id": target.connection_id, "search": search, "key": key,
         "value": {"value": value}, "resolved_at": now}
        for key, value in values.items()
    ]  # fmt: skip
    upsert_many(
        connection, ResolvedValue.__table__, rows, ["app", "connection_id", "search", "key"],
        lambda excluded: {"value": excluded.value, "resolved_at": excluded.resolved_at},
    )  # fmt: skip


def forget_resolved(connection: Connection, target: Target, search: str, keys: Sequence[str]) -> None:
    for chunk in _chunks(keys):
        connection.execute(
            delete(ResolvedValue).where(
                _r.app == target.app,
                _r.connection_id == target.connection_id,
                _r.search == search,
                _r.key.in_(chunk),
            )  # fmt: skip
        )
