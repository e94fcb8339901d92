"""OAuth 2.0 client credentials at the ABAP authorization server, `POST /sap/bc/sec/oauth2/token` (S/4HANA Cloud
communication arrangements): the client authenticates with HTTP Basic (or `client_id`/`client_secret` in the form)
and gets a Bearer token of `token_ttl` seconds. Errors are RFC 6749's `{"error", "error_description"}`. The scopes
are not checked (assumption: the communication arrangement grants both services)."""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from connectors.sandbox.sap_s4hana.settings import SapS4hanaConfig
from connectors.sandbox.state import SandboxState

TOKEN_PATH = "/sap/bc/sec/oauth2/token"


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded.strip()).decode().partition(":")
            return client_id, secret
        except (ValueError, UnicodeDecodeError):
            return "", ""
    return form.get("client_id", ""), form.get("client_secret", "")


def oauth_router(config: SapS4hanaConfig, state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.post(TOKEN_PATH)
    async def token(request: Request) -> Any:
        form = {name: values[0] for name, values in parse_qs((await request.body()).decode()).items()}
        with state.lock:
            state.sap_s4hana.token_calls += 1
        client_id, secret = _client(request, form)
        known = hmac.compare_digest(client_id, config.oauth_client_id)
        if not (known and hmac.compare_digest(secret, config.oauth_client_secret)):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Grant type not supported")
        access_token = secrets.token_urlsafe(24)
        with state.lock:
            state.sap_s4hana.access_tokens[access_token] = time.time() + config.token_ttl
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": config.token_ttl,
                "scope": form.get("scope", "")}  # fmt: skip

    return router
