"""Credentials for webhook verification: an injectable lookup, and a short-lived cache in front of it.

A `ConnectionLookup` answers "what are the credentials and custom properties of connection X for app version Y"
(`ConnectionValues`), or None when the connection does not exist. The default reads Airflow Connections in the
api-server process; tests and benchmarks pass `StaticConnections`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.runtime.http.client import ConnectionValues
from connectors.runtime.redaction import register_secret
from connectors.spec import AppVersionSpec

log = logging.getLogger(__name__)

ConnectionLookup = Callable[[AppVersionSpec, str], ConnectionValues | None]


class ConnectionUnavailable(Exception):
    """The lookup failed (secrets backend or metadata database down): answer 503 so the app retries."""


def airflow_connections(spec: AppVersionSpec, conn_id: str) -> ConnectionValues | None:
    """The Airflow Connection `conn_id`, mapped to the app version's fields (`connection_values`)."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    from connectors.hooks.app import connection_values

    try:
        connection = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    return connection_values(spec, conn_id, connection.extra_dejson, connection.login, connection.password)


class StaticConnections:
    """Connections from a dict `{conn_id: {field: value}}` (the extras of an Airflow Connection), for tests and
    benchmarks. Fields map like `connectors.hooks.app.connection_values`: credential fields and declared custom
    properties by name; `login`/`password` keys fill `username`/`password`."""

    def __init__(self, connections: Mapping[str, Mapping[str, Any]]) -> None:
        self.connections = {key: dict(value) for key, value in connections.items()}
        self.calls = 0

    def __call__(self, spec: AppVersionSpec, conn_id: str) -> ConnectionValues | None:
        self.calls += 1
        extra = self.connections.get(conn_id)
        if extra is None:
            return None
        defaults = {"username": extra.get("login"), "password": extra.get("password")}
        credentials = {name: extra.get(name, defaults.get(name)) for name in spec.auth.credential_fields()}
        properties = {name: extra[name] for name in spec.properties if name in extra}
        return ConnectionValues(conn_id, credentials, properties)


@dataclass(frozen=True)
class VerifyContext:
    """The template context of a webhook `verify` block: `auth`, `properties`, `env`."""

    values: Mapping[str, Any]
    loaded_at: float
    found: bool


class ConnectionCache:
    """Template contexts per (app version, connection), kept `ttl` seconds; every secret is registered for
    redaction before it is used. Thread-safe; the lookup itself runs outside the lock."""

    def __init__(self, lookup: ConnectionLookup, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lookup, self.ttl, self.clock = lookup, ttl, clock
        self._entries: dict[tuple[str, str], VerifyContext] = {}
        self._lock = threading.Lock()

    def cached(self, spec: AppVersionSpec, conn_id: str) -> VerifyContext | None:
        """The cached context if still fresh, without any I/O (safe to call on the event loop)."""
        entry = self._entries.get((spec.ref, conn_id))
        if entry is not None and self.clock() - entry.loaded_at < self.ttl:
            return entry
        return None

    def age(self, spec: AppVersionSpec, conn_id: str) -> float:
        entry = self._entries.get((spec.ref, conn_id))
        return float("inf") if entry is None else self.clock() - entry.loaded_at

    def load(self, spec: AppVersionSpec, conn_id: str) -> VerifyContext:
        """Look the connection up now (blocking) and cache it."""
        try:
            values = self.lookup(spec, conn_id)
        except Exception as exc:
            log.warning("connection %s could not be read: %s", conn_id, type(exc).__name__)
            raise ConnectionUnavailable(f"connection {conn_id} could not be read") from None
        fields = spec.auth.credential_fields()
        if values is None:  # every field empty: a signed or token-checked delivery cannot verify
            context: Mapping[str, Any] = {"auth": dict.fromkeys(fields), "properties": {}, "env": {}}
        else:
            # a credential is secret unless its field says otherwise; secret-typed properties too
            register_secret(*(v for n, v in values.credentials.items() if n not in fields or fields[n].secret))
            register_secret(*(values.properties.get(n) for n, p in spec.properties.items() if p.type == "secret"))
            context = {"auth": dict(values.credentials), "properties": dict(values.properties), "env": {}}
        entry = VerifyContext(context, self.clock(), values is not None)
        with self._lock:
            self._entries[(spec.ref, conn_id)] = entry
        return entry
