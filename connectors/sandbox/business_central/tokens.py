"""Microsoft Entra ID's token endpoint for the tenant (`POST {mount}/login/{tenant}/oauth2/v2.0/token`, standing in
for `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`): the client_credentials grant, form-encoded
`grant_type, client_id, client_secret, scope=https://api.businesscentral.dynamics.com/.default`, answered with a
Bearer JWT for `token_ttl` seconds (`expires_in`, `ext_expires_in`). Refusals are Entra ID's bodies (`error`,
`error_description` starting with the AADSTS code, `error_codes`, trace and correlation ids). Tokens are signed by
the sandbox; `POST /_sandbox/expire_tokens` expires every token issued so far. Business Central refuses a missing,
foreign or expired token with 401 `Authentication_InvalidCredentials` and a `WWW-Authenticate: Bearer` challenge."""

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

from connectors.sandbox.business_central.context import BusinessCentralContext, odata_error
from connectors.sandbox.business_central.settings import BusinessCentralConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now
from connectors.sandbox.vendor_api import VendorError

RESOURCE = "https://api.businesscentral.dynamics.com"
SCOPE = f"{RESOURCE}/.default"
REJECTED = "The server has rejected the client credentials."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _sign(config: BusinessCentralConfig, text: str) -> str:
    return _b64(hmac.new(config.signing_key.encode(), text.encode(), hashlib.sha256).digest())


def issue_token(config: BusinessCentralConfig, tenant: str) -> str:
    moment = time.time()
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    claims = {"aud": RESOURCE, "iss": f"https://sts.windows.net/{tenant}/", "tid": tenant, "appid": config.client_id,
              "roles": ["API.ReadWrite.All"], "iat": moment, "nbf": moment, "exp": moment + config.token_ttl,
              "uti": uuid.uuid4().hex}  # fmt: skip
    payload = _b64(json.dumps(claims).encode())
    return f"{header}.{payload}.{_sign(config, f'{header}.{payload}')}"


def _refused(tenant: str) -> VendorError:
    challenge = (f'Bearer authorization_uri="https://login.microsoftonline.com/{tenant}/oauth2/authorize", '
                 f'resource_id="{RESOURCE}"')  # fmt: skip
    return odata_error(401, REJECTED, **{"WWW-Authenticate": challenge})


def verify_bearer(config: BusinessCentralConfig, state: SandboxState, authorization: str | None, tenant: str) -> str:
    """The client id of a valid token for `tenant`; else BC's 401 is raised."""
    scheme, _, token = (authorization or "").partition(" ")
    header, payload, signature = (token.split(".") + ["", "", ""])[:3]
    try:
        valid = scheme.lower() == "bearer" and hmac.compare_digest(_sign(config, f"{header}.{payload}"), signature)
        claims = json.loads(base64.urlsafe_b64decode(payload + "===")) if valid else {}
    except (ValueError, binascii.Error):
        valid, claims = False, {}
    if not valid or not isinstance(claims, dict) or claims.get("tid") != tenant or claims.get("aud") != RESOURCE:
        raise _refused(tenant)
    with state.lock:
        revoked = claims["iat"] < state.business_central.tokens_valid_after
    if revoked or time.time() >= claims["exp"]:
        raise _refused(tenant)
    return str(claims["appid"])


def entra_error(status: int, error: str, code: int, description: str) -> VendorError:
    """Entra ID's (AAD STS) error body."""
    trace, correlation, moment = uuid.uuid4(), uuid.uuid4(), now().strftime("%Y-%m-%d %H:%M:%SZ")
    text = f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {moment}"
    return VendorError(status, {
        "error": error, "error_description": text, "error_codes": [code], "timestamp": moment,
        "trace_id": str(trace), "correlation_id": str(correlation),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    })  # fmt: skip


def _grant(config: BusinessCentralConfig, tenant: str, form: dict[str, str]) -> dict[str, Any]:
    if tenant != config.tenant_id:
        raise entra_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                          "the correct tenant ID and are signing into the correct cloud.")  # fmt: skip
    grant = form.get("grant_type")
    if not grant:
        raise entra_error(400, "invalid_request", 900144,
                          "The request body must contain the following parameter: 'grant_type'.")  # fmt: skip
    if grant != "client_credentials":  # authorization_code (delegated, interactive) is not simulated
        raise entra_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type "
                          f"'{grant}'.")  # fmt: skip
    client_id = form.get("client_id")
    if client_id != config.client_id:
        raise entra_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not "
                          f"found in the directory '{tenant}'.")  # fmt: skip
    if not hmac.compare_digest((form.get("client_secret") or "").encode(), config.client_secret.encode()):
        raise entra_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                          "sent in the request is the client secret value, not the client secret ID, for a secret "
                          f"added to app '{client_id}'.")  # fmt: skip
    if form.get("scope") != SCOPE:
        raise entra_error(400, "invalid_scope", 1002012, f"The provided value for scope {form.get('scope')} is not "
                          "valid. Client credential flows must have a scope value with /.default suffixed to the "
                          "resource identifier (application ID URI).")  # fmt: skip
    return {"token_type": "Bearer", "expires_in": config.token_ttl, "ext_expires_in": config.token_ttl,
            "access_token": issue_token(config, tenant)}  # fmt: skip


def entra_router(ctx: BusinessCentralContext) -> APIRouter:
    router = APIRouter()

    @router.post("/{tenant}/oauth2/v2.0/token")
    async def token(tenant: str, request: Request) -> dict[str, Any]:
        with ctx.state.lock:
            ctx.data.token_calls += 1
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise entra_error(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'grant_type'.")  # fmt: skip
        try:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise entra_error(400, "invalid_request", 900144, "The request body is not form-encoded.") from None
        return _grant(ctx.config, tenant, form)

    return router
