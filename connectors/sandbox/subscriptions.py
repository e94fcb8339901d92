"""Point the sandboxes' webhooks at a receiver, the way a user would set them up at each vendor."""

from __future__ import annotations

from typing import Any

import requests
from requests_oauthlib import OAuth1

from connectors.sandbox.config import SandboxConfig


def webhook_url(receiver: str, app: str, trigger: str, connection: str) -> str:
    """The receiver route that fans a delivery out to every workflow on (app, trigger, connection)."""
    return f"{receiver.rstrip('/')}/webhooks/{app}/{trigger}/{connection}"


def subscribe_demo(sandbox: str, receiver: str, config: SandboxConfig | None = None) -> dict[str, Any]:
    """Shopify `orders/create` through its webhooks API; Eshopbox shipment updates through its webhook API
    (with the static `x-api-key`); Delhivery scan pushes through the sandbox's control API (Delhivery's
    onboarding team does this by hand); WooCommerce `order.created` through its webhooks API (it pings the receiver)."""
    config = config or SandboxConfig.from_env()
    http = requests.Session()
    http.trust_env = False
    shopify = http.post(
        f"{sandbox}/shopify/admin/api/2024-10/webhooks.json",
        headers={"X-Shopify-Access-Token": config.shopify.access_token},
        json={"webhook": {"topic": "orders/create", "format": "json",
                          "address": webhook_url(receiver, "shopify", "order_created", "demo_shopify")}},
        timeout=10,
    )  # fmt: skip
    token = http.post(
        f"{sandbox}/eshopbox/auth/api/v1/generateToken",
        json={"grant_type": "refresh_token", "client_id": config.eshopbox.client_id,
              "client_secret": config.eshopbox.client_secret, "refresh_token": config.eshopbox.refresh_token},
        timeout=10,
    ).json()["access_token"]  # fmt: skip
    eshopbox = http.post(
        f"{sandbox}/eshopbox/platform/api/v1/webhook",
        headers={"Authorization": f"Bearer {token}", "ProxyHost": "demo"},
        json={"resource": "shipment", "eventType": "PUT", "eventSubType": "updated", "version": "v1",
              "webhookUrl": webhook_url(receiver, "eshopbox", "shipment_updated", "demo_eshopbox"),
              "webhookMethod": "POST", "webhookHeaders": {"x-api-key": config.eshopbox.webhook_api_key}},
        timeout=10,
    )  # fmt: skip
    delhivery = http.post(
        f"{sandbox}/delhivery/_sandbox/webhook",
        json={"url": webhook_url(receiver, "delhivery", "scan_pushed", "demo_delhivery"),
              "header": config.delhivery.webhook_header, "token": config.delhivery.webhook_token},
        timeout=10,
    )  # fmt: skip
    woocommerce = http.post(  # OAuth 1.0a one-legged in the query: the sandbox store is served over HTTP
        f"{sandbox}/woocommerce/wp-json/wc/v3/webhooks",
        auth=OAuth1(config.woocommerce.consumer_key, client_secret=config.woocommerce.consumer_secret,
                    signature_method="HMAC-SHA256", signature_type="query"),
        json={"name": "Orders to the integration platform", "topic": "order.created",
              "delivery_url": webhook_url(receiver, "woocommerce", "order_created", "demo_woocommerce")},
        timeout=10,
    )  # fmt: skip
    results = {"shopify": shopify.status_code, "eshopbox": eshopbox.status_code, "delhivery": delhivery.status_code,
               "woocommerce": woocommerce.status_code}  # fmt: skip
    failed = {vendor: status for vendor, status in results.items() if status >= 400 and status != 422}
    if failed:  # 422 from Shopify: already subscribed
        raise RuntimeError(f"subscribing failed: {failed}")
    return results
