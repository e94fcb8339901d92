"""Eshopbox simulator: the `generateToken` endpoint (refresh_token grant, rate limited), bearer-protected WMS and
platform APIs, and shipment webhooks with static headers. WMS routes are in `eshopbox_wms`, the control API in
`eshopbox_control`. Paths under the mount: `/auth/...`, `/wms/api/...`, `/platform/api/...`, `/_sandbox/...`."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.common import VendorError, install_error_handlers, iso_z, json_body, now
from connectors.sandbox.config import EshopboxConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.webhooks import Delivery, WebhookSender

PROTECTED = ("/wms/", "/platform/")


def error(status: int, message: str, **extra: Any) -> VendorError:
    """Eshopbox APIs answer `{"message": ...}` (what its SDK reads), sometimes with more fields."""
    return VendorError(status, {"message": message, **extra})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class EshopboxContext:
    config: EshopboxConfig
    state: SandboxState
    sender: WebhookSender

    def new_id(self, base: int = 10_000_000) -> int:
        return self.state.next_id(base)

    # -- tokens: HS256 JWTs signed by the sandbox, valid until `exp` (they survive a state reset, as real ones do)
    def issue_token(self, audience: str) -> str:
        issued = time.time()
        claims = {
            "iss": "https://auth.myeshopbox.com/",
            "sub": f"{self.config.client_id}@clients",
            "aud": audience,
            "iat": int(issued),
            "exp": round(issued + self.config.token_ttl, 3),
            "scope": "openid profile",
            "jti": uuid.uuid4().hex,
        }
        signing_input = _b64(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64(json.dumps(claims).encode())
        return signing_input + "." + _b64(self._sign(signing_input))

    def _sign(self, text: str) -> bytes:
        return hmac.new(self.config.signing_key.encode(), text.encode(), hashlib.sha256).digest()

    def token_problem(self, authorization: str | None) -> str | None:
        """Why a bearer token is refused, or None when it is valid."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "No authorization token was found"
        head, _, signature = token.strip().rpartition(".")
        try:
            valid = hmac.compare_digest(_b64(self._sign(head)), signature)
            claims = json.loads(base64.urlsafe_b64decode(head.split(".")[1] + "==="))
        except (ValueError, IndexError):
            return "jwt malformed"
        if not valid or claims.get("aud") != "eshopbox-api":
            return "invalid signature"
        return "jwt expired" if time.time() >= float(claims["exp"]) else None

    # -- shipments
    def set_status(self, shipment: dict[str, Any], status: str, at: str | None = None) -> list[Delivery]:
        """Change a shipment's status as the WMS does (call with the lock held) and emit the shipment webhooks."""
        from connectors.sandbox.delhivery import manifest

        stamp = at or iso_z(now())
        if status == "packed" and not shipment.get("trackingID"):
            awb = str(self.new_id(base=1_490_800_000_000))
            shipment.update(
                trackingID=awb,
                courierName=self.config.courier_name,
                invoiceNumber=f"INV-{shipment['id']}",
                invoice_url=f"https://sandbox.eshopbox.invalid/invoices/{shipment['externalShipmentID']}.pdf",
                label_url=f"https://sandbox.eshopbox.invalid/labels/{awb}.pdf",
            )
            if self.config.courier_name.lower() == "delhivery":
                order = self.state.eshopbox.orders.get((shipment["externalChannelID"], shipment["customerOrderNumber"]))
                manifest(self.state, awb, shipment["customerOrderNumber"], (order or {}).get("shippingAddress"))
        shipment["status"], shipment["status_updated_at"] = status, stamp
        shipment["status_log"][status] = stamp
        return self.emit_shipment(shipment)

    def emit_shipment(self, shipment: dict[str, Any]) -> list[Delivery]:
        body = json.dumps(shipment, separators=(",", ":")).encode()
        deliveries = []
        for hook in list(self.state.eshopbox.webhooks.values()):
            sub_types = hook["eventSubType"] if isinstance(hook["eventSubType"], list) else [hook["eventSubType"]]
            wanted = any(s in (None, "", "updated", "all", shipment["status"]) for s in sub_types)
            channel = hook.get("externalChannelID")
            if hook["resource"] != "shipment" or not wanted or channel not in (None, shipment["externalChannelID"]):
                continue
            headers = dict(hook.get("webhookHeaders") or {})
            if "x-api-key" not in {name.lower() for name in headers}:
                headers["x-api-key"] = self.config.webhook_api_key
            deliveries.append(
                self.sender.send(
                    "eshopbox",
                    f"shipment/{shipment['status']}",
                    hook["webhookUrl"],
                    body,
                    headers,
                    retries=self.config.webhook_retries,
                    backoff=self.config.webhook_backoff,
                )
            )
        return deliveries


def build_eshopbox(config: EshopboxConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    from connectors.sandbox.eshopbox_control import control_router
    from connectors.sandbox.eshopbox_platform import platform_router
    from connectors.sandbox.eshopbox_wms import wms_router

    ctx = EshopboxContext(config, state, sender)
    app = FastAPI(title="Eshopbox sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, lambda status, detail: {"message": detail})

    @app.middleware("http")
    async def bearer_gate(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if any(part in path for part in PROTECTED) and "/_sandbox/" not in path:
            problem = ctx.token_problem(request.headers.get("Authorization"))
            if problem:
                return JSONResponse({"message": problem, "error": "Unauthorized"}, status_code=401)
        return await call_next(request)

    @app.post("/auth/api/v1/generateToken")
    async def generate_token(request: Request) -> dict[str, Any]:
        with state.lock:
            data = state.eshopbox
            data.token_calls += 1
            moment = time.monotonic()
            data.token_call_times = [t for t in data.token_call_times if moment - t < config.token_rate_window]
            if len(data.token_call_times) >= config.token_rate_limit:
                wait = config.token_rate_window - (moment - data.token_call_times[0])
                raise VendorError(
                    429,
                    {"error": "too_many_requests", "error_description": "Too many token requests; cache the token."},
                    {"Retry-After": str(max(1, math.ceil(wait)))},
                )
            data.token_call_times.append(moment)
        if "form" in request.headers.get("content-type", ""):
            body: Any = dict(parse_qsl((await request.body()).decode()))
        else:
            body = await json_body(
                request, lambda m: VendorError(400, {"error": "invalid_request", "error_description": m})
            )
        body = body if isinstance(body, dict) else {}
        if body.get("grant_type") != "refresh_token":
            raise VendorError(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})
        if body.get("client_id") != config.client_id or body.get("client_secret") != config.client_secret:
            raise VendorError(401, {"error": "invalid_client", "error_description": "Unknown client or wrong secret."})
        if body.get("refresh_token") != config.refresh_token:
            raise VendorError(400, {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."})
        with state.lock:
            state.eshopbox.tokens_issued += 1
        return {
            "access_token": ctx.issue_token("eshopbox-api"),
            "id_token": ctx.issue_token(config.client_id),
            "scope": "openid profile",
            "expires_in": config.token_ttl,
            "token_type": "Bearer",
        }

    app.include_router(wms_router(ctx), prefix="/wms/api")
    app.include_router(platform_router(ctx), prefix="/platform/api")
    app.include_router(control_router(ctx), prefix="/_sandbox")
    return app


def shipment_or_404(ctx: EshopboxContext, shipment_id: str) -> dict[str, Any]:
    shipment = ctx.state.eshopbox.shipments.get(shipment_id)
    if shipment is None:
        raise error(404, f"Shipment {shipment_id} not found")
    return shipment


def copied(value: Any) -> Any:
    return copy.deepcopy(value)
