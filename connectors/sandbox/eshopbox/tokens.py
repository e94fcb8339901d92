"""Eshopbox's auth: `generateToken` (refresh_token grant, throttled per client id as the docs warn it is) issuing
HS256 JWTs the sandbox signs, and their verification for the bearer-protected WMS and platform APIs. Tokens are
valid until `exp` and survive a state reset, as real ones do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request

from connectors.sandbox.config import EshopboxConfig
from connectors.sandbox.eshopbox.context import EshopboxContext
from connectors.sandbox.throttling import SlidingWindow, retry_after_seconds
from connectors.sandbox.vendor_api import VendorError, json_body

API_AUDIENCE = "eshopbox-api"
TOKEN_SCOPE = "token"  # the Throttle scope of generateToken, one window per client id
CLIENT_SUFFIX = "@clients"  # `sub` of a client-credentials token: "<client_id>@clients"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(config: EshopboxConfig, text: str) -> bytes:
    return hmac.new(config.signing_key.encode(), text.encode(), hashlib.sha256).digest()


def issue_token(config: EshopboxConfig, audience: str) -> str:
    issued = time.time()
    claims = {
        "iss": "https://auth.myeshopbox.com/",
        "sub": f"{config.client_id}{CLIENT_SUFFIX}",
        "aud": audience,
        "iat": int(issued),
        "exp": round(issued + config.token_ttl, 3),
        "scope": "openid profile",
        "jti": uuid.uuid4().hex,
    }
    signing_input = _b64(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode())
    return signing_input + "." + _b64(_sign(config, signing_input))


def verify_bearer(config: EshopboxConfig, authorization: str | None) -> tuple[str | None, str | None]:
    """(client id, None) for a valid bearer access token, else (None, why it is refused)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, "No authorization token was found"
    head, _, signature = token.strip().rpartition(".")
    try:
        valid = hmac.compare_digest(_b64(_sign(config, head)), signature)
        claims = json.loads(base64.urlsafe_b64decode(head.split(".")[1] + "==="))
    except (ValueError, IndexError):
        return None, "jwt malformed"
    if not valid or claims.get("aud") != API_AUDIENCE:
        return None, "invalid signature"
    if time.time() >= float(claims["exp"]):
        return None, "jwt expired"
    return str(claims.get("sub", "")).removesuffix(CLIENT_SUFFIX), None


def auth_router(ctx: EshopboxContext) -> APIRouter:
    router, config, state = APIRouter(), ctx.config, ctx.state

    def new_window() -> SlidingWindow:
        return SlidingWindow(config.token_rate_limit, config.token_rate_window)

    @router.post("/api/v1/generateToken")
    async def generate_token(request: Request) -> dict[str, Any]:
        with state.lock:
            state.eshopbox.token_calls += 1
        if "form" in request.headers.get("content-type", ""):
            body: Any = dict(parse_qsl((await request.body()).decode()))
        else:
            body = await json_body(
                request, lambda m: VendorError(400, {"error": "invalid_request", "error_description": m})
            )
        body = body if isinstance(body, dict) else {}
        with state.lock:
            allowed, window = state.eshopbox.throttle.admit(TOKEN_SCOPE, str(body.get("client_id", "")), new_window)
            wait = retry_after_seconds(window)
        if not allowed:
            raise VendorError(
                429,
                {"error": "too_many_requests", "error_description": "Too many token requests; cache the token."},
                {"Retry-After": wait},
            )
        if body.get("grant_type") != "refresh_token":
            raise VendorError(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})
        if body.get("client_id") != config.client_id or body.get("client_secret") != config.client_secret:
            raise VendorError(401, {"error": "invalid_client", "error_description": "Unknown client or wrong secret."})
        if body.get("refresh_token") != config.refresh_token:
            raise VendorError(400, {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."})
        with state.lock:
            state.eshopbox.tokens_issued += 1
        return {
            "access_token": issue_token(config, API_AUDIENCE),
            "id_token": issue_token(config, config.client_id),
            "scope": "openid profile",
            "expires_in": config.token_ttl,
            "token_type": "Bearer",
        }

    return router
