"""The chaos tests' fault proxy (`tests.servers.fault_proxy`): forwards faithfully, refuses connections while down,
and resets a connection after the upstream has acted on the request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from urllib3.exceptions import NewConnectionError

from tests.servers.fault_proxy import FaultProxy


class Upstream(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[str, str, bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Upstream

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.command, self.path, body))
        payload = json.dumps({"method": self.command, "path": self.path, "body": body.decode()}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.url) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


def test_forwards_requests_and_answers_on_a_kept_alive_connection(
    proxy: FaultProxy, upstream: Upstream, http: requests.Session
) -> None:
    for number in range(3):
        answer = http.post(f"{proxy.url}/orders?n={number}", json={"n": number}, timeout=5)
        assert answer.status_code == 201
        assert answer.json() == {"method": "POST", "path": f"/orders?n={number}", "body": json.dumps({"n": number})}
    assert http.get(f"{proxy.url}/orders/1", timeout=5).json()["method"] == "GET"
    assert [r[:2] for r in upstream.received] == [*(("POST", f"/orders?n={n}") for n in range(3)), ("GET", "/orders/1")]
    assert proxy.forwarded == 4


def test_refuses_connections_while_down_and_accepts_again_on_the_same_port(
    proxy: FaultProxy, http: requests.Session
) -> None:
    port = proxy.port
    assert http.get(f"{proxy.url}/a", timeout=5).ok  # a kept-alive connection exists
    proxy.refuse()
    with pytest.raises(requests.ConnectionError) as refused:
        http.get(f"{proxy.url}/a", timeout=5)
    assert isinstance(refused.value.args[0].reason, NewConnectionError)  # never connected: nothing can have applied
    proxy.accept()
    assert proxy.port == port
    assert http.get(f"{proxy.url}/a", timeout=5).ok


def test_reset_after_answer_applies_the_request_and_resets_the_client(
    proxy: FaultProxy, upstream: Upstream, http: requests.Session
) -> None:
    proxy.reset_after_answer("POST", "/orders", times=1)
    assert http.get(f"{proxy.url}/orders/1", timeout=5).ok  # another method: not faulted
    with pytest.raises(requests.ConnectionError) as reset:
        http.post(f"{proxy.url}/orders", json={"n": 1}, timeout=5)
    assert "reset" in str(reset.value).lower()
    assert [r[:2] for r in upstream.received] == [("GET", "/orders/1"), ("POST", "/orders")]  # it reached upstream
    assert http.post(f"{proxy.url}/orders", json={"n": 2}, timeout=5).status_code == 201  # only `times` requests
    assert proxy.resets == 1 and proxy.last_fault_at is not None
