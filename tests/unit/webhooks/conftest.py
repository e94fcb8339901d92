"""Fixtures: a registry on a temp SQLite file with the seed workflows, a fake Airflow API, and the receiver
served by uvicorn on a free 127.0.0.1 port in a thread — on its own, or mounted as the api-server mounts it beside
Airflow's SimpleAuthManager (`mounted=True`), whose `POST /auth/token` issues the JWTs the management routes take."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from sqlalchemy import select

from connectors.registry.db import get_engine, migrate, session_scope
from connectors.registry.models import Event
from connectors.spec import Catalog
from connectors.webhooks import WebhookSettings, create_app
from connectors.webhooks.connections import StaticConnections
from connectors.workflows.store import apply_workflows, load_workflow_files
from tests.unit.webhooks.fake_airflow import HOST, FakeAirflow

ROOT = Path(__file__).resolve().parents[3]
SHOPIFY_SECRET = "shpss_webhook_secret_0123456789"
ESHOPBOX_TOKEN = "ebx-webhook-token-9876543210"
DELHIVERY_TOKEN = "dlv-webhook-token-5555"
CONNECTIONS = {
    "demo_shopify": {"access_token": "shpat_access_token_abc", "webhook_secret": SHOPIFY_SECRET, "shop": "demo"},
    "demo_eshopbox": {
        "client_id": "cid",
        "client_secret": "eshopbox-client-secret",
        "refresh_token": "eshopbox-refresh-token",
        "webhook_token": ESHOPBOX_TOKEN,
        "workspace": "demo",
        "channel_id": "SHOPIFY",
    },
    "demo_delhivery": {"api_token": "dlv-api-token", "webhook_token": DELHIVERY_TOKEN},
}
SHOPIFY_ROUTE = "/webhooks/shopify/order_created/demo_shopify"
ESHOPBOX_ROUTE = "/webhooks/eshopbox/shipment_updated/demo_eshopbox"
SHOPIFY_DAG = "wf.demo.shopify_order_to_eshopbox"
AIRFLOW_USERS = {"admin": "admin-pw-0123456789", "viewer": "viewer-pw-0123456789"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def shopify_order(order_id: int = 820982911946154508) -> bytes:
    order = {"id": order_id, "name": "#1001", "email": "jane@example.com", "financial_status": "paid",
             "line_items": [{"sku": "TSHIRT-RED-M", "title": "T-shirt", "quantity": 1, "price": "499.00"}]}  # fmt: skip
    return json.dumps(order).encode()


def shopify_signature(body: bytes, secret: str = SHOPIFY_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body: bytes, webhook_id: str | None = None, topic: str = "orders/create", **extra: str) -> dict:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": shopify_signature(body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Shop-Domain": "demo.myshopify.com",
        "X-Shopify-Triggered-At": "2026-11-28T10:00:00Z",
        "X-Shopify-Api-Version": "2024-10",
        **extra,
    }


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="session")
def seed_workflows(catalog: Catalog) -> list[Any]:
    return load_workflow_files(sorted((ROOT / "include" / "workflows").glob("*.yaml")), catalog)


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory, seed_workflows: list[Any]) -> Path:
    """A migrated registry with the seed workflows, built once and copied for each test."""
    path = tmp_path_factory.mktemp("registry") / "template.db"
    url = f"sqlite:///{path}"
    migrate(url)
    with session_scope(url) as session:
        apply_workflows(session, seed_workflows)
    get_engine(url).dispose()  # checkpoint the WAL into the file before it is copied
    return path


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry_template: Path) -> str:
    shutil.copyfile(registry_template, tmp_path / "registry.db")
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    monkeypatch.setenv("INTEGRATIONS_DB_URL", url)
    return url


@dataclass
class Harness:
    base_url: str
    db_url: str
    fake: FakeAirflow
    app: Any
    http: requests.Session = field(default_factory=requests.Session)
    airflow_url: str | None = None  # the host serving Airflow's /auth (mounted receivers only)

    def token(self, username: str = "viewer") -> str:
        """A JWT from Airflow's `POST /auth/token`, as a user or a script gets one."""
        assert self.airflow_url, "start the receiver with mounted=True"
        credentials = {"username": username, "password": AIRFLOW_USERS[username]}
        response = self.http.post(self.airflow_url + "/auth/token", json=credentials, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()["access_token"]

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        return self.http.post(self.base_url + path, data=body, headers=headers or {}, timeout=10, **kwargs)

    def events(self) -> list[Event]:
        with session_scope(self.db_url) as session:
            return list(session.scalars(select(Event).order_by(Event.id)))

    def event(self, event_id: int) -> Event:
        with session_scope(self.db_url) as session:
            event = session.get(Event, event_id)
            assert event is not None
            return event

    @property
    def receiver(self) -> Any:
        return self.app.state.receiver


class ServerThread:
    """uvicorn serving one app on a free port, in a daemon thread (lifespan on)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        # log_config None: uvicorn's records reach the root logger (pytest, `server_errors`) instead of its own handler
        config = uvicorn.Config(app, host=HOST, port=self.port, log_level="warning", lifespan="on", log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=10)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def fake_airflow() -> Iterator[FakeAirflow]:
    fake = FakeAirflow().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def airflow_metadata_db() -> None:
    """This process's Airflow metadata database (SQLite in its temporary Airflow home), migrated: the api-server
    checks every JWT against its revoked tokens there."""
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"airflow db migrate failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def airflow_passwords(tmp_path_factory: pytest.TempPathFactory, airflow_metadata_db: None) -> str:
    passwords = tmp_path_factory.mktemp("airflow-auth") / "passwords.json"
    passwords.write_text(json.dumps(AIRFLOW_USERS))
    return str(passwords)


@pytest.fixture
def airflow_auth(airflow_passwords: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Airflow configured with its SimpleAuthManager and two users, for this test only (Airflow reads `AIRFLOW__*`
    at each lookup; other tests, and processes they start, keep their own configuration)."""
    config = {
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{user}:{user}" for user in AIRFLOW_USERS),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": airflow_passwords,
        "AIRFLOW__API_AUTH__JWT_SECRET": "tests-only-jwt-secret-" + "0" * 48,
    }
    for name, value in config.items():
        monkeypatch.setenv(name, value)
    return AIRFLOW_USERS


def airflow_host(app: Any) -> Any:
    """`app` mounted at /integrations as `airflow.api_fastapi.app.create_app` mounts plugin apps, beside the auth
    manager's /auth app, under the api-server's lifespan (which enters the receiver's)."""
    from airflow.api_fastapi.app import init_auth_manager, lifespan
    from fastapi import FastAPI

    host = FastAPI(lifespan=lifespan)
    init_auth_manager(host)
    host.mount("/integrations", app)
    return host


@pytest.fixture
def start_receiver(registry: str, catalog: Catalog, request: pytest.FixtureRequest) -> Iterator[Callable[..., Harness]]:
    servers: list[ServerThread] = []

    def start(
        fake: FakeAirflow | None = None, api_url: str | None = None, mounted: bool = False, **overrides: Any
    ) -> Harness:
        values: dict[str, Any] = {
            "db_url": registry,
            "catalog": catalog,
            "connection_lookup": StaticConnections(CONNECTIONS),
            "airflow_api_url": api_url or (fake.url if fake else f"http://{HOST}:{free_port()}"),
            "airflow_username": "admin",
            "airflow_password": fake.password if fake else "airflow-pw-s3cret",
            "max_body_bytes": 64 * 1024,
            "routes_refresh_seconds": 0.3,
            "sweep_interval_seconds": 0.2,
            "sweep_grace_seconds": 0.0,
            "retry_initial_seconds": 0.05,
            "retry_max_seconds": 0.2,
            "airflow_timeout_seconds": 2.0,
            "gc_freeze": False,  # not in the shared test process
        }
        values.update(overrides)
        app = create_app(WebhookSettings(**values))
        if mounted:
            request.getfixturevalue("airflow_auth")
        server = ServerThread(airflow_host(app) if mounted else app).start()
        servers.append(server)
        root = f"http://{HOST}:{server.port}"
        if mounted:
            return Harness(root + "/integrations", registry, fake, app, airflow_url=root)  # type: ignore[arg-type]
        return Harness(root, registry, fake, app)  # type: ignore[arg-type]

    yield start
    for server in servers:
        server.stop()


class ServerErrors(logging.Handler):
    """Unhandled exceptions the server logs (uvicorn's `Exception in ASGI application`, ours)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_errors() -> Iterator[list[logging.LogRecord]]:
    """Every error logged in the process while the test runs (uvicorn's `Exception in ASGI application` too)."""
    handler = ServerErrors()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)
