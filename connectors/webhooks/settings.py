"""Configuration of the webhook receiver and its dispatcher: a dataclass, filled from the environment.

Every value can also be passed in code (tests, benchmarks). Secrets (the Airflow password) never appear in the
dataclass's repr, so logging the settings is safe.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.spec import Catalog
    from connectors.webhooks.connections import ConnectionLookup, EnvironmentLookup

ENV_PREFIX = "INTEGRATIONS_"
MIB = 1024 * 1024


@dataclass
class WebhookSettings:
    """The receiver (`connectors.webhooks.receiver`) and the dispatcher (`connectors.webhooks.dispatcher`)."""

    # registry database; None = `INTEGRATIONS_DB_URL` or the SQLite file in the Airflow home
    db_url: str | None = None
    # largest body accepted (413 above it), checked on Content-Length and on the bytes actually read
    max_body_bytes: int = MIB
    # a body not received in full within this many seconds is refused (408)
    body_timeout_seconds: float = 10.0
    # the routing table (enabled webhook workflows) is re-read at most this often
    routes_refresh_seconds: float = 5.0
    # connection credentials are re-read at most this often (and at once when a signature does not match)
    connection_cache_seconds: float = 30.0
    # most events written in one transaction by the inbox writer (group commit)
    max_batch: int = 256
    # write batches on the event loop (no thread hand-over) or in a writer thread; None = loop for SQLite only
    store_in_event_loop: bool | None = None

    # at start, `gc.freeze()` the heap (the api-server's modules): full collections then stop pausing requests
    gc_freeze: bool = True

    # Airflow REST API used to trigger runs
    airflow_api_url: str = "http://127.0.0.1:8080"
    airflow_username: str | None = None
    airflow_password: str | None = field(default=None, repr=False)
    airflow_timeout_seconds: float = 10.0
    # start the dispatcher thread (off: events are only stored; another process triggers them)
    dispatch: bool = True
    # the sweeper looks for events waiting with no run coming this often, skipping ones younger than the grace
    sweep_interval_seconds: float = 10.0
    sweep_grace_seconds: float = 2.0
    # after Airflow is unreachable (or a DAG is not parsed yet): wait initial, doubling up to max
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 30.0
    # optional host-wide lock file: serialises triggers across api-server worker processes and elects the one
    # process that sweeps. None = this process is alone (the api-server's default is one worker).
    dispatch_lock_file: str | None = None
    # scheme and host the apps call (`https://hooks.example.com`), for signatures over the URL (FKLOGIN) when a
    # proxy terminates TLS in front of the receiver; None = the URL as the receiver sees it
    public_url: str | None = None

    # credentials for verification: None = Airflow Connections (read in the api-server process)
    connection_lookup: ConnectionLookup | None = field(default=None, repr=False)
    # environment values for `verify` templates that read `env.*`: None = the app version's Airflow Variable
    environment_lookup: EnvironmentLookup | None = field(default=None, repr=False)
    # a FastAPI dependency guarding /health, /docs, /redoc and /openapi.json instead of Airflow's authentication
    # and authorisation (`connectors.webhooks.management`); code only, never from the environment
    management_access: Callable[..., Any] | None = field(default=None, repr=False)
    # app definitions: None = `Catalog.load()` on first use
    catalog: Catalog | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> WebhookSettings:
        """Read `INTEGRATIONS_*` variables; keyword arguments win over the environment."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str | None = None) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else default

        def number(name: str, default: float) -> float:
            value = text(name)
            return default if value is None else float(value)

        def flag(name: str, default: bool) -> bool:
            value = text(name)
            return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")

        values: dict[str, object] = {
            "db_url": text("DB_URL"),
            "max_body_bytes": int(number("WEBHOOK_MAX_BODY_BYTES", MIB)),
            "body_timeout_seconds": number("WEBHOOK_BODY_TIMEOUT_SECONDS", 10.0),
            "routes_refresh_seconds": number("WEBHOOK_ROUTES_REFRESH_SECONDS", 5.0),
            "connection_cache_seconds": number("WEBHOOK_CONNECTION_CACHE_SECONDS", 30.0),
            "airflow_api_url": text("AIRFLOW_API_URL", "http://127.0.0.1:8080"),
            "airflow_username": text("AIRFLOW_USERNAME"),
            "airflow_password": text("AIRFLOW_PASSWORD"),
            "airflow_timeout_seconds": number("AIRFLOW_TIMEOUT_SECONDS", 10.0),
            "dispatch": flag("WEBHOOK_DISPATCH", True),
            "sweep_interval_seconds": number("WEBHOOK_SWEEP_SECONDS", 10.0),
            "sweep_grace_seconds": number("WEBHOOK_SWEEP_GRACE_SECONDS", 2.0),
            "retry_max_seconds": number("WEBHOOK_RETRY_MAX_SECONDS", 30.0),
            "dispatch_lock_file": text("WEBHOOK_DISPATCH_LOCK_FILE"),
            "public_url": text("WEBHOOK_PUBLIC_URL"),
            "gc_freeze": flag("WEBHOOK_GC_FREEZE", True),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
