"""An API on 127.0.0.1 that verifies OAuth 1.0a signatures with oauthlib's server side: `/one-legged/...` with
`SignatureOnlyEndpoint` (consumer credentials only), `/token/...` with `ResourceEndpoint` (plus an access token).
Nonces are remembered, so a replayed signature is refused."""

from __future__ import annotations

import json
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from oauthlib.oauth1 import RequestValidator, ResourceEndpoint, SignatureOnlyEndpoint

from tests.unit.auth.http_server import serving

CONSUMER_KEY = "ck_3f1c0a9e8b7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
CONSUMER_SECRET = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
ACCESS_TOKEN = "q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3"
ACCESS_TOKEN_SECRET = "z1x2c3v4b5n6m7l8k9j0h1g2f3d4s5a6"


class Validator(RequestValidator):
    """Knows one consumer and one access token; accepts HMAC-SHA1/256/512 over plain HTTP."""

    enforce_ssl = False
    safe_characters = set(string.ascii_letters + string.digits + "_")  # WooCommerce keys are ck_…/cs_…
    client_key_length = (3, 64)
    access_token_length = (3, 64)
    nonce_length = (8, 64)
    allowed_signature_methods = ("HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512")
    dummy_client = "ck_dummy_client_for_timing"
    dummy_access_token = "dummy_access_token_for_timing"

    def __init__(self) -> None:
        super().__init__()
        self.nonces: set[tuple[str, str, str]] = set()
        self.lock = threading.Lock()

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == CONSUMER_KEY

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return CONSUMER_SECRET if client_key == CONSUMER_KEY else "dummy-secret"

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return token == ACCESS_TOKEN

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return ACCESS_TOKEN_SECRET if token == ACCESS_TOKEN else "dummy-token-secret"

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_timestamp_and_nonce(
        self, client_key: str, timestamp: str, nonce: str, request: Any, **kw: Any
    ) -> bool:
        with self.lock:
            if (client_key, timestamp, nonce) in self.nonces:
                return False
            self.nonces.add((client_key, timestamp, nonce))
            return True


@dataclass
class OAuth1Server:
    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)  # {method, path, authorization}


def _handler(state: OAuth1Server) -> type[BaseHTTPRequestHandler]:
    validator = Validator()
    one_legged, resource = SignatureOnlyEndpoint(validator), ResourceEndpoint(validator)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _verify(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            uri = f"{state.url}{self.path}"
            headers = dict(self.headers.items())
            state.seen.append(
                {"method": self.command, "path": self.path, "authorization": headers.get("Authorization")}
            )
            if self.path.startswith("/token/"):
                valid, request = resource.validate_protected_resource_request(uri, self.command, body, headers)
            else:
                valid, request = one_legged.validate_request(uri, self.command, body, headers)
            status = 200 if valid else 401
            answer = {"valid": valid, "signature_method": request.signature_method if valid else None}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _verify

    return Handler


@pytest.fixture
def oauth1_server() -> Iterator[OAuth1Server]:
    state = OAuth1Server()
    with serving(_handler(state)) as url:
        state.url = url
        yield state
