"""ClickPost's tracking records: AWBs registered (or manifested through order creation), their scans, the
track-order view of them and the status webhook a scan produces. Every function expects the state lock to be held."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.clickpost.authentication import clickpost_error, envelope
from connectors.sandbox.clickpost.settings import ClickPostConfig
from connectors.sandbox.clickpost.statuses import NOTIFICATION_EVENTS, STATUSES, track_time, webhook_time
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import iso_z, now, parse_time

MAX_WAYBILLS = 5  # per track-order call, all of one courier partner
INVALID_CP_ID = (302, "Invalid Courier Partner Id with Field cp_id")
FIRST_STATUSES = (1, 28)  # ORDER_PLACED, AWB_REGISTERED: what ClickPost records before any courier scan


@dataclass
class ClickPostContext:
    config: ClickPostConfig
    state: SandboxState

    def new_id(self, base: int) -> int:
        self.state.clickpost.next_id += 1
        return base + self.state.clickpost.next_id

    def courier(self, cp_id: Any) -> tuple[int, str]:
        """The account's courier partner `cp_id` and its name; ClickPost's 302 otherwise."""
        try:
            number = int(cp_id)
        except (TypeError, ValueError):
            raise clickpost_error(400, *INVALID_CP_ID) from None
        if isinstance(cp_id, bool) or number not in self.config.couriers:
            raise clickpost_error(400, *INVALID_CP_ID)
        return number, self.config.couriers[number]

    def tracked(self, waybill: str, cp_id: int | None = None) -> dict[str, Any] | None:
        awbs = self.state.clickpost.awbs
        if cp_id is not None:
            return awbs.get((cp_id, waybill))
        return next((record for (_, awb), record in awbs.items() if awb == waybill), None)


def start_tracking(ctx: ClickPostContext, waybill: str, cp_id: int, code: int, **details: Any) -> dict[str, Any]:
    """A tracking record for the AWB, with its first status (1 for an order placed, 28 for an AWB registered)."""
    record = {
        "waybill": waybill,
        "cp_id": cp_id,
        "courier_name": ctx.config.couriers[cp_id],
        "tracking_id": ctx.new_id(1_188_000),
        "account_code": details.get("account_code"),
        "reference_number": details.get("reference_number"),
        "is_rvp": details.get("delivery_type") == "RVP",
        "consumer_details": details.get("consumer_details") or {},
        "shipment_info": details.get("shipment_info") or {},
        "scans": [],
    }
    ctx.state.clickpost.awbs[(cp_id, waybill)] = record
    record_scan(ctx, record, code, location="", remark=STATUSES[code][1])
    return record


def record_scan(
    ctx: ClickPostContext,
    record: dict[str, Any],
    code: int,
    *,
    status: str | None = None,
    remark: str = "",
    location: str = "",
    at: Any = None,
) -> dict[str, Any]:
    """Add a courier scan (ClickPost maps the courier's status to `code`); `at` defaults to now."""
    moment = parse_time(at) if at else now()
    scan = {
        "at": iso_z(moment),
        "status": status or STATUSES[code][0].replace("_", " "),
        "remark": remark or STATUSES[code][1],
        "location": location,
        "clickpost_status_code": code,
        "clickpost_status_description": STATUSES[code][1],
        "checkpoint_id": ctx.new_id(112_000_000),
        "created_at": track_time(),
    }
    record["scans"].append(scan)
    return scan


def _newness(scan: dict[str, Any]) -> tuple[bool, str]:
    """Courier scans come after ClickPost's own first status (order placed, AWB registered), whatever their time;
    among them, the scan's own time decides, not its arrival: couriers send scans late and out of order."""
    return scan["clickpost_status_code"] not in FIRST_STATUSES, scan["at"]


def latest(record: dict[str, Any]) -> dict[str, Any]:
    """The newest scan (the later-recorded one of two with the same time)."""
    return max(reversed(record["scans"]), key=_newness)


def _scan_view(scan: dict[str, Any], timestamp: str, *extra: str) -> dict[str, Any]:
    keys = ("status", "remark", "location", "clickpost_status_code", "clickpost_status_description", *extra)
    return {"timestamp": timestamp, **{key: scan[key] for key in keys}}


def _track_time(scan: dict[str, Any]) -> str:
    return track_time(parse_time(scan["at"]))


def track_view(record: dict[str, Any]) -> dict[str, Any]:
    """One AWB as track-order answers it: the latest status and every scan, newest first."""
    scans = sorted(record["scans"], key=_newness, reverse=True)
    newest = latest(record)
    return {
        "latest_status": {**_scan_view(newest, _track_time(newest)), "created_at": newest["created_at"],
                          "reference_number": record["reference_number"]},
        "scans": [{**_scan_view(s, _track_time(s), "checkpoint_id"), "tracking_id": record["tracking_id"]}
                  for s in scans],
        "valid": True,
    }  # fmt: skip


def track(ctx: ClickPostContext, waybill_param: str, cp_id_param: str) -> dict[str, Any]:
    """`GET /api/v2/track-order/`: the result keyed by AWB; an AWB not tracked for this courier is `valid: false`."""
    waybills = [w.strip() for w in waybill_param.split(",") if w.strip()]
    if not waybills or not cp_id_param.strip().isdigit():
        raise clickpost_error(400, 400, "waybill and cp_id are required")
    if len(waybills) > MAX_WAYBILLS:
        raise clickpost_error(400, 400, f"At most {MAX_WAYBILLS} waybills of one courier partner per request")
    cp_id = int(cp_id_param)
    result = {}
    for waybill in waybills:
        record = ctx.tracked(waybill, cp_id)
        result[waybill] = track_view(record) if record else {"valid": False}
    return envelope(200, "SUCCESS", result)


def register_awb(ctx: ClickPostContext, body: Any) -> dict[str, Any]:
    """`POST /api/v3/tracking/awb-register/`: start tracking an AWB. One registered before is answered 303 in an
    HTTP 200 with its tracking id, so registering again is harmless (assumption: ClickPost asks for retries)."""
    if not isinstance(body, dict) or not str(body.get("waybill") or "").strip() or body.get("cp_id") is None:
        raise clickpost_error(400, 328, "Invalid POST data: waybill and cp_id are required")
    cp_id, _ = ctx.courier(body["cp_id"])
    waybill = str(body["waybill"]).strip()
    record = ctx.tracked(waybill, cp_id)
    if record is not None:
        return envelope(303, "waybill already registered", {"tracking_id": record["tracking_id"]}, success=False)
    info = body.get("shipment_info") if isinstance(body.get("shipment_info"), dict) else {}
    record = start_tracking(
        ctx, waybill, cp_id, 28, account_code=body.get("account_code"), reference_number=info.get("reference_number"),
        delivery_type=info.get("delivery_type"), consumer_details=body.get("consumer_details"), shipment_info=info,
    )  # fmt: skip
    ids = {"consumer_details": {"id": record["tracking_id"]}, "shipment_info": {"id": record["tracking_id"]}}
    return envelope(200, "SUCCESS", {**ids, "tracking_id": record["tracking_id"]})


def webhook_payload(record: dict[str, Any], scan: dict[str, Any], event_id: int | None) -> dict[str, Any]:
    """The status webhook of one scan: the outer fields are that scan, `additional.latest_status` the newest one."""
    newest = latest(record)
    additional: dict[str, Any] = {
        "latest_status": {**_scan_view(newest, webhook_time(parse_time(newest["at"]))),
                          "reference_number": record["reference_number"]},
        "is_rvp": record["is_rvp"],
        "courier_partner_edd": None,
    }  # fmt: skip
    if event_id is not None:
        additional["notification_event_id"] = event_id
    outer = _scan_view(scan, webhook_time(parse_time(scan["at"])))
    payload = {"waybill": record["waybill"], "cp_id": record["cp_id"], **outer, "additional": additional}
    if record["account_code"]:
        payload["account_code"] = record["account_code"]
    return copy.deepcopy(payload)


def notification_event(webhook: dict[str, Any], code: int) -> tuple[bool, int | None]:
    """Whether a scan with `code` is sent, and its `notification_event_id`: "All status" webhooks send every scan
    without one; "Selected status" webhooks send the statuses of the chosen events, naming the event."""
    if webhook.get("mode") != "selected":
        return True, None
    event = NOTIFICATION_EVENTS.get(code)
    return event is not None and event in webhook.get("events", []), event
