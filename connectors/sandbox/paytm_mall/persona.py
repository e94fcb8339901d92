"""Paytm's persona login as community clients use it: `POST /oauth2/authorize` (form username, password, client_id,
notredirect=true, response_type=code) answers a single-use `code`; `POST /oauth2/token` (form
grant_type=authorization_code, code, client_id, client_secret) answers the `access_token` that every seller call
then carries as `?authtoken=`. The error bodies (`{"status": "FAILURE", "message"}`, 401) and the answers' extra
fields are assumptions: no official documentation survives."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request

from connectors.sandbox.config import PaytmMallConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.vendor_api import VendorError


def failure(status: int, message: str) -> VendorError:
    """Paytm's error answer as the sandbox models it (assumption): `{"status": "FAILURE", "message"}`."""
    return VendorError(status, {"status": "FAILURE", "message": message})


async def form_of(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode("utf-8", "replace")
    return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def check_authtoken(config: PaytmMallConfig, state: SandboxState, token: str | None) -> str:
    """The empty string for a valid, unexpired authtoken, else the reason (answered as a 401)."""
    if not token:
        return "authtoken is missing"
    with state.lock:
        expiry = state.paytm_mall.tokens.get(token)
    if expiry is None:
        return "Invalid authtoken"
    if time.time() >= expiry:
        return "authtoken has expired"
    return ""


def persona_router(config: PaytmMallConfig, state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.post("/oauth2/authorize")
    async def authorize(request: Request) -> dict[str, Any]:
        form = await form_of(request)
        with state.lock:
            state.paytm_mall.login_calls += 1
        if form.get("response_type") != "code" or form.get("notredirect") != "true":
            raise failure(400, "response_type=code and notredirect=true are required")
        if form.get("client_id") != config.client_id:
            raise failure(401, "Invalid client_id")
        if (form.get("username"), form.get("password")) != (config.username, config.password):
            raise failure(401, "Invalid username or password")
        code = secrets.token_hex(16)
        with state.lock:
            state.paytm_mall.codes[code] = time.time() + config.code_ttl
        return {"code": code}

    @router.post("/oauth2/token")
    async def token(request: Request) -> dict[str, Any]:
        form = await form_of(request)
        with state.lock:
            state.paytm_mall.token_calls += 1
        if form.get("grant_type") != "authorization_code":
            raise failure(400, f"Unsupported grant_type: {form.get('grant_type')}")
        if (form.get("client_id"), form.get("client_secret")) != (config.client_id, config.client_secret):
            raise failure(401, "Invalid client credentials")
        with state.lock:
            expiry = state.paytm_mall.codes.pop(form.get("code", ""), None)  # single use
            if expiry is None or time.time() >= expiry:
                raise failure(401, "Invalid or expired code")
            access_token = secrets.token_hex(20)
            expires = time.time() + config.token_ttl
            state.paytm_mall.tokens[access_token] = expires
        return {"access_token": access_token, "expires": int(expires * 1000), "scope": "paytm",
                "resourceOwnerId": config.mid}  # fmt: skip

    return router
