"""Session fixture: a real ``oauth2-mock-server`` (npm, 8.x) on 127.0.0.1.

``tests/servers/oauth2/serve.mjs`` runs the server and a small JSON control API
on a second port; :class:`OAuth2TestServer` wraps both for the tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers.process import (
    HOST,
    free_port,
    http_answers,
    local_opener,
    start_server,
)

OAUTH2_DIR = Path(__file__).resolve().parent / "oauth2"
DEFAULT_EXPIRES_IN = 3600


@dataclass(frozen=True)
class OAuth2TestServer:
    """A running mock OAuth2/OIDC server.

    Endpoints: ``token_url`` (POST, form or JSON body), ``authorize_url`` (GET;
    302 to ``redirect_uri?code=...&state=...``), ``jwks_url``, ``userinfo_url``,
    ``issuer_url + '/.well-known/openid-configuration'``. Any client id/secret is
    accepted; refresh tokens rotate (a new one on every non-client_credentials grant).
    """

    issuer_url: str
    token_url: str
    authorize_url: str
    jwks_url: str
    userinfo_url: str
    control_url: str

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.control_url}{path}", data=data, method=method)
        req.add_header("content-type", "application/json")
        with local_opener.open(req, timeout=10) as resp:
            return json.load(resp)

    def token_requests(self) -> list[dict[str, Any]]:
        """Token-endpoint requests since the last clear()/reset(), oldest first.

        Keys: grant_type, client_id, client_secret, refresh_token (presented), code,
        code_verifier, redirect_uri, scope, basic_auth (bool), basic_auth_client_id,
        basic_auth_client_secret, form (whole parsed body), method, path, content_type,
        time (epoch s), status, error, response_access_token, response_refresh_token,
        response_expires_in. Absent values are None.
        """
        records: list[dict[str, Any]] = self._call("GET", "/requests")
        return records

    def clear(self) -> None:
        """Forget the recorded token requests."""
        self._call("POST", "/clear")

    def reset(self) -> None:
        """clear(), forget issued codes/refresh tokens, restore expires_in and strict."""
        self._call("POST", "/reset")

    def set_expires_in(self, seconds: int) -> None:
        """Lifetime (expires_in and JWT exp) of tokens issued from now on."""
        self._call("POST", "/config", {"expires_in": seconds})

    def set_strict(self, strict: bool) -> None:
        """Strict mode: a refresh token must have been issued here and not used yet
        (single-use, i.e. rotation enforced), and an authorization code must come
        from /authorize and is single-use; otherwise 400 ``invalid_grant``."""
        self._call("POST", "/config", {"strict": strict})

    def seed_refresh_token(self, token: str) -> None:
        """Mark ``token`` as issued, so strict mode accepts it once."""
        self._call("POST", "/seed", {"refresh_token": token})


def _ensure_node_modules() -> None:
    if (OAUTH2_DIR / "node_modules" / "oauth2-mock-server").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed; needed for tests/servers/oauth2")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=OAUTH2_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"npm ci failed in {OAUTH2_DIR}:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def oauth2_server() -> Iterator[OAuth2TestServer]:
    """The running server, shared by the session: call reset() (or use
    ``oauth2_server_reset``) if a test changes its settings."""
    _ensure_node_modules()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; needed for tests/servers/oauth2")
    port, control_port = free_port(), free_port()
    while control_port == port:
        control_port = free_port()
    issuer = f"http://{HOST}:{port}"
    control = f"http://{HOST}:{control_port}"
    args = [
        node,
        "serve.mjs",
        str(port),
        str(control_port),
        "--expires-in",
        str(DEFAULT_EXPIRES_IN),
    ]
    with start_server(
        "oauth2-mock-server",
        args,
        [port, control_port],
        ready=http_answers(f"{issuer}/.well-known/openid-configuration"),
        cwd=OAUTH2_DIR,
        timeout=30,
    ):
        yield OAuth2TestServer(
            issuer_url=issuer,
            token_url=f"{issuer}/token",
            authorize_url=f"{issuer}/authorize",
            jwks_url=f"{issuer}/jwks",
            userinfo_url=f"{issuer}/userinfo",
            control_url=control,
        )


@pytest.fixture
def oauth2_server_reset(oauth2_server: OAuth2TestServer) -> Iterator[OAuth2TestServer]:
    """``oauth2_server``, reset before and after the test."""
    oauth2_server.reset()
    yield oauth2_server
    oauth2_server.reset()
