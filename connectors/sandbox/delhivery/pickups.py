"""Delhivery pickup requests (`POST /fm/request/new/`, JSON `{pickup_location, pickup_date, pickup_time,
expected_package_count}`): the warehouse must be registered, and one request per warehouse and day is kept.

Following Delhivery's documentation and clients: the path, the body, and the answer's fields (`pickup_id`,
`pickup_location_name`, `incoming_center_name`, `client_name`, dates echoed). Assumptions: a 200 for a new request;
a second one for the same warehouse and day refused with 400, `pr_exist: true` and the first one's `pickup_id`;
other refusals as 400 `{"success": false, "error": {"message"}}` with these messages; dates as YYYY-MM-DD (YYYYMMDD
accepted) and not before today in IST."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request

from connectors.sandbox.delhivery.context import DelhiveryContext
from connectors.sandbox.delhivery.manifests import NO_WAREHOUSE
from connectors.sandbox.delhivery.throttles import PICKUP, throttle
from connectors.sandbox.delhivery.waybills import IST
from connectors.sandbox.timestamps import now
from connectors.sandbox.vendor_api import VendorError, json_body

PICKUP_IDS = 30_000_000
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]")
INCOMING_CENTER = "Gurgaon_Bilaspur_HB (Haryana)"


def refused(message: str, **extra: Any) -> VendorError:
    return VendorError(400, {"success": False, **extra, "error": {"message": message}})


def pickup_router(ctx: DelhiveryContext) -> APIRouter:
    router = APIRouter()

    @router.post("/fm/request/new/")
    async def request_pickup(request: Request) -> dict[str, Any]:
        throttle(ctx, request, PICKUP)
        body = await json_body(request, refused)
        body = body if isinstance(body, dict) else {}
        location = str(body.get("pickup_location") or "")
        if location not in ctx.config.pickup_locations:
            raise refused(NO_WAREHOUSE)
        day = _date(str(body.get("pickup_date") or ""))
        if day is None:
            raise refused("pickup_date must be a date (YYYY-MM-DD)")
        if day < now().astimezone(IST).date():
            raise refused("pickup_date cannot be in the past")
        if not TIME.fullmatch(str(body.get("pickup_time") or "")):
            raise refused("pickup_time must be a time (hh:mm:ss)")
        count = body.get("expected_package_count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise refused("expected_package_count must be a positive number")
        with ctx.state.lock:
            pickups = ctx.state.delhivery.pickups
            same = next((p for p in pickups.values() if (p["pickup_location_name"], p["pickup_date"]) == (
                location, day.isoformat())), None)  # fmt: skip
            if same is not None:
                message = "A pickup request already exists for this pickup location and date"
                raise refused(message, status=False, pr_exist=True, pickup_id=same["pickup_id"])
            pickup_id = ctx.state.next_id(PICKUP_IDS)
            pickups[pickup_id] = {
                "pickup_location_name": location,
                "client_name": ctx.config.client_name,
                "pickup_time": body["pickup_time"],
                "pickup_id": pickup_id,
                "incoming_center_name": INCOMING_CENTER,
                "expected_package_count": count,
                "pickup_date": day.isoformat(),
            }
            return copy.deepcopy(pickups[pickup_id])

    return router


def _date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None
