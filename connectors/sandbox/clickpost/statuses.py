"""ClickPost's status codes (`clickpost_status_code`), their descriptions, the notification events of "Selected
status" webhooks, and the time formats ClickPost answers in.

Codes, names and event ids follow docs.clickpost.ai (tracking-status-codes, notification-event). The descriptions
are CamelCase as ClickPost's samples show them (`OutForDelivery`, `Delivered`, `InTransit`, `PickedUp`,
`FailedDelivery`); the others are written the same way (assumption).
"""

from __future__ import annotations

import datetime as dt

from connectors.sandbox.timestamps import UTC, now

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))

STATUSES: dict[int, tuple[str, str]] = {
    1: ("ORDER_PLACED", "OrderPlaced"), 2: ("PICKUP_PENDING", "PickupPending"), 3: ("PICKUP_FAILED", "PickupFailed"),
    4: ("PICKED_UP", "PickedUp"), 5: ("INTRANSIT", "InTransit"), 6: ("OUT_FOR_DELIVERY", "OutForDelivery"),
    7: ("NOT_SERVICEABLE", "NotServiceable"), 8: ("DELIVERED", "Delivered"), 9: ("FAILED_DELIVERY", "FailedDelivery"),
    10: ("CANCELLED_ORDER", "CancelledOrder"), 11: ("RTO_REQUESTED", "RTORequested"), 12: ("RTO", "RTO"),
    13: ("RTO_OUT_FOR_DELIVERY", "RTOOutForDelivery"), 14: ("RTO_DELIVERED", "RTODelivered"),
    15: ("RTO_FAILED_DELIVERY", "RTOFailedDelivery"), 16: ("LOST", "Lost"), 17: ("DAMAGED", "Damaged"),
    18: ("SHIPMENT_DELAYED", "ShipmentDelayed"), 19: ("CONTACT_CUSTOMER_CARE", "ContactCustomerCare"),
    20: ("SHIPMENT_HELD", "ShipmentHeld"), 21: ("RTO_INTRANSIT", "RTOInTransit"), 23: ("EXPIRED", "Expired"),
    25: ("OUT_FOR_PICKUP", "OutForPickup"), 26: ("RTO_CONTACT_CUSTOMER_CARE", "RTOContactCustomerCare"),
    27: ("RTO_SHIPMENT_DELAY", "RTOShipmentDelay"), 28: ("AWB_REGISTERED", "AWBRegistered"),
    30: ("EXCHANGE_PICKUP", "ExchangePickup"), 31: ("EXCHANGE_INTRANSIT", "ExchangeIntransit"),
    32: ("EXCHANGE_DELIVERED", "ExchangeDelivered"), 1004: ("DESTINATION_HUB_IN", "DestinationHubIn"),
}  # fmt: skip

# "Selected status" webhooks: the event a status belongs to, sent as `additional.notification_event_id`.
NOTIFICATION_EVENTS: dict[int, int] = {
    25: 1, 4: 2, 5: 2, 18: 2, 19: 2, 20: 2, 6: 3, 7: 4, 9: 4, 8: 5, 13: 6, 15: 6, 21: 6, 26: 6, 27: 6, 10: 10,
    14: 12, 1004: 13, 16: 19, 17: 20, 23: 80,
}  # fmt: skip


def webhook_time(moment: dt.datetime | None = None) -> str:
    """`2017-08-02T13:23:02Z`: ISO-8601 in UTC, as ClickPost's webhook samples show it."""
    return (moment or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def track_time(moment: dt.datetime | None = None) -> str:
    """`2018-03-16 18:56:00`: IST wall time, as the track-order API answers scans."""
    return (moment or now()).astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")
