"""Shiprocket's shipment-status ids (`shipment_status_id` of webhooks, `sr-status` of scans) and their labels, as
its API documentation lists them, and the time formats it answers in (IST)."""

from __future__ import annotations

import datetime as dt

from connectors.sandbox.timestamps import now

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))

SHIPMENT_STATUSES = {
    1: "AWB ASSIGNED", 2: "LABEL GENERATED", 3: "PICKUP SCHEDULED/GENERATED", 4: "PICKUP QUEUED",
    5: "MANIFEST GENERATED", 6: "SHIPPED", 7: "DELIVERED", 8: "CANCELLED", 9: "RTO INITIATED", 10: "RTO DELIVERED",
    11: "PENDING", 12: "LOST", 13: "PICKUP ERROR", 14: "RTO ACKNOWLEDGED", 15: "PICKUP RESCHEDULED",
    16: "CANCELLATION REQUESTED", 17: "OUT FOR DELIVERY", 18: "IN TRANSIT", 19: "OUT FOR PICKUP",
    20: "PICKUP EXCEPTION", 21: "UNDELIVERED", 22: "DELAYED", 23: "PARTIAL DELIVERED", 24: "DESTROYED",
    25: "DAMAGED", 26: "FULFILLED", 27: "PICKUP BOOKED", 38: "REACHED AT DESTINATION HUB", 39: "MISROUTED",
    40: "RTO NDR", 41: "RTO OFD", 42: "PICKED UP", 43: "SELF FULFILLED", 44: "DISPOSED OFF",
    45: "CANCELLED BEFORE DISPATCHED", 46: "RTO IN TRANSIT", 47: "QC FAILED", 48: "REACHED WAREHOUSE",
    51: "HANDOVER TO COURIER", 52: "SHIPMENT BOOKED", 75: "RTO LOCK", 76: "UNTRACEABLE",
    77: "ISSUE RELATED TO THE RECIPIENT", 78: "REACHED BACK AT SELLER CITY",
}  # fmt: skip

# The order-status id a webhook carries as `current_status_id` differs from the shipment's: the documented sample
# has IN TRANSIT as 20 (order) and 18 (shipment). Only that pair is known; others are assumed equal.
ORDER_STATUS_IDS = {18: 20}

# Courier scan codes for a few statuses (Delhivery's NSL codes, as Shiprocket passes them through).
COURIER_CODES = {42: "X-PPOM", 18: "X-DLL2F", 17: "X-DDD3FD", 7: "EOD-38", 21: "EOD-74"}


def sr_time(moment: dt.datetime | None = None) -> str:
    """`2023-05-19 11:59:16`: IST wall time, as scans, AWB and pickup dates are answered."""
    return (moment or now()).astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


def webhook_time(moment: dt.datetime | None = None) -> str:
    """`23 05 2023 11:43:52`: IST wall time, day first, as a webhook's `current_timestamp`."""
    return (moment or now()).astimezone(IST).strftime("%d %m %Y %H:%M:%S")
