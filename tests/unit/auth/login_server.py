"""A small login server that expires its sessions, for session-auth tests.

`POST /auth/login {"email","password"}` -> `{"token": ..., "expires_in": ttl}` plus a `SESSION` cookie;
`GET /orders` needs `Authorization: Bearer <token>` or the cookie, else 401. Tokens expire after `ttl` seconds
and can be revoked by the test, as a server restart would.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from tests.unit.auth.http_server import JsonHandler, serving

USER, PASSWORD = "api@example.com", "s3cret-login-pass"


@dataclass
class LoginServer:
    url: str = ""
    ttl: float = 60.0
    reported_ttl: float | None = None  # what `expires_in` says, when it should differ from the real lifetime
    logins: list[str] = field(default_factory=list)
    sessions: dict[str, float] = field(default_factory=dict)
    data_calls: int = 0

    def revoke_all(self) -> None:
        self.sessions.clear()


def _handler(state: LoginServer) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path != "/auth/login":
                return self._reply(404, {"message": "not found"})
            if body.get("email") != USER or body.get("password") != PASSWORD:
                return self._reply(401, {"message": "Invalid email and password combination"})
            token = secrets.token_hex(16)
            state.sessions[token] = time.time() + state.ttl
            state.logins.append(token)
            expires_in = state.ttl if state.reported_ttl is None else state.reported_ttl
            self._reply(200, {"token": token, "expires_in": expires_in}, {"Set-Cookie": f"SESSION={token}; Path=/"})

        def do_GET(self) -> None:
            state.data_calls += 1
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            cookie = dict(
                part.strip().split("=", 1) for part in self.headers.get("Cookie", "").split(";") if "=" in part
            ).get("SESSION")
            token = bearer or cookie or ""
            if state.sessions.get(token, 0) < time.time():
                return self._reply(401, {"message": "Token has expired"})
            self._reply(200, {"orders": [{"id": 1}]})

    return Handler


@pytest.fixture
def login_server() -> Iterator[LoginServer]:
    state = LoginServer()
    with serving(_handler(state)) as url:
        state.url = url
        yield state
