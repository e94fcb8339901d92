"""Airflow Connection + Variables -> a ready `AppClient`. The only place that reads Airflow state for apps."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

from airflow.sdk import BaseHook, Variable
from airflow.sdk.log import mask_secret

from connectors.registry.rate_budgets import database_cost_budget, database_rate_budget
from connectors.registry.tokens import DatabaseTokenStore
from connectors.runtime.auth import TokenSet, TokenStore
from connectors.runtime.errors import ConfigurationError
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.redaction import secrets
from connectors.runtime.steps import StepResult
from connectors.spec import AppVersionSpec, Catalog
from connectors.spec.deprecation import deprecation_notice

ENV_VARIABLE_PREFIX = "integrations_env"
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The app versions this process uses, each read when first asked for (`Catalog.on_demand`)."""
    return Catalog.on_demand()


def environment_variable_name(app_ref: str) -> str:
    """Airflow Variable holding one app version's environment as JSON: `integrations_env__shopify__1_0_0`."""
    app, _, version = app_ref.partition("@")
    return f"{ENV_VARIABLE_PREFIX}__{app}__{version.replace('.', '_').replace('-', '_')}"


@lru_cache(maxsize=1)
def token_store() -> TokenStore:
    from airflow.configuration import conf

    key = conf.get("core", "fernet_key", fallback="")
    return DatabaseTokenStore(key) if key else NoTokenStore()


class NoTokenStore:
    """Without a Fernet key, tokens obtained by OAuth2 or a session login (a rotated refresh token above all)
    cannot be kept, encrypted, for the next process: apps that obtain tokens fail at their first request, saying
    why, instead of losing a rotated refresh token; apps with static credentials never touch it."""

    MESSAGE = (
        "no Fernet key: set [core] fernet_key (AIRFLOW__CORE__FERNET_KEY), which also encrypts Airflow's "
        "connections; obtained tokens are kept encrypted in the registry with it"
    )

    def load(self, key: str) -> TokenSet | None:
        raise ConfigurationError(self.MESSAGE)

    def save(self, key: str, tokens: TokenSet) -> None:
        raise ConfigurationError(self.MESSAGE)

    def lock(self, key: str) -> Any:
        raise ConfigurationError(self.MESSAGE)


def connection_values(
    spec: AppVersionSpec, conn_id: str, extra: dict[str, Any], login: str | None, password: str | None
) -> ConnectionValues:
    """Credential and property values from a connection: fields by name in the extras; `login`/`password`
    fill `username`/`password` when the extras do not."""
    prefix = f"extra__integrations_{spec.app.key}__"  # how older connection forms store custom fields
    values = {**{k.removeprefix(prefix): v for k, v in extra.items() if k.startswith(prefix)}, **extra}
    defaults = {"username": login, "password": password}
    credentials = {name: values.get(name, defaults.get(name)) for name in spec.auth.credential_fields()}
    properties = {name: values[name] for name in spec.properties if values.get(name) not in (None, "")}
    return ConnectionValues(conn_id, credentials, properties)


