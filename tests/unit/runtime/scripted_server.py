"""A tiny scriptable HTTP server on 127.0.0.1 for runtime tests.

Tests queue responses (status, headers, JSON body, optional delay) for one path or for any path, send real
HTTP requests to it, then inspect what arrived: method, path, query, headers, body and arrival time.

    server.reply(503)                                   # next request, any path
    server.reply(200, {"orders": []}, path="/orders")   # next request to /orders (takes precedence)
    server.default = Scripted(503)                      # every request once the queues are empty
"""

from __future__ import annotations

import collections
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Scripted:
    """One scripted answer. `body` is sent as JSON unless it is bytes/str; `delay` waits before answering, `gate`
    until the test opens it; `drop` closes the connection after reading the request, without answering."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    gate: threading.Event | None = None  # answer only once the test sets it (at most 30 s)


@dataclass(frozen=True)
class Received:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict[str]
    body: bytes
    arrived: float  # time.monotonic() when the request line and headers had been read
    raw_path: str

    @property
    def params(self) -> dict[str, str]:
        """Query parameters with their last value (most tests send each parameter once)."""
        return {name: values[-1] for name, values in self.query.items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


UNSCRIPTED = 418  # a 4xx the client does not retry, so an unexpected request fails the test fast


class ScriptedServer:
    """A ThreadingHTTPServer in a background thread answering from per-path and global queues."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._lock = threading.Lock()
        self._by_path: dict[str, collections.deque[Scripted]] = collections.defaultdict(collections.deque)
        self._any: collections.deque[Scripted] = collections.deque()
        self.default: Scripted | None = None
        self.requests: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Self:
        server = _Server((HOST, self._requested_port), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- scripting ---------------------------------------------------------------------------------------------

    def reply(
        self,
        status: int = 200,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        path: str | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        """Queue `times` identical answers, for `path` only or (path None) for any path."""
        self.queue(*[Scripted(status, body, dict(headers or {}), delay)] * times, path=path)

    def queue(self, *responses: Scripted, path: str | None = None) -> None:
        with self._lock:
            (self._by_path[path] if path is not None else self._any).extend(responses)

    def _next(self, path: str) -> Scripted:
        with self._lock:
            if self._by_path.get(path):
                return self._by_path[path].popleft()
            if self._any:
                return self._any.popleft()
            if self.default is not None:
                return self.default
        return Scripted(UNSCRIPTED, {"error": f"no response scripted for {path}"})

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    # -- inspection --------------------------------------------------------------------------------------------

    @property
    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def gaps(self) -> list[float]:
        """Seconds between consecutive request arrivals."""
        times = [r.arrived for r in self.requests]
        return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping out a `delay` must not hold up teardown

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that gave up (read timeouts) make the late write fail; that is expected


def _handler_for(state: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            arrived = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            state._record(
                Received(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers=CaseInsensitiveDict(self.headers.items()),
                    body=body,
                    arrived=arrived,
                    raw_path=self.path,
                )
            )
            scripted = state._next(split.path)
            if scripted.delay:
                time.sleep(scripted.delay)
            if scripted.gate is not None:
                scripted.gate.wait(30)
            if scripted.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if isinstance(scripted.body, bytes):
                payload, content_type = scripted.body, "application/octet-stream"
            elif isinstance(scripted.body, str):
                payload, content_type = scripted.body.encode(), "text/plain; charset=utf-8"
            else:
                payload = json.dumps({} if scripted.body is None else scripted.body).encode()
                content_type = "application/json"
            try:
                self.send_response(scripted.status)
                headers = {"Content-Type": content_type, **scripted.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except OSError:
                pass  # the client is gone

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Handler


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    """A started ScriptedServer, stopped at teardown."""
    with ScriptedServer() as server:
        yield server
