"""Login with Amazon: `POST /auth/o2/token` (form-encoded `grant_type=refresh_token&refresh_token=Atzr|...&client_id=
&client_secret=`) issues `Atza|...` access tokens for `token_ttl` seconds (LWA: 3600), which SP-API reads from the
`x-amz-access-token` header. Tokens are signed by the sandbox, so they stay valid across a state reset as real ones
do; `POST /_sandbox/expire_tokens` expires every token issued so far. LWA's refusals are RFC 6749 bodies
(`invalid_client`, `invalid_grant`, ...); SP-API's refusal of a bad token is a 403 `Unauthorized`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request

from connectors.sandbox.amazon.context import AmazonContext, lwa_error, sp_error
from connectors.sandbox.config import AmazonConfig
from connectors.sandbox.state import SandboxState

DENIED = "Access to requested resource is denied."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(config: AmazonConfig, text: str) -> str:
    return _b64(hmac.new(config.signing_key.encode(), text.encode(), hashlib.sha256).digest())


def issue_token(config: AmazonConfig) -> str:
    claims = {"client": config.client_id, "iat": time.time(), "exp": time.time() + config.token_ttl,
              "jti": uuid.uuid4().hex}  # fmt: skip
    payload = _b64(json.dumps(claims).encode())
    return f"Atza|{payload}.{_sign(config, payload)}"


def verify_access_token(config: AmazonConfig, state: SandboxState, token: str | None) -> str:
    """The LWA client id of a valid access token; else SP-API's 403 `Unauthorized` is raised."""
    if not token:
        raise sp_error(403, "Unauthorized", DENIED, "")
    payload, _, signature = token.removeprefix("Atza|").partition(".")
    try:
        valid = token.startswith("Atza|") and hmac.compare_digest(_sign(config, payload), signature)
        claims = json.loads(base64.urlsafe_b64decode(payload + "===")) if valid else {}
    except (ValueError, binascii.Error):
        valid, claims = False, {}
    if not valid or not isinstance(claims, dict):
        raise sp_error(403, "Unauthorized", DENIED, "The access token you provided is revoked, malformed or invalid.")
    with state.lock:
        revoked = claims["iat"] < state.amazon.tokens_valid_after
    if revoked or time.time() >= claims["exp"]:
        raise sp_error(403, "Unauthorized", DENIED, "The access token you provided has expired.")
    return str(claims["client"])


def _grant(config: AmazonConfig, form: dict[str, str]) -> dict[str, Any]:
    grant = form.get("grant_type")
    if not grant:
        raise lwa_error(400, "invalid_request", "The request is missing a required parameter : grant_type")
    if (form.get("client_id"), form.get("client_secret")) != (config.client_id, config.client_secret):
        raise lwa_error(401, "invalid_client", "Client authentication failed")
    if grant != "refresh_token":  # client_credentials (grantless operations) is not simulated
        raise lwa_error(400, "unsupported_grant_type", f"The authorization grant type is not supported : {grant}")
    refresh_token = form.get("refresh_token")
    if not refresh_token:
        raise lwa_error(400, "invalid_request", "The request is missing a required parameter : refresh_token")
    if refresh_token != config.refresh_token:
        raise lwa_error(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
    return {"access_token": issue_token(config), "refresh_token": config.refresh_token, "token_type": "bearer",
            "expires_in": config.token_ttl}  # fmt: skip


def lwa_router(ctx: AmazonContext) -> APIRouter:
    router = APIRouter()

    @router.post("/o2/token")
    async def token(request: Request) -> dict[str, Any]:
        with ctx.state.lock:
            ctx.state.amazon.token_calls += 1
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise lwa_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise lwa_error(400, "invalid_request", "The request body is not form-encoded") from None
        return _grant(ctx.config, form)

    return router
