"""Delhivery waybills as its tracking API shows them: statuses and their types, NSL codes, IST timestamps, and
`manifest`, which registers a waybill (Eshopbox's packing calls it, so it imports nothing from the other vendors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now

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
