"""Flipkart's OAuth service: `GET /oauth-service/oauth/token?grant_type=client_credentials&scope=Seller_Api` with HTTP
Basic base64(appId:appSecret) issues bearer tokens (about 60 days); the Seller API checks them. Tokens are signed by
the sandbox, so they stay valid across a state reset as real ones do; `POST /_sandbox/expire_tokens` expires every
token issued so far (Flipkart's answer to an expired token is a 401 `invalid_token`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.config import FlipkartConfig
from connectors.sandbox.flipkart.context import FlipkartContext, oauth_error
from connectors.sandbox.state import SandboxState

SCOPE = "Seller_Api"
BASIC_REALM = {"WWW-Authenticate": 'Basic realm="oauth2/client"'}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(config: FlipkartConfig, text: str) -> str:
    return _b64(hmac.new(config.signing_key.encode(), text.encode(), hashlib.sha256).digest())


def issue_token(config: FlipkartConfig) -> str:
    claims = {"app": config.app_id, "iat": time.time(), "exp": time.time() + config.token_ttl, "jti": uuid.uuid4().hex}
    payload = _b64(json.dumps(claims).encode())
    return f"{payload}.{_sign(config, payload)}"


def verify_bearer(config: FlipkartConfig, state: SandboxState, authorization: str | None) -> tuple[str | None, str]:
    """(app id, "") for a valid bearer token, else (None, Flipkart's OAuth error body as JSON text)."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, "Full authentication is required to access this resource"
    payload, _, signature = token.partition(".")
    try:
        valid = hmac.compare_digest(_sign(config, payload), signature)
        claims = json.loads(base64.urlsafe_b64decode(payload + "==="))
    except (ValueError, binascii.Error):
        valid, claims = False, {}
    if not valid or not isinstance(claims, dict):
        return None, f"Invalid access token: {token}"
    with state.lock:
        revoked = claims["iat"] < state.flipkart.tokens_valid_after
    if revoked or time.time() >= claims["exp"]:
        return None, f"Access token expired: {token}"
    return str(claims["app"]), ""


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        app_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return app_id, secret


def oauth_router(ctx: FlipkartContext) -> APIRouter:
    router, config, state = APIRouter(), ctx.config, ctx.state

    @router.api_route("/oauth/token", methods=["GET", "POST"])
    def token(request: Request) -> dict[str, Any]:
        with state.lock:
            state.flipkart.token_calls += 1
        if request.method != "GET":  # Flipkart's token endpoint is a GET
            raise oauth_error(405, "method_not_allowed", f"Request method '{request.method}' not supported")
        if _basic_credentials(request) != (config.app_id, config.app_secret):
            raise oauth_error(401, "unauthorized", "Bad credentials", BASIC_REALM)
        grant = request.query_params.get("grant_type")
        if not grant:
            raise oauth_error(400, "invalid_request", "Missing grant type")
        if grant != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        scope = request.query_params.get("scope", SCOPE)
        if scope != SCOPE:
            raise oauth_error(400, "invalid_scope", f"Invalid scope: {scope}")
        return {"access_token": issue_token(config), "token_type": "bearer", "expires_in": config.token_ttl,
                "scope": SCOPE}  # fmt: skip

    return router
