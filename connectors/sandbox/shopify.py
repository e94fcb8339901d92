"""Shopify Admin REST API 2024-10 simulator: `X-Shopify-Access-Token` auth, the per-shop leaky bucket with
`X-Shopify-Shop-Api-Call-Limit`, and signed webhooks. Routes live in `shopify_api` and `shopify_control`."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.sandbox.common import VendorError, install_error_handlers, now, parse_offset
from connectors.sandbox.config import ShopifyConfig
from connectors.sandbox.state import LeakyBucket, SandboxState
from connectors.sandbox.webhooks import Delivery, WebhookSender, shopify_hmac

ADMIN_PREFIX = "/admin/api/"
UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
THROTTLED = {
    "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
}


def errors(status: int, detail: Any) -> VendorError:
    """Shopify's error body is always `{"errors": ...}` (a string, a list or a field -> messages map)."""
    return VendorError(status, {"errors": detail})


@dataclass
class ShopifyContext:
    config: ShopifyConfig
    state: SandboxState
    sender: WebhookSender

    @property
    def tz(self) -> dt.timezone:
        return parse_offset(self.config.timezone_offset)

    def ts(self, moment: dt.datetime | None = None) -> str:
        """Shopify timestamps: shop time with offset, whole seconds (`2024-10-03T10:00:00+05:30`)."""
        return (moment or now()).astimezone(self.tz).isoformat(timespec="seconds")

    def new_id(self) -> int:
        return self.state.next_id(base=5_000_000_000_000)

    def emit(self, topic: str, payload: dict[str, Any], wait: bool = False) -> list[Delivery]:
        """POST `payload` to every subscription of `topic`, signed, with Shopify's headers."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        event_id, triggered = str(uuid.uuid4()), dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        with self.state.lock:
            addresses = [hook["address"] for hook in self.state.shopify.webhooks.values() if hook["topic"] == topic]
        deliveries = []
        for address in addresses:
            headers = {
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": shopify_hmac(self.config.webhook_secret, body),
                "X-Shopify-Shop-Domain": self.config.shop_domain,
                "X-Shopify-API-Version": "2024-10",
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered.replace("+00:00", "Z"),
            }
            deliveries.append(
                self.sender.send(
                    "shopify",
                    topic,
                    address,
                    body,
                    headers,
                    retries=self.config.webhook_retries,
                    backoff=self.config.webhook_backoff,
                    delivery_id=headers["X-Shopify-Webhook-Id"],
                    wait=wait,
                )
            )
        return deliveries


def build_shopify(config: ShopifyConfig, state: SandboxState, sender: WebhookSender) -> FastAPI:
    from connectors.sandbox.shopify_api import admin_router
    from connectors.sandbox.shopify_control import control_router
    from connectors.sandbox.shopify_orders import seed_demo_data

    ctx = ShopifyContext(config, state, sender)
    app = FastAPI(title="Shopify sandbox", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json")
    install_error_handlers(app, lambda status, detail: {"errors": detail})

    @app.middleware("http")
    async def admin_gate(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if ADMIN_PREFIX not in path:
            return await call_next(request)
        token = request.headers.get("X-Shopify-Access-Token")
        if token != config.access_token:
            return JSONResponse(UNAUTHORIZED, status_code=401)
        with state.lock:
            bucket = state.shopify.buckets.get(config.shop_domain)
            if bucket is None:
                bucket = state.shopify.buckets[config.shop_domain] = LeakyBucket(config.bucket_size, config.leak_rate)
            allowed = bucket.take()
            used = bucket.used
        limit_header = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{config.bucket_size}"}
        if not allowed:
            return JSONResponse(THROTTLED, status_code=429, headers={**limit_header, "Retry-After": "2.0"})
        response = await call_next(request)
        response.headers.update(limit_header)
        response.headers["X-Request-Id"] = str(uuid.uuid4())
        version = path.split(ADMIN_PREFIX, 1)[1].split("/", 1)[0]
        response.headers["X-Shopify-API-Version"] = version
        return response

    app.include_router(admin_router(ctx), prefix="/admin/api/{version}")
    app.include_router(control_router(ctx), prefix="/_sandbox")
    if config.seed_demo_data:
        state.on_reset("shopify", seed_demo_data)
    return app
