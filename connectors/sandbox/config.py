"""What the sandboxes accept and how they behave: demo credentials, request-rate limits, webhook retries.

Rate limits default to what each vendor documents (Shopify's 40-call bucket draining 2/s per shop; Delhivery's 750
tracking calls per 5 minutes per IP; Eshopbox's throttled token endpoint); a limit the vendor does not document
(Eshopbox's API) is off until configured, so a benchmark run with the defaults measures against the vendors' own.

Every field can be overridden from the environment as `SANDBOX_<SECTION>_<FIELD>` (for example
`SANDBOX_SHOPIFY_ACCESS_TOKEN`, `SANDBOX_ESHOPBOX_TOKEN_TTL=1`, `SANDBOX_DELHIVERY_WEBHOOK_URL=http://...`).
Plain pydantic models (no pydantic-settings dependency): `SandboxConfig.from_env()` does the reading.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field

from connectors.sandbox.business_central.settings import BusinessCentralConfig
from connectors.sandbox.clickpost.settings import ClickPostConfig
from connectors.sandbox.ginesys.settings import GinesysConfig
from connectors.sandbox.marg.settings import MargConfig
from connectors.sandbox.sap_business_one.settings import SapBusinessOneConfig
from connectors.sandbox.sap_s4hana.settings import SapS4hanaConfig
from connectors.sandbox.shiprocket.settings import ShiprocketConfig

# Admin REST 2024-10 accepts these FulfillmentEvent statuses; `delayed` arrived in 2025-01/2025-07 and
# `carrier_picked_up` in 2025-10 (shopify.dev FulfillmentEventStatus per version).
EVENT_STATUSES_2024_10 = [
    "attempted_delivery",
    "confirmed",
    "delivered",
    "failure",
    "in_transit",
    "label_printed",
    "label_purchased",
    "out_for_delivery",
    "ready_for_pickup",
]


# Statuses each later Admin API version adds (the request path names the version).
EVENT_STATUSES_ADDED = {"2025-07": ["delayed"], "2025-10": ["carrier_picked_up"]}


def event_statuses_for(api_version: str, base: list[str]) -> list[str]:
    """The FulfillmentEvent statuses an Admin API version accepts: `base` (2024-10) plus what later ones added."""
    return base + [status for since, added in EVENT_STATUSES_ADDED.items() if api_version >= since for status in added]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ShopifyConfig(_Section):
    access_token: str = "shpat_sandbox_demo_token"
    webhook_secret: str = "sandbox-shopify-webhook-secret"
    shop_domain: str = "demo.myshopify.com"
    timezone_offset: str = Field(default="+05:30", description="Shop time zone; Shopify answers in shop time.")
    bucket_size: int = Field(default=40, description="Admin REST calls a shop's bucket holds (burst).")
    leak_rate: float = Field(default=2.0, description="Requests per second the bucket drains.")
    graphql_bucket_size: int = Field(default=1000, description="GraphQL cost points a shop's bucket holds.")
    graphql_restore_rate: float = Field(default=50.0, description="GraphQL cost points restored per second.")
    graphql_max_query_cost: int = Field(default=1000, description="Above this requested cost: MAX_COST_EXCEEDED.")
    event_statuses: list[str] = Field(default_factory=lambda: list(EVENT_STATUSES_2024_10))
    webhook_retries: int = Field(default=3, description="Extra attempts after a failed delivery (Shopify: 8 in 4 h).")
    webhook_backoff: float = Field(default=0.2, description="First retry delay in seconds, doubled each time.")
    seed_demo_data: bool = True


class EshopboxConfig(_Section):
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    refresh_token: str = "sandbox-refresh-token"
    token_ttl: int = Field(default=86400, description="expires_in of generated access tokens, seconds.")
    token_rate_limit: int = Field(default=10, description="generateToken calls allowed per window, per client id.")
    token_rate_window: float = 60.0
    api_requests_per_second: float | None = Field(
        default=None,
        description="WMS and platform calls per second per client id; undocumented by Eshopbox, so off (None). "
        "The eshopbox@1.0.0 app paces itself at 10/s with a burst of 10.",
    )
    api_burst: int = Field(default=10, description="Calls a client may make at once when the API limit is on.")
    signing_key: str = "sandbox-eshopbox-signing-key"
    webhook_api_key: str = Field(default="sandbox-eshopbox-webhook-key", description="x-api-key sent with webhooks.")
    webhook_retries: int = Field(default=0, description="Undocumented by Eshopbox; none by default.")
    webhook_backoff: float = 0.2
    courier_name: str = "Delhivery"
    warehouse_id: str = "GGN"


class DelhiveryConfig(_Section):
    api_token: str = "sandbox-delhivery-token"
    webhook_url: str | None = None
    webhook_header: str = "X-Webhook-Token"
    webhook_token: str = "sandbox-delhivery-webhook-token"
    webhook_retries: int = Field(default=1, description="Delhivery retries a failed push once, at once.")
    tracking_rate_limit: int | None = Field(
        default=750, description="Tracking calls per window per client IP (documented: 750 per 5 min); None = off."
    )
    tracking_rate_window: float = 300.0
    invoice_rate_limit: int | None = Field(
        default=40, description="Shipping-charge calls per window per client IP (documented: 40 a minute); None = off."
    )
    invoice_rate_window: float = 60.0
    create_rate_limit: int | None = Field(
        default=None, description="Shipment-creation (CMU) calls per window per IP: undocumented, so off (None)."
    )
    create_rate_window: float = 60.0
    pickup_rate_limit: int | None = Field(
        default=None, description="Pickup requests per window per IP: undocumented, so off (None)."
    )
    pickup_rate_window: float = 60.0
    pickup_locations: list[str] = Field(
        default_factory=lambda: ["Eshopbox GGN"], description="Warehouse names registered with Delhivery."
    )
    client_name: str = "ESHOPBOX SURFACE"


class WooCommerceConfig(_Section):
    """WooCommerce core has no request-rate limit (hosts and WAFs may add one), so the sandbox enforces none."""

    consumer_key: str = "ck_sandbox0000000000000000000000000000demo"
    consumer_secret: str = "cs_sandbox0000000000000000000000000000demo"
    webhook_secret: str = "sandbox-woocommerce-webhook-secret"
    https: bool = Field(
        default=False,
        description="Behave as a store served over HTTPS (WordPress is_ssl()): HTTP Basic or consumer_key/"
        "consumer_secret in the query, no OAuth 1.0a. Also per request with `X-Forwarded-Proto: https`.",
    )
    timestamp_window: int = Field(default=900, description="OAuth timestamps older or newer than this are refused.")
    max_webhook_failures: int = Field(default=5, description="A webhook failing more often than this is disabled.")
    seed_demo_data: bool = True


class FlipkartConfig(_Section):
    """Flipkart publishes no request-rate limit: the API limit is off until `api_requests_per_second` is set."""

    app_id: str = "sandbox-flipkart-app-id"
    app_secret: str = "sandbox-flipkart-app-secret"
    token_ttl: int = Field(default=5_184_000, description="expires_in of access tokens, seconds (Flipkart: ~60 days).")
    api_requests_per_second: float | None = Field(
        default=None, description="Seller API calls per second per app id; undocumented by Flipkart, so off (None)."
    )
    api_burst: int = Field(default=10, description="Calls an app may make at once when the API limit is on.")
    signing_key: str = "sandbox-flipkart-signing-key"
    page_size_max: int = Field(default=20, description="Largest `pagination.pageSize` of the shipment filter.")
    webhook_url: str | None = Field(default=None, description="Where notifications go (onboarded by e-mail).")
    webhook_signs_epoch: bool = Field(
        default=False,
        description="Hash X_Date as epoch seconds (the docs' worked example) instead of the HTTP-date as sent.",
    )
    webhook_retries: int = Field(default=2, description="Flipkart retries until consumed (at least once).")
    webhook_backoff: float = 0.2
    location_id: str = "LOC-SANDBOX-1"


class MagentoConfig(_Section):
    """Magento Open Source has no request-rate limit by default, so the sandbox enforces none."""

    admin_username: str = "sandbox-admin"
    admin_password: str = "sandbox-admin-password-123"
    admin_token_ttl: int = Field(default=14400, description="Admin token lifetime in seconds (Magento: 4 hours).")
    consumer_key: str = "sandboxmagentoconsumerkey0000000"
    consumer_secret: str = "sandboxmagentoconsumersecret0000"
    access_token: str = "sandboxmagentoaccesstoken0000000"
    access_token_secret: str = "sandboxmagentoaccesssecret000000"
    bearer_integration_tokens: bool = Field(
        default=False,
        description="Accept the integration access token as a plain Bearer token (off by default since 2.4.4).",
    )
    timestamp_window: int = Field(default=600, description="OAuth timestamps further than this are refused.")
    source_code: str = Field(default="default", description="The MSI source the demo stock lives in.")
    seed_demo_data: bool = True


class AmazonConfig(_Section):
    """Amazon SP-API: LWA credentials, token lifetime and the documented per-operation usage plans (rate per second,
    burst) of the operations the sandbox serves; `throttling` off turns them all off."""

    client_id: str = "amzn1.application-oa2-client.sandbox"
    client_secret: str = "amzn1.oa2-cs.v1.sandbox-secret"
    refresh_token: str = "Atzr|sandbox-refresh-token"
    token_ttl: int = Field(default=3600, description="expires_in of LWA access tokens, seconds (LWA: 3600).")
    signing_key: str = "sandbox-amazon-signing-key"
    seller_id: str = "A2SANDBOXSELLER"
    marketplace_id: str = "A21TJRUUN4KGV"
    throttling: bool = Field(default=True, description="Enforce the per-operation token buckets (429 QuotaExceeded).")
    get_orders_rate: float = 0.0167
    get_orders_burst: int = 20
    get_order_rate: float = Field(default=0.5, description="getOrder and getOrderItems each (burst 30).")
    get_order_burst: int = 30
    confirm_shipment_rate: float = 2.0
    confirm_shipment_burst: int = 10
    listings_rate: float = 5.0
    listings_burst: int = 5
    seed_demo_data: bool = True


class PaytmMallConfig(_Section):
    """Paytm Mall (legacy, community-documented): the seller login, the merchant id, and the assumed token lifetime."""

    username: str = "seller@sandbox.paytm.invalid"
    password: str = "sandbox-paytm-password"
    client_id: str = "sandbox-paytm-client"
    client_secret: str = "sandbox-paytm-client-secret"
    mid: str = "123456"
    token_ttl: int = Field(default=86400, description="Lifetime of an authtoken, seconds (unknown; assumed a day).")
    code_ttl: int = Field(default=300, description="Lifetime of an authorization code, seconds (assumption).")
    page_size_max: int = Field(default=100, description="Largest `limit` of orders.json (assumption).")
    seed_demo_data: bool = True


class SandboxConfig(_Section):
    shopify: ShopifyConfig = Field(default_factory=ShopifyConfig)
    eshopbox: EshopboxConfig = Field(default_factory=EshopboxConfig)
    delhivery: DelhiveryConfig = Field(default_factory=DelhiveryConfig)
    woocommerce: WooCommerceConfig = Field(default_factory=WooCommerceConfig)
    flipkart: FlipkartConfig = Field(default_factory=FlipkartConfig)
    magento: MagentoConfig = Field(default_factory=MagentoConfig)
    amazon: AmazonConfig = Field(default_factory=AmazonConfig)
    paytm_mall: PaytmMallConfig = Field(default_factory=PaytmMallConfig)
    sap_s4hana: SapS4hanaConfig = Field(default_factory=SapS4hanaConfig)
    business_central: BusinessCentralConfig = Field(default_factory=BusinessCentralConfig)
    sap_business_one: SapBusinessOneConfig = Field(default_factory=SapBusinessOneConfig)
    shiprocket: ShiprocketConfig = Field(default_factory=ShiprocketConfig)
    ginesys: GinesysConfig = Field(default_factory=GinesysConfig)
    marg: MargConfig = Field(default_factory=MargConfig)
    clickpost: ClickPostConfig = Field(default_factory=ClickPostConfig)
    webhook_timeout: float = Field(default=5.0, description="Seconds per delivery attempt (Shopify: 5 s).")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SandboxConfig:
        """Defaults, then `SANDBOX_<SECTION>_<FIELD>` variables, then `overrides` (section dicts)."""
        environ = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        for section, model in (
            ("shopify", ShopifyConfig),
            ("eshopbox", EshopboxConfig),
            ("delhivery", DelhiveryConfig),
            ("woocommerce", WooCommerceConfig),
            ("flipkart", FlipkartConfig),
            ("magento", MagentoConfig),
            ("amazon", AmazonConfig),
            ("paytm_mall", PaytmMallConfig),
            ("sap_s4hana", SapS4hanaConfig),
            ("business_central", BusinessCentralConfig),
            ("sap_business_one", SapBusinessOneConfig),
            ("shiprocket", ShiprocketConfig),
            ("ginesys", GinesysConfig),
            ("marg", MargConfig),
            ("clickpost", ClickPostConfig),
        ):
            values = {}
            for name, field in model.model_fields.items():
                raw = environ.get(f"SANDBOX_{section}_{name}".upper())
                if raw is not None:
                    values[name] = _parse_env(raw, field.annotation)
            data[section] = {**values, **overrides.get(section, {})}
        if "SANDBOX_WEBHOOK_TIMEOUT" in environ:
            data["webhook_timeout"] = float(environ["SANDBOX_WEBHOOK_TIMEOUT"])
        data.update({key: value for key, value in overrides.items() if key not in data})
        return cls.model_validate(data)


def _parse_env(raw: str, annotation: Any) -> Any:
    if type(None) in get_args(annotation) and raw.strip().lower() in ("", "none", "off"):
        return None  # SANDBOX_ESHOPBOX_API_REQUESTS_PER_SECOND=off
    if annotation in (list[str], "list[str]"):
        return json.loads(raw) if raw.lstrip().startswith("[") else [item.strip() for item in raw.split(",")]
    return raw  # pydantic coerces "1", "0.5", "true"