class AppHook(BaseHook):
    """One app version used through one Airflow connection: the same auth, rate limits, retries inside a call and
    redaction as the no-code workflows (see docs/provider.md).

    ```python
    hook = AppHook("eshopbox@1.0.0", conn_id="demo_eshopbox")
    found = hook.run_search("find_order", {"customer_order_number": "1001"})
    if found.outcome == "not_found":
        hook.run_action("create_order", {...}, idempotency_key="nightly-2026-01-01-1001")
    ```
    Errors are the runtime's typed errors (`connectors.runtime.errors`): `PermanentError`, `RetryableError`
    (`RateLimitedError` with `retry_after`), `OutcomeUnknownError`, `ConfigurationError`, `AuthExpiredError`.
    """

    conn_name_attr = "conn_id"
    default_conn_name = "integrations_default"
    conn_type = "integrations"
    hook_name = "Integrations app"

    app_key: str | None = None  # set on each app's own hook class (`connectors.hooks.app_types`)

    def __init__(
        self, app_ref: str | None = None, conn_id: str | None = None, spec: AppVersionSpec | None = None
    ) -> None:
        """`app_ref` is `app@version`; an app's own hook class (which Airflow builds from a connection of its type,
        with only `conn_id`) takes the app's newest active version when none is given. `spec` is an app version
        not looked up in the catalog (a draft the app builder tries)."""
        super().__init__()
        if spec is None:
            reference = app_ref or self.app_key
            if reference is None:
                raise ValueError("AppHook needs an app reference such as 'shopify@3.0.0'")
            spec = catalog().get(reference)
        self.spec = spec
        self.app_ref, self.conn_id = self.spec.ref, conn_id or self.default_conn_name

    def environment(self) -> dict[str, Any]:
        raw = Variable.get(environment_variable_name(self.app_ref), default="{}")
        values = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        return values

    def test_connection(self) -> tuple[bool, str]:
        """Airflow's Test button on the Connection form: the request the app declares (`auth.test`) sent with
        these credentials; (worked, message) with every secret masked."""
        from connectors.runtime.connection_test import prove_credentials

        try:
            result = prove_credentials(self.get_client())
        except Exception as exc:  # a connection Airflow cannot read, a version past its sunset: say why
            from connectors.runtime.redaction import secrets

            return False, secrets.redact(f"{type(exc).__name__}: {exc}")
        return result.ok, result.message

    def get_client(self) -> AppClient:
        """The client; a deprecated version warns in the task log, and past its sunset fails before any request."""
        notice = deprecation_notice(self.spec)
        if notice:
            message, ended = notice
            if ended:
                raise ConfigurationError(message)
            log.warning(message)
        secrets.add_listener(mask_secret)  # every credential and token the runtime registers is masked in task logs
        connection = self.get_connection(self.conn_id)
        values = connection_values(
            self.spec, self.conn_id, connection.extra_dejson, connection.login, connection.password
        )
        return AppClient(
            self.spec,
            values,
            self.environment(),
            token_store=token_store(),
            rate_budget=database_rate_budget,
            cost_budget=database_cost_budget,  # GraphQL cost buckets shared by every task and worker, as rates are
        )

    def run_action(self, action: str, inputs: dict[str, Any], idempotency_key: str | None = None) -> StepResult:
        """Run one of the app's actions (`create_order`) with its declared inputs, as a workflow step does: inputs
        checked and typed, the app's own (sandboxed) templates rendered, `search_first` honoured (find-or-create,
        find-then-update), retried inside the call as the app declares.

        `idempotency_key` is the same for every attempt of one logical call (an Airflow task instance's retries):
        for an app that declares an idempotency header it becomes that header (hashed with what is sent); a create
        that may have been applied is only re-sent after its search finds nothing. None: a random key per call.
        Returns `StepResult(outcome="succeeded"|"found"|"not_found", result=<the app's object>, status_code, request)`.
        """
        from connectors.runtime.steps import run_action

        if action not in self.spec.actions:
            raise ConfigurationError(f"{self.app_ref} has no action '{action}' (it has: {sorted(self.spec.actions)})")
        return run_action(self.get_client(), action, inputs, idempotency_key)

    def run_search(self, search: str, inputs: dict[str, Any]) -> StepResult:
        """Run one of the app's searches (`find_order`): the first match as `StepResult(outcome="found", result=...)`,
        or `outcome="not_found"` with `result=None` when nothing matches (a 404 also means none)."""
        from connectors.runtime.steps import run_search

        if search not in self.spec.searches:
            raise ConfigurationError(f"{self.app_ref} has no search '{search}' (it has: {sorted(self.spec.searches)})")
        return run_search(self.get_client(), search, inputs)

    def poll(self, trigger: str, start: Any, end: Any) -> list[dict[str, Any]]:
        """Every record one of the app's polling triggers (`orders_updated`) returns for the window [start, end)
        (timezone-aware datetimes, e.g. a run's `data_interval_start`/`data_interval_end`), across pages. The window
        starts the trigger's `overlap_seconds` earlier, so the same record may come in two adjacent windows."""
        from connectors.runtime.polling import poll

        declared = self.spec.triggers.get(trigger)
        if declared is None or declared.type != "polling":
            polling = sorted(key for key, t in self.spec.triggers.items() if t.type == "polling")
            raise ConfigurationError(f"{self.app_ref} has no polling trigger '{trigger}' (it has: {polling})")
        return list(poll(self.get_client(), trigger, start, end))
