"""What every Shopify route needs: the context (config, state, webhook sender), Shopify's error shape and time
format, lookups that answer Shopify's 404, and signed `X-Shopify-*` webhooks. Kept apart from the routers so that
they and the app that mounts them (`simulator`) import it, never each other."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.config import ShopifyConfig
from connectors.sandbox.emission import Delivery, WebhookSender
from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import now, parse_offset
from connectors.sandbox.vendor_api import VendorError

CALL_LIMIT_SCOPE = "admin"  # the Throttle scope of the Admin REST call-limit bucket, one bucket per shop


def errors(status: int, detail: Any) -> VendorError:
    """Shopify's error body is always `{"errors": ...}` (a string, a list or a field -> messages map)."""
    return VendorError(status, {"errors": detail})


def not_found() -> VendorError:
    return errors(404, "Not Found")


def webhook_hmac(secret: str, body: bytes) -> str:
    """`X-Shopify-Hmac-Sha256`: base64 of HMAC-SHA256 over the raw body, keyed with the app's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


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
                "X-Shopify-Hmac-Sha256": webhook_hmac(self.config.webhook_secret, body),
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


def order_or_404(ctx: ShopifyContext, order_id: str) -> dict[str, Any]:
    """The order with id `order_id` (call with the lock held), or Shopify's 404."""
    order = ctx.state.shopify.orders.get(int(order_id)) if order_id.isdigit() else None
    if order is None:
        raise not_found()
    return order
