"""A running sandbox (uvicorn in a thread on a free 127.0.0.1 port) and a tiny webhook receiver."""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from connectors.sandbox import SandboxConfig, SandboxServer

SHOPIFY_TOKEN = "shpat_sandbox_demo_token"
SHOPIFY_SECRET = "sandbox-shopify-webhook-secret"


@dataclass
class Delivered:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers with queued statuses first, then 200."""

    url: str = ""
    received: list[Delivered] = field(default_factory=list)
    statuses: collections.deque[int] = field(default_factory=collections.deque)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivered]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")
            return list(self.received)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.arrived:
                status = receiver.statuses.popleft() if receiver.statuses else 200
                receiver.received.append(Delivered(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                receiver.arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def fast_config(**sections: dict[str, Any]) -> SandboxConfig:
    """Default credentials; webhook retries without real waiting."""
    shopify = {"webhook_backoff": 0.01, **sections.pop("shopify", {})}
    return SandboxConfig.from_env(environ={}, shopify=shopify, **sections)


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config()) as server:
        yield server


class Sandbox:
    """The running sandbox: `url`, `http` (a session that never uses proxies) and helpers."""

    def __init__(self, server: SandboxServer) -> None:
        self.server, self.url, self.state = server, server.url, server.state
        self.http = requests.Session()
        self.http.trust_env = False

    @property
    def admin(self) -> str:
        return f"{self.url}/shopify/admin/api/2024-10"

    def shopify(self, method: str, path: str, token: str | None = SHOPIFY_TOKEN, **kwargs: Any) -> requests.Response:
        headers = {"X-Shopify-Access-Token": token} if token else {}
        return self.http.request(method, f"{self.admin}{path}", headers=headers, timeout=10, **kwargs)

    def burst(self, url: str, count: int, headers: dict[str, str] | None = None) -> collections.Counter[int]:
        """GET `url` `count` times from 8 threads at once; how many answers had each status."""

        def call(_: int) -> int:
            with requests.Session() as session:  # one per call: sessions are not thread-safe
                session.trust_env = False
                return session.get(url, headers=headers, timeout=10).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            return collections.Counter(pool.map(call, range(count)))

    def rate_limited(self, vendor: str) -> tuple[int, dict[str, int]]:
        """The 429s `vendor` has served since its last reset: (total, per client), from its control API."""
        state = self.control(vendor, "/state", method="GET")
        return state["rate_limited"], state["rate_limited_by"]

    def control(self, vendor: str, path: str, body: Any = None, method: str = "POST") -> Any:
        response = self.http.request(method, f"{self.url}/{vendor}/_sandbox{path}", json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def eshopbox_token(self) -> str:
        response = self.http.post(
            f"{self.url}/eshopbox/auth/api/v1/generateToken",
            json={
                "grant_type": "refresh_token",
                "client_id": "sandbox-client-id",
                "client_secret": "sandbox-client-secret",
                "refresh_token": "sandbox-refresh-token",
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def wait_deliveries(self, vendor: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Deliveries recorded in the sandbox state, once `count` of them have finished."""
        deadline = time.monotonic() + timeout
        while True:
            done = [d for d in self.state.deliveries_of(vendor) if d["status"] in ("delivered", "failed")]
            if len(done) >= count or time.monotonic() > deadline:
                return done
            time.sleep(0.02)


@pytest.fixture
def sandbox(_sandbox_server: SandboxServer) -> Sandbox:
    """The shared sandbox, reset to its demo data for each test."""
    _sandbox_server.state.reset()
    return Sandbox(_sandbox_server)


# Every vendor's limit is LIMIT calls that never refill during a test, so who gets a 429 does not depend on timing.
LIMIT = 5
NEVER = 1e-9  # leak rate, calls per second
FOREVER = 3600.0  # window, seconds


@pytest.fixture(scope="session")
def _limited_server() -> Iterator[SandboxServer]:
    config = fast_config(
        shopify={"bucket_size": LIMIT, "leak_rate": NEVER},
        eshopbox={"api_requests_per_second": NEVER, "api_burst": LIMIT},
        delhivery={"tracking_rate_limit": LIMIT, "tracking_rate_window": FOREVER},
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def limited_sandbox(_limited_server: SandboxServer) -> Sandbox:
    """A sandbox whose every vendor allows `LIMIT` API calls per client, reset for each test."""
    _limited_server.state.reset()
    return Sandbox(_limited_server)
