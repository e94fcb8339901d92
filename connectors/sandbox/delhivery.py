"""Delhivery Express simulator: `Authorization: Token <key>` tracking API and the Scan Push webhook (static
header chosen by the client, one immediate retry, then dropped). Control API under `/_sandbox/...`."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.common import (
    VendorError,
    install_error_handlers,
    json_body,
    now,
    parse_time,
    settle,
    wants_wait,
)
from connectors.sandbox.config import DelhiveryConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.webhooks import WebhookSender

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
STATUS_TYPES = {
    "Manifested": "UD",
    "Not Picked": "UD",
    "In Transit": "UD",
    "Pending": "UD",
    "Dispatched": "UD",
    "Delivered": "DL",
    "RTO": "DL",
    "DTO": "DL",
    "Cancelled": "CN",
    "Collected": "DL",
}
NSL_CODES = {"Manifested": "X-UCI", "In Transit": "X-PPOM", "Dispatched": "X-DDD3FD", "Delivered": "EOD-38"}


def delhivery_time(moment: dt.datetime | None = None) -> str:
    """`2019-01-09T17:10:42.767`: IST wall time, milliseconds, no offset (as Delhivery sends it)."""
    return (moment or now()).astimezone(IST).replace(tzinfo=None).isoformat(timespec="milliseconds")


def manifest(state: SandboxState, awb: str, reference_no: str, address: dict[str, Any] | None = None) -> dict[str, Any]:
    """Register a waybill as Manifested (called with the lock held, e.g. when Eshopbox packs a shipment)."""
    address = address or {}
    stamp = delhivery_time()
    status = {
        "Status": "Manifested",
        "StatusType": "UD",
        "StatusDateTime": stamp,
        "StatusLocation": "Gurgaon_Bilaspur_HB (Haryana)",
        "Instructions": "Manifest uploaded",
    }
    record = {
        "AWB": awb,
        "ReferenceNo": reference_no,
        "Status": status,
        "PickUpDate": None,
        "OrderType": "Pre-paid",
        "Origin": "Gurgaon_Bilaspur_HB (Haryana)",
        "Destination": address.get("city", "Delhi"),
        "Consignee": {
            "Name": address.get("customerName", ""),
            "City": address.get("city", ""),
            "State": address.get("state", ""),
            "PinCode": address.get("postalCode", ""),
        },
        "SenderName": "Eshopbox",
        "NSLCode": "X-UCI",
        "Sortcode": "DEL/ABC",
        "Scans": [
            {
                "ScanDetail": {
                    "Scan": "Manifested",
                    "ScanType": "UD",
                    "ScanDateTime": stamp,
                    "StatusDateTime": stamp,
                    "ScannedLocation": status["StatusLocation"],
                    "Instructions": "Manifest uploaded",
                    "StatusCode": "X-UCI",
                }
            }
        ],
    }
    state.delhivery.shipments[awb] = record
    return record


@dataclass
class DelhiveryContext:
    config: DelhiveryConfig
    state: SandboxState
    sender: WebhookSender


def build_delhivery(config: DelhiveryConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    ctx = DelhiveryContext(config, state, sender)
    app = FastAPI(title="Delhivery sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, lambda status, detail: {"detail": detail})
    state.on_reset("delhivery", lambda s: s.delhivery.webhook.update(_default_webhook(config)))

    @app.middleware("http")
    async def token_gate(request: Request, call_next: Any) -> Response:
        if "/_sandbox/" in request.url.path or "/api/" not in request.url.path:
            return await call_next(request)
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Token" or not key:
            return _unauthorized("Authentication credentials were not provided.")
        if key.strip() != config.api_token:
            return _unauthorized("Invalid token.")
        return await call_next(request)

    @app.get("/api/v1/packages/json/")
    def track(request: Request) -> dict[str, Any]:
        wanted = [w.strip() for w in request.query_params.get("waybill", "").split(",") if w.strip()]
        refs = [r.strip() for r in request.query_params.get("ref_ids", "").split(",") if r.strip()]
        with state.lock:
            found = [s for awb, s in state.delhivery.shipments.items() if awb in wanted or s["ReferenceNo"] in refs]
            found = copy.deepcopy(found)
        if not found:
            return {"Error": "No such waybill or Order Id found"}
        return {"ShipmentData": [{"Shipment": shipment} for shipment in found]}

    app.include_router(_control_router(ctx), prefix="/_sandbox")
    return app


def _default_webhook(config: DelhiveryConfig) -> dict[str, Any]:
    return {"url": config.webhook_url, "header": config.webhook_header, "token": config.webhook_token}


def _unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Token"})


def _control_router(ctx: DelhiveryContext) -> APIRouter:
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
                    "scans": data.scans,
                    "webhook": data.webhook,
                    "deliveries": state.deliveries_of("delhivery"),
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
        "status_datetime"?, "reference_no"?}: record the scan and push it. `?wait=true` delivers inline."""
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
            nsl = body.get("nsl_code") or NSL_CODES.get(status, "")
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
