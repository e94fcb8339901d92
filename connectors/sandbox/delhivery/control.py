"""Delhivery sandbox control API (`/delhivery/_sandbox/...`): inspect and reset state, set where scans are pushed,
seed waybills, and record a scan that is pushed as Delhivery's Scan Push webhook. The state shows the 429s served
(`rate_limited`, `rate_limited_by` client IP)."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.delhivery.context import DelhiveryContext
from connectors.sandbox.delhivery.waybills import IST, NSL_CODES, STATUS_TYPES, delhivery_time, manifest
from connectors.sandbox.emission import settle
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError, json_body, wants_wait


def control_router(ctx: DelhiveryContext) -> APIRouter:
    router, state = APIRouter(), ctx.state

    def bad(message: str) -> VendorError:
        return VendorError(400, {"detail": message})

    @router.get("/state")
    def snapshot() -> dict[str, Any]:
        with state.lock:
            data = state.delhivery
            return copy.deepcopy(
                {
                    "shipments": list(data.shipments.values()),
                    "orders": data.orders,
                    "pickups": list(data.pickups.values()),
                    "scans": data.scans,
                    "webhook": data.webhook,
                    "deliveries": state.deliveries_of("delhivery"),
                    **data.throttle.stats(),
                }
            )

    @router.post("/reset")
    def reset() -> dict[str, Any]:
        state.reset("delhivery")
        return {"reset": "delhivery"}

    @router.post("/webhook")
    async def configure_webhook(request: Request) -> dict[str, Any]:
        """Body: {"url", "header"?, "token"?}: where scans are pushed and the static header sent with them."""
        body = await json_body(request, bad)
        if not isinstance(body, dict) or not str(body.get("url", "")).startswith(("http://", "https://")):
            raise bad("url (http or https) is required")
        with state.lock:
            state.delhivery.webhook.update({k: body[k] for k in ("url", "header", "token") if body.get(k)})
            return dict(state.delhivery.webhook)

    @router.post("/shipments", status_code=201)
    async def seed_shipment(request: Request) -> dict[str, Any]:
        """Body: {"waybill", "reference_no"?}: a Manifested waybill (as created through the create API)."""
        body = await json_body(request, bad)
        if not isinstance(body, dict) or not body.get("waybill"):
            raise bad("waybill is required")
        with state.lock:
            return copy.deepcopy(manifest(state, str(body["waybill"]), str(body.get("reference_no", ""))))

    @router.post("/scan")
    async def scan(request: Request) -> dict[str, Any]:
        """Body: {"waybill", "status": "Delivered", "status_type"?, "location"?, "instructions"?, "nsl_code"?,
        "status_datetime"?, "reference_no"?}: record the scan and push it. `?wait=true` delivers inline. A return
        is scanned with `status_type: RT` and closes as `RTO` (type DL); an NDR is a UD scan with an NDR NSL code."""
        body = await json_body(request, bad)
        if not isinstance(body, dict) or not body.get("waybill") or not body.get("status"):
            raise bad("waybill and status are required")
        status = str(body["status"])
        try:
            at = delhivery_time(parse_time(body["status_datetime"], IST)) if body.get("status_datetime") else None
        except ValueError:
            raise bad("status_datetime is not an ISO-8601 time") from None
        with state.lock:
            awb = str(body["waybill"])
            shipment = state.delhivery.shipments.get(awb) or manifest(state, awb, str(body.get("reference_no", "")))
            status_block = {
                "Status": status,
                "StatusDateTime": at or delhivery_time(),
                "StatusType": body.get("status_type") or STATUS_TYPES.get(status, "UD"),
                "StatusLocation": body.get("location", "Delhi_Okhla_DC (Delhi)"),
                "Instructions": body.get("instructions", status),
            }
            returning = status_block["StatusType"] == "RT" or status == "RTO"  # no default code on the way back
            nsl = body.get("nsl_code") or ("" if returning else NSL_CODES.get(status, ""))
            shipment.update(Status=status_block, NSLCode=nsl)
            if status == "In Transit" and not shipment["PickUpDate"]:
                shipment["PickUpDate"] = status_block["StatusDateTime"]
            scan_detail = {
                "Scan": status,
                "ScanType": status_block["StatusType"],
                "ScanDateTime": at or delhivery_time(),
                "StatusDateTime": status_block["StatusDateTime"],
                "StatusCode": nsl,
                "ScannedLocation": status_block["StatusLocation"],
                "Instructions": status_block["Instructions"],
            }
            shipment["Scans"].append({"ScanDetail": scan_detail})
            payload = {
                "Shipment": {
                    "Status": status_block,
                    "PickUpDate": shipment["PickUpDate"],
                    "NSLCode": nsl,
                    "Sortcode": shipment["Sortcode"],
                    "ReferenceNo": shipment["ReferenceNo"],
                    "AWB": awb,
                }
            }
            state.delhivery.scans.append(copy.deepcopy(payload))
            hook = dict(state.delhivery.webhook)
        delivery = None
        if hook.get("url"):
            headers = {hook["header"]: hook["token"]} if hook.get("header") and hook.get("token") else {}
            delivery = ctx.sender.send(
                "delhivery",
                "scan",
                hook["url"],
                json.dumps(payload, separators=(",", ":")).encode(),
                headers,
                retries=ctx.config.webhook_retries,
            )
            if wants_wait(request):
                await settle([delivery])
        return {"push": payload, "delivery": delivery.id if delivery else None}

    return router
