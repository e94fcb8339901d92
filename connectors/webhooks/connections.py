"""Credentials and environment for webhook verification: injectable lookups, and a short-lived cache in front.

A `ConnectionLookup` answers "what are the credentials and custom properties of connection X for app version Y"
(`ConnectionValues`), or None when the connection does not exist. The default reads Airflow Connections in the
api-server process; tests and benchmarks pass `StaticConnections`. An `EnvironmentLookup` answers "what are the
environment values of app version Y" (the raw JSON of its Airflow Variable, as `integrations env set` writes it);
it is asked only for app versions whose `verify` templates read `env.*`. `read_environment` and
`write_environment` are the same Variable for `integrations env` and the management API
(`connectors.services.environment`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import ConnectionValues
from connectors.runtime.redaction import register_secret
from connectors.runtime.values import resolve_values
from connectors.spec import AppVersionSpec
from connectors.spec.signatures import PresetVerifySpec, SignatureVerifySpec
from connectors.spec.templates import referenced_names
from connectors.spec.triggers import HmacVerifySpec, StaticTokenVerifySpec, WebhookTriggerSpec

log = logging.getLogger(__name__)

ConnectionLookup = Callable[[AppVersionSpec, str], ConnectionValues | None]
EnvironmentLookup = Callable[[AppVersionSpec], Mapping[str, Any]]


class ConnectionUnavailable(Exception):
    """The lookup failed (secrets backend or metadata database down): answer 503 so the app retries."""


_FIRST_IMPORTS = threading.Lock()
"""Airflow's modules are imported on the first lookup, not when the plugin loads (every Airflow process loads
it). The first lookups of a burst run at once in the thread pool: importing in parallel tripped Python's import
lock (`_DeadlockError`), after which every lookup failed with ImportError until a restart. One at a time."""


def airflow_connections(spec: AppVersionSpec, conn_id: str) -> ConnectionValues | None:
    """The Airflow Connection `conn_id`, mapped to the app version's fields (`connection_values`)."""
    with _FIRST_IMPORTS:
        from airflow.exceptions import AirflowNotFoundException
        from airflow.models.connection import Connection

        from connectors.hooks.app import connection_values

    try:
        connection = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None
    return connection_values(spec, conn_id, connection.extra_dejson, connection.login, connection.password)


def airflow_environment(spec: AppVersionSpec) -> Mapping[str, Any]:
    """The app version's environment values, from the Airflow Variable that workers read
    (`connectors.hooks.app.environment_variable_name`: secrets backends and `AIRFLOW_VAR_*` variables work)."""
    return read_environment(spec.ref)


def read_environment(app_ref: str) -> dict[str, Any]:
    """The stored environment values of `APP@VERSION` (its Airflow Variable, JSON); empty when there is none."""
    with _FIRST_IMPORTS:
        from airflow.models import Variable

        from connectors.hooks.app import environment_variable_name

    raw = Variable.get(environment_variable_name(app_ref), default_var=None)
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError:
        raise ConfigurationError(f"environment of {app_ref}: its Variable is not JSON") from None
    if not isinstance(values, dict):
        raise ConfigurationError(f"environment of {app_ref}: its Variable is not a JSON object")
    return values


def write_environment(app_ref: str, values: dict[str, Any], description: str) -> None:
    """Store the environment values of `APP@VERSION` in its Airflow Variable (JSON), where workers read them."""
    with _FIRST_IMPORTS:
        from airflow.models import Variable

        from connectors.hooks.app import environment_variable_name

    Variable.set(environment_variable_name(app_ref), json.dumps(values, sort_keys=True), description=description)


def verify_environment_names(spec: AppVersionSpec) -> frozenset[str]:
    """The environment names the app version's webhook `verify` templates read (all declared ones when a template
    reads `env` as a whole); empty when none reads `env`, so no Variable is read for it."""
    names: set[str] = set()
    for trigger in spec.triggers.values():
        for template in _verify_templates(trigger):
            for namespace, attribute in referenced_names(template):
                if namespace == "env":
                    names.update(spec.environment if attribute is None else {attribute})
    return frozenset(names & set(spec.environment))


def _verify_templates(trigger: object) -> list[str]:
    verify = trigger.verify if isinstance(trigger, WebhookTriggerSpec) else None
    if isinstance(verify, HmacVerifySpec):
        return [verify.secret]
    if isinstance(verify, StaticTokenVerifySpec):
        return [verify.value]
    if isinstance(verify, SignatureVerifySpec | PresetVerifySpec):
        return verify.templates()
    return []


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
    redaction before it is used. Thread-safe; the lookups themselves run outside the lock."""

    def __init__(
        self,
        lookup: ConnectionLookup,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        environment: EnvironmentLookup = airflow_environment,
    ) -> None:
        self.lookup, self.ttl, self.clock, self.environment = lookup, ttl, clock, environment
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
        """Look the connection (and the environment the verify templates read) up now, blocking, and cache it."""
        try:
            values = self.lookup(spec, conn_id)
        except Exception as exc:
            log.warning("connection %s could not be read: %s", conn_id, type(exc).__name__)
            raise ConnectionUnavailable(f"connection {conn_id} could not be read") from None
        env = self._environment(spec)
        fields = spec.auth.credential_fields()
        if values is None:  # every field empty: a signed or token-checked delivery cannot verify
            context: Mapping[str, Any] = {"auth": dict.fromkeys(fields), "properties": {}, "env": env}
        else:
            # a credential is secret unless its field says otherwise; secret-typed properties too
            register_secret(*(v for n, v in values.credentials.items() if n not in fields or fields[n].secret))
            register_secret(*(values.properties.get(n) for n, p in spec.properties.items() if p.type == "secret"))
            context = {"auth": dict(values.credentials), "properties": dict(values.properties), "env": env}
        entry = VerifyContext(context, self.clock(), values is not None)
        with self._lock:
            self._entries[(spec.ref, conn_id)] = entry
        return entry

    def _environment(self, spec: AppVersionSpec) -> dict[str, Any]:
        """The values of the environment names the verify templates read, typed and defaulted as a worker's client
        has them; secret ones registered for redaction before anything is logged. A required value missing, or one
        mistyped, is logged for the operator and the environment left empty, so the template fails as unverifiable
        (401); a Variable that cannot be read at all is `ConnectionUnavailable` (503: the app retries)."""
        names = verify_environment_names(spec)
        if not names:
            return {}
        try:
            supplied = self.environment(spec)
        except ConfigurationError as exc:
            log.error("webhooks on %s cannot be verified: %s", spec.ref, exc)
            return {}
        except Exception as exc:
            log.warning("environment of %s could not be read: %s", spec.ref, type(exc).__name__)
            raise ConnectionUnavailable(f"environment of {spec.ref} could not be read") from None
        declared = {name: spec.environment[name] for name in sorted(names)}
        register_secret(*(supplied.get(name) for name, variable in declared.items() if variable.secret))
        try:
            env = resolve_values(declared, supplied, f"environment of {spec.ref}")
        except ConfigurationError as exc:
            log.error("webhooks on %s cannot be verified: %s (integrations env set %s ...)", spec.ref, exc, spec.ref)
            return {}
        register_secret(*(value for name, value in env.items() if declared[name].secret))
        return env
