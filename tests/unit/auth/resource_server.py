"""A protected API that accepts only access tokens signed by the OAuth2 test server and not revoked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import jwt
import pytest

from tests.servers.oauth2_server import OAuth2TestServer
from tests.unit.auth.http_server import serving


@dataclass
class ResourceServer:
    url: str = ""
    revoked: set[str] = field(default_factory=set)
    revoke_everything: bool = False
    seen_tokens: list[str] = field(default_factory=list)


def _handler(state: ResourceServer, keys: jwt.PyJWKClient) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            state.seen_tokens.append(token)
            status, body = 200, {"ok": True}
            try:
                key = keys.get_signing_key_from_jwt(token).key
                jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
                if state.revoke_everything or token in state.revoked:
                    raise jwt.InvalidTokenError("revoked")
            except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
                status, body = 401, {"error": "invalid_token", "detail": type(exc).__name__}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def resource_server(oauth2_server_reset: OAuth2TestServer) -> Iterator[ResourceServer]:
    state = ResourceServer()
    with serving(_handler(state, jwt.PyJWKClient(oauth2_server_reset.jwks_url))) as url:
        state.url = url
        yield state
