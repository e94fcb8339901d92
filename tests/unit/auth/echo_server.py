"""A server that answers with an error echoing the request, as careless APIs do: the worst case for secrets.

`POST /login` -> 200 `{"token": ...}` plus a `ROUTE` cookie (a session cookie a login hands out besides its
token); every other request -> `status` (400 unless set) with `{"method", "path", "headers", "body"}` as JSON.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class EchoServer:
    url: str = ""
    status: int = 400
    route_cookie: str = field(default_factory=lambda: f"route-{secrets.token_hex(12)}")
    tokens: list[str] = field(default_factory=list)


def _handler(state: EchoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            status, extra_headers = state.status, {}
            answer: dict[str, object] = {"method": self.command, "path": self.path, "headers": dict(self.headers)}
            answer["body"] = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
            if self.command == "POST" and self.path == "/login":
                state.tokens.append(secrets.token_hex(16))
                status, answer = 200, {"token": state.tokens[-1]}
                extra_headers = {"Set-Cookie": f"ROUTE={state.route_cookie}"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **extra_headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

    return Handler


@contextmanager
def serve_echo() -> Iterator[EchoServer]:
    """A started echo server on 127.0.0.1, stopped on exit."""
    state = EchoServer()
    with ThreadingHTTPServer(("127.0.0.1", 0), _handler(state)) as server:
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield state
        finally:
            server.shutdown()
