"""What every Flipkart route needs: the context (config, state, webhook sender), Flipkart's error bodies, the
shipment states of the v3 API, and notifications signed as Flipkart signs them (`X_Authorization: FKLOGIN
base64(<app id>:sha1hex(<X_Date><url><method><app secret>))`, `X_Date`). Kept apart from the routers so that they and
the app that mounts them (`simulator`) import it, never each other."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

from connectors.sandbox.config import FlipkartConfig
from connectors.sandbox.emission import Delivery, WebhookSender
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now, parse_offset
from connectors.sandbox.vendor_api import VendorError

IST = parse_offset("+05:30")
PRE_DISPATCH = ("APPROVED", "PACKING_IN_PROGRESS", "PACKED", "FORM_FAILED", "READY_TO_DISPATCH")
POST_DISPATCH = ("SHIPPED", "DELIVERED", "PICKUP_COMPLETE")
STATES_BY_TYPE = {"preDispatch": PRE_DISPATCH, "postDispatch": POST_DISPATCH, "cancelled": ("CANCELLED",)}
EVENT_BY_STATE = {  # the notification each state change sends (Flipkart's order management notifications)
    "APPROVED": "shipment_created",
    "PACKED": "shipment_packed",
    "READY_TO_DISPATCH": "shipment_ready_to_dispatch",
    "PICKUP_COMPLETE": "shipment_pickup_complete",
    "SHIPPED": "shipment_shipped",
    "DELIVERED": "shipment_delivered",
    "CANCELLED": "shipment_cancelled",
}


def api_error(status: int, description: str, path: str | None = None) -> VendorError:
    """Seller API errors: a list of Flipkart's `Error` objects (severity, code, description, path)."""
    error: dict[str, Any] = {"severity": "ERROR", "code": status, "description": description}
    if path:
        error["path"] = path
    return VendorError(status, {"errors": [error]})


def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> VendorError:
    """The OAuth service's (and the bearer check's) `{"error", "error_description"}`."""
    return VendorError(status, {"error": error, "error_description": description}, headers)


def fklogin(config: FlipkartConfig, url: str, x_date: str, epoch: int) -> str:
    """The `X_Authorization` value for a POST of a notification to `url`."""
    signed_date = str(epoch) if config.webhook_signs_epoch else x_date
    signature = hashlib.sha1(f"{signed_date}{url}POST{config.app_secret}".encode()).hexdigest()
    return "FKLOGIN " + base64.b64encode(f"{config.app_id}:{signature}".encode()).decode()


@dataclass
class FlipkartContext:
    config: FlipkartConfig
    state: SandboxState
    sender: WebhookSender

    def timestamp(self) -> str:
        """Flipkart's times: ISO-8601 with the IST offset (`2026-11-28T15:30:00+05:30`)."""
        return now().astimezone(IST).isoformat(timespec="seconds")

    def set_state(self, record: dict[str, Any], status: str) -> list[Delivery]:
        """Move a shipment and its order items to `status` (call with the lock held) and notify."""
        shipment = record["shipment"]
        for item in shipment["orderItems"]:
            item["status"] = status
        shipment["updatedAt"] = self.timestamp()
        event = EVENT_BY_STATE.get(status)
        return self.notify(event, shipment) if event else []

    def notify(self, event: str, shipment: dict[str, Any], wait: bool = False) -> list[Delivery]:
        """POST the notification envelope of `event` to the onboarded URL, signed with FKLOGIN."""
        url = self.state.flipkart.webhook_url or self.config.webhook_url
        if not url:
            return []
        attributes = {
            "orderItems": [
                {key: item[key] for key in ("orderItemId", "orderId", "quantity", "status", "sku", "fsn", "listingId")}
                for item in shipment["orderItems"]
            ],
            "dispatchByDate": shipment["dispatchByDate"],
            "dispatchAfterDate": shipment["dispatchAfterDate"],
            "hold": shipment["hold"],
        }
        envelope = {
            "eventType": event,
            "source": "flipkart",
            "version": "v3",
            "timestamp": shipment["updatedAt"],
            "shipmentId": shipment["shipmentId"],
            "locationId": shipment["locationId"],
            "attributes": copy.deepcopy(attributes),
        }
        moment = now()
        x_date = format_datetime(moment, usegmt=True)
        headers = {"X_Date": x_date, "X_Authorization": fklogin(self.config, url, x_date, int(moment.timestamp()))}
        body = json.dumps(envelope, separators=(",", ":")).encode()
        delivery = self.sender.send(
            "flipkart",
            event,
            url,
            body,
            headers,
            retries=self.config.webhook_retries,
            backoff=self.config.webhook_backoff,
            wait=wait,
        )
        return [delivery]


def status_of(shipment: dict[str, Any]) -> str:
    """A shipment's state: that of its order items (they move together)."""
    return str(shipment["orderItems"][0]["status"])
