"""Delhivery's per-IP throttles: each API has its own allowance per client IP (tracking 750 calls per 5 minutes,
shipping charges 40 a minute; shipment creation and pickup requests have none documented, off unless configured).
A refusal is counted under the state lock and answered once, in the shape of Delhivery's other (DRF) errors."""

from __future__ import annotations

from fastapi import Request

from connectors.sandbox.delhivery.context import DelhiveryContext
from connectors.sandbox.throttling import SlidingWindow, retry_after_seconds
from connectors.sandbox.vendor_api import VendorError

TRACKING, INVOICE, CREATE, PICKUP = "tracking", "invoice", "create", "pickup"


def _allowance(ctx: DelhiveryContext, scope: str) -> tuple[int | None, float]:
    config = ctx.config
    return {
        TRACKING: (config.tracking_rate_limit, config.tracking_rate_window),
        INVOICE: (config.invoice_rate_limit, config.invoice_rate_window),
        CREATE: (config.create_rate_limit, config.create_rate_window),
        PICKUP: (config.pickup_rate_limit, config.pickup_rate_window),
    }[scope]


def throttle(ctx: DelhiveryContext, request: Request, scope: str) -> None:
    """Spend one call of the client's IP in `scope`, or raise Delhivery's 429 with `Retry-After`."""
    limit, window = _allowance(ctx, scope)
    if limit is None:
        return
    client = request.client.host if request.client else "unknown"
    with ctx.state.lock:
        allowed, calls = ctx.state.delhivery.throttle.admit(scope, client, lambda: SlidingWindow(limit, window))
        wait = retry_after_seconds(calls)
    if not allowed:
        detail = f"Request was throttled. Expected available in {wait} seconds."
        raise VendorError(429, {"detail": detail}, {"Retry-After": wait})
