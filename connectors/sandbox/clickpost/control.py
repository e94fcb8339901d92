"""ClickPost sandbox control API (`/clickpost/_sandbox/...`): inspect and reset state, set the account's webhook
(the dashboard's Settings > Notifications: one URL, its `webhook_key`, "All status" or "Selected status" with the
chosen events), register an AWB for tracking, and record a courier scan that is pushed as the status webhook."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.clickpost.statuses import NOTIFICATION_EVENTS, STATUSES
from connectors.sandbox.clickpost.tracking import (
    ClickPostContext,
    notification_event,
    record_scan,
    start_tracking,
    track_view,
    webhook_payload,
)
from connectors.sandbox.emission import WebhookSender, settle
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError, json_body, wants_wait


def _bad(message: str) -> VendorError:
    return VendorError(400, {"message": message})


def _webhook_settings(body: Any) -> dict[str, Any]:
    url = str(body.get("url", "")) if isinstance(body, dict) else ""
    if not url.startswith(("http://", "https://")):
        raise _bad("url (http or https) is required")
    mode = body.get("mode", "all")
    events = body.get("events", [])
    if mode not in ("all", "selected") or not isinstance(events, list):
        raise _bad("mode is all or selected; events is a list of notification_event_id")
    unknown = sorted(set(events) - set(NOTIFICATION_EVENTS.values()))
    if unknown:
        raise _bad(f"unknown notification_event_id {unknown}")
    return {"url": url, "key": body.get("key") or None, "mode": mode, "events": events}


def _shown(webhook: dict[str, Any]) -> dict[str, Any]:
    """The webhook settings without the key itself."""
    return {**{k: v for k, v in webhook.items() if k != "key"}, "key_set": bool(webhook.get("key"))}


def control_router(ctx: ClickPostContext, sender: WebhookSender) -> APIRouter:
    router, state = APIRouter(), ctx.state

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        with state.lock:
            data = state.clickpost
            return copy.deepcopy({
                "orders": [order["result"] for order in data.orders.values()],
                "awbs": [{**{k: v for k, v in r.items() if k != "scans"}, **track_view(r)} for r in data.awbs.values()],
                "webhook": _shown(data.webhook),
                "replays": data.replays,
                "deliveries": state.deliveries_of("clickpost"),
                **data.throttle.stats(),
            })  # fmt: skip

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("clickpost")
        return {"reset": "clickpost"}

    @router.post("/webhook")
    async def configure_webhook(request: Request) -> dict[str, Any]:
        """Body: {"url", "key"?, "mode"?: all|selected, "events"?: [notification_event_id]}."""
        settings = _webhook_settings(await json_body(request, _bad))
        with state.lock:
            state.clickpost.webhook = settings
        return _shown(settings)

    @router.post("/awbs", status_code=201)
    async def seed_awb(request: Request) -> dict[str, Any]:
        """Body: {"waybill", "cp_id"?, "reference_number"?}: an AWB registered for tracking (as awb-register does;
        the cp_id defaults to the account's first courier partner)."""
        body = await json_body(request, _bad)
        if not isinstance(body, dict) or not body.get("waybill"):
            raise _bad("waybill is required")
        with state.lock:
            cp_id, _ = ctx.courier(body.get("cp_id", next(iter(ctx.config.couriers))))
            record = ctx.tracked(str(body["waybill"]), cp_id) or start_tracking(
                ctx, str(body["waybill"]), cp_id, 28, reference_number=body.get("reference_number"))  # fmt: skip
            return copy.deepcopy({k: v for k, v in record.items() if k != "scans"})

    @router.post("/scan")
    async def scan(request: Request) -> dict[str, Any]:
        """Body: {"waybill", "code": 8, "cp_id"?, "status"? (the courier's text), "remark"?, "location"?, "at"?
        (ISO-8601, UTC when naive)}: record the scan and push it. `?wait=true` delivers inline."""
        body = await json_body(request, _bad)
        if not isinstance(body, dict) or not body.get("waybill") or body.get("code") not in STATUSES:
            raise _bad(f"waybill and code (one of {sorted(STATUSES)}) are required")
        try:
            at = parse_time(body["at"]) if body.get("at") else None
        except ValueError:
            raise _bad("at is not an ISO-8601 time") from None
        with state.lock:
            cp_id = int(body["cp_id"]) if body.get("cp_id") is not None else None
            record = ctx.tracked(str(body["waybill"]), cp_id)
            if record is None:
                raise VendorError(404, {"message": f"AWB {body['waybill']} is not registered for tracking"})
            code = int(body["code"])
            location = str(body.get("location", "Gurgaon_Bilaspur_HB (Haryana)"))
            scanned = record_scan(ctx, record, code, status=body.get("status"), remark=str(body.get("remark", "")),
                                  location=location, at=at)  # fmt: skip
            hook = dict(state.clickpost.webhook)
            sent, event_id = notification_event(hook, code)
            payload = webhook_payload(record, scanned, event_id if hook.get("mode") == "selected" else None)
        delivery = None
        if hook.get("url") and sent:
            headers = {"webhook_key": hook["key"]} if hook.get("key") else {}
            delivery = sender.send(
                "clickpost", "status", hook["url"], json.dumps(payload, separators=(",", ":")).encode(), headers,
                retries=ctx.config.webhook_retries, backoff=ctx.config.webhook_backoff,
            )  # fmt: skip
            if wants_wait(request):
                await settle([delivery])
        return {"push": payload, "sent": sent, "delivery": delivery.id if delivery else None}

    return router
