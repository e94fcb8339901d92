"""Shiprocket sandbox control API (`/shiprocket/_sandbox/...`): inspect and reset state, set the account's webhook
(Settings > API > Webhooks: one URL and an optional security token), expire tokens, seed a shipment with an AWB,
and record a courier scan that is pushed to the webhook."""

from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request

from connectors.sandbox.emission import WebhookSender, settle
from connectors.sandbox.shiprocket.authentication import ShiprocketAuthenticator
from connectors.sandbox.shiprocket.shipments import (
    ShiprocketContext,
    create_adhoc_order,
    record_scan,
    webhook_payload,
)
from connectors.sandbox.shiprocket.statuses import IST, SHIPMENT_STATUSES, sr_time, webhook_time
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError, json_body, wants_wait

FORBIDDEN_WORDS = ("shiprocket", "kartrocket")
FORBIDDEN_PARTS = ("sr", "kr")
URL_RULE = "Webhook URL should not contain keywords like shiprocket, kartrocket, sr or kr."


def webhook_url_refused(url: str) -> bool:
    """Shiprocket refuses a webhook URL naming it: the words anywhere, `sr`/`kr` as a host label or path segment
    (how the short words are matched is an assumption)."""
    lowered = url.lower()
    parts = urlsplit(lowered)
    pieces = (parts.hostname or "").split(".") + re.split(r"[/_.-]", parts.path)
    return any(word in lowered for word in FORBIDDEN_WORDS) or any(p in FORBIDDEN_PARTS for p in pieces)


def _bad(message: str) -> VendorError:
    return VendorError(400, {"message": message, "status_code": 400})


def _demo_order(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": str(body.get("order_id") or "SANDBOX-1"), "order_date": "2026-11-28 10:00",
        "pickup_location": body.get("pickup_location", "Primary"), "billing_customer_name": "Asha",
        "billing_last_name": "Verma", "billing_address": "12, MG Road", "billing_city": "Gurugram",
        "billing_pincode": "122002", "billing_state": "Haryana", "billing_country": "India",
        "billing_email": "asha@example.com", "billing_phone": "9876543210", "shipping_is_billing": True,
        "order_items": [{"name": "Tee - Red, M", "sku": "ESB-TEE-RED-M", "units": 1, "selling_price": 499}],
        "payment_method": "Prepaid", "sub_total": 499, "length": 20, "breadth": 15, "height": 3, "weight": 0.4,
    }  # fmt: skip


def control_router(ctx: ShiprocketContext, authenticator: ShiprocketAuthenticator, sender: WebhookSender) -> APIRouter:
    router, state = APIRouter(), ctx.state

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        with state.lock:
            data = state.shiprocket
            return copy.deepcopy({
                "orders": list(data.orders.values()),
                "shipments": list(data.shipments.values()),
                "webhook": {"url": data.webhook.get("url"), "token_set": bool(data.webhook.get("token"))},
                "login_calls": data.login_calls,
                "tokens": len(data.tokens),
                "refused_duplicates": data.refused_duplicates,
                "deliveries": state.deliveries_of("shiprocket"),
                **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("shiprocket")
        return {"reset": "shiprocket"}

    @router.post("/tokens/expire")
    def expire_tokens() -> dict[str, Any]:
        return {"expired": authenticator.expire_tokens()}

    @router.post("/webhook")
    async def configure_webhook(request: Request) -> dict[str, Any]:
        """Body: {"url", "token"?}: where status pushes go, and the security token sent as x-api-key (none: the
        pushes are unsigned)."""
        body = await json_body(request, _bad)
        url = str(body.get("url", "")) if isinstance(body, dict) else ""
        if not url.startswith(("http://", "https://")):
            raise _bad("url (http or https) is required")
        if ctx.config.webhook_url_rule and webhook_url_refused(url):
            raise _bad(URL_RULE)
        with state.lock:
            state.shiprocket.webhook = {"url": url, "token": body.get("token") or None}
        return {"url": url, "token_set": bool(body.get("token"))}

    @router.post("/shipments", status_code=201)
    async def seed_shipment(request: Request) -> dict[str, Any]:
        """Body: {"order_id"?, "awb"?}: an adhoc order whose shipment has the AWB (a courier's, e.g. the one an
        Eshopbox shipment carries) and is queued for pickup."""
        body = await json_body(request, _bad, optional=True)
        body = body if isinstance(body, dict) else {}
        with state.lock:
            created = create_adhoc_order(ctx, _demo_order(body))
            shipment = state.shiprocket.shipments[created["shipment_id"]]
            shipment.update(awb=str(body.get("awb") or f"1904{shipment['id']:010d}"[-14:]),
                            courier_company_id=ctx.config.courier_id, courier=ctx.config.courier_name,
                            awb_assigned_date=sr_time(), pickup_scheduled_date=sr_time())  # fmt: skip
            record_scan(ctx, shipment, 4, activity="Pickup queued", location=shipment["origin"], status="")
            return copy.deepcopy(shipment)

    @router.post("/scan")
    async def scan(request: Request) -> dict[str, Any]:
        """Body: {"awb", "shipment_status_id": 18, "location"?, "activity"?, "status"? (courier code), "at"?
        (ISO-8601, IST when naive)}: record the scan and push it. `?wait=true` delivers inline."""
        body = await json_body(request, _bad)
        if not isinstance(body, dict) or not body.get("awb") or body.get("shipment_status_id") is None:
            raise _bad("awb and shipment_status_id are required")
        try:
            status_id = int(body["shipment_status_id"])
            moment = parse_time(body["at"], IST) if body.get("at") else None
        except ValueError:
            raise _bad("shipment_status_id must be an integer and at an ISO-8601 time") from None
        if status_id not in SHIPMENT_STATUSES:
            raise _bad(f"unknown shipment_status_id {status_id}")
        with state.lock:
            shipment = ctx.by_awb(str(body["awb"]))
            if shipment is None:
                raise VendorError(404, {"message": f"No shipment with AWB {body['awb']}", "status_code": 404})
            record_scan(ctx, shipment, status_id, activity=str(body.get("activity", "")),
                        location=str(body.get("location", "Gurgaon_Bilaspur_HB (Haryana)")),
                        status=body.get("status"), at=sr_time(moment) if moment else None)  # fmt: skip
            payload = webhook_payload(ctx, shipment, webhook_time(moment))
            hook = dict(state.shiprocket.webhook)
        delivery = None
        if hook.get("url"):
            headers = {"x-api-key": hook["token"]} if hook.get("token") else {}
            delivery = sender.send(
                "shiprocket", "status", hook["url"], json.dumps(payload, separators=(",", ":")).encode(), headers,
                retries=ctx.config.webhook_retries, backoff=ctx.config.webhook_backoff,
            )  # fmt: skip
            if wants_wait(request):
                await settle([delivery])
        return {"push": payload, "delivery": delivery.id if delivery else None}

    return router
