"""What every Amazon route needs: the context (config, state), SP-API's and LWA's error bodies, the usage plans of
the operations the sandbox serves, and the token bucket per (operation, LWA client) that answers 429
`QuotaExceeded`. Kept apart from the routers so that they and the app that mounts them (`simulator`) import it,
never each other."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.config import AmazonConfig
from connectors.sandbox.state import SandboxState
from connectors.sandbox.throttling import LeakyBucket
from connectors.sandbox.timestamps import now
from connectors.sandbox.vendor_api import VendorError

RATE_HEADER = "x-amzn-RateLimit-Limit"


@dataclass(frozen=True)
class Operation:
    """One SP-API operation and the config fields of its usage plan (requests per second, burst)."""

    name: str
    method: str
    path: re.Pattern[str]
    rate_field: str
    burst_field: str


OPERATIONS = (
    Operation("getOrders", "GET", re.compile(r"/orders/v0/orders/?"), "get_orders_rate", "get_orders_burst"),
    Operation("getOrder", "GET", re.compile(r"/orders/v0/orders/[^/]+/?"), "get_order_rate", "get_order_burst"),
    Operation("getOrderItems", "GET", re.compile(r"/orders/v0/orders/[^/]+/orderItems/?"), "get_order_rate",
              "get_order_burst"),
    Operation("confirmShipment", "POST", re.compile(r"/orders/v0/orders/[^/]+/shipmentConfirmation/?"),
              "confirm_shipment_rate", "confirm_shipment_burst"),
    Operation("patchListingsItem", "PATCH", re.compile(r"/listings/2021-08-01/items/[^/]+/[^/]+/?"), "listings_rate",
              "listings_burst"),
)  # fmt: skip


def operation_for(method: str, path: str) -> Operation | None:
    return next((op for op in OPERATIONS if op.method == method and op.path.fullmatch(path)), None)


def sp_error(status: int, code: str, message: str, details: str | None = None, **headers: str) -> VendorError:
    """SP-API's `{"errors": [{"code", "message", "details"}]}` (ErrorList of the models)."""
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return VendorError(status, {"errors": [error]}, headers or None)


def lwa_error(status: int, error: str, description: str) -> VendorError:
    """Login with Amazon's `{"error", "error_description"}` (RFC 6749 5.2)."""
    return VendorError(status, {"error": error, "error_description": description})


def amazon_time(moment: Any = None) -> str:
    """SP-API's times: ISO-8601 in UTC with a Z (`2026-11-20T10:00:00Z`)."""
    return (moment or now()).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AmazonContext:
    config: AmazonConfig
    state: SandboxState

    def rate_of(self, operation: Operation) -> float:
        return float(getattr(self.config, operation.rate_field))

    def admit(self, operation: Operation, client_id: str) -> bool:
        """Spend one request of `client_id` on `operation` (a 429 the caller must serve when refused)."""
        if not self.config.throttling:
            return True
        rate, burst = self.rate_of(operation), int(getattr(self.config, operation.burst_field))
        with self.state.lock:
            allowed, _ = self.state.amazon.throttle.admit(operation.name, client_id, lambda: LeakyBucket(burst, rate))
        return allowed
