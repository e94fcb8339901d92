"""`auth.test`: each app's declared request proves a connection's credentials against its sandbox, names the
account when it works, and says why (without the secret) when it does not."""

from __future__ import annotations

import requests

from connectors.runtime.connection_test import ConnectionTest, prove_credentials
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.spec import Catalog
from tests.unit.sandbox.fixtures import SHOPIFY_SECRET, SHOPIFY_TOKEN, Sandbox
from tests.unit.sandbox.woocommerce.api import CONSUMER_KEY, CONSUMER_SECRET, store_url

WRONG = "wrong-secret-value-123"


def client(app_ref: str, credentials: dict[str, str], properties: dict[str, str], env: dict[str, str]) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    values = ConnectionValues(f"test-{app_ref}-{sorted(credentials.values())[0][:6]}", credentials, properties)
    return AppClient(Catalog.load().get(app_ref), values, environment=env, session=session, sleep=lambda _: None)


def shopify(sandbox: Sandbox, version: str, token: str) -> AppClient:
    return client(f"shopify@{version}", {"access_token": token, "webhook_secret": SHOPIFY_SECRET}, {"shop": "demo"},
                  {"ADMIN_BASE_URL": f"{sandbox.url}/shopify"})  # fmt: skip


def test_shopify_rest_and_graphql_name_the_shop_or_say_why_not(sandbox: Sandbox) -> None:
    for version in ("1.0.0", "2.0.0", "3.0.0"):
        worked = prove_credentials(shopify(sandbox, version, SHOPIFY_TOKEN))
        assert worked.ok and worked.message == "Connected to Shopify as Sandbox (demo.myshopify.com).", version
        refused = prove_credentials(shopify(sandbox, version, WRONG))
        assert not refused.ok and "401" in refused.message, (version, refused.message)
        assert WRONG not in refused.message


def test_woocommerce_keys_are_proved_by_a_product_read(sandbox: Sandbox) -> None:
    def woocommerce(secret: str) -> AppClient:
        return client("woocommerce@1.0.0", {"consumer_key": CONSUMER_KEY, "consumer_secret": secret},
                      {"store_url": store_url(sandbox)}, {})  # fmt: skip

    worked = prove_credentials(woocommerce(CONSUMER_SECRET))
    assert worked.ok and worked.message == "Connected to WooCommerce."
    refused = prove_credentials(woocommerce(WRONG))
    assert not refused.ok and "401" in refused.message and WRONG not in refused.message


def test_eshopbox_obtains_a_token_then_reads_the_listing(sandbox: Sandbox) -> None:
    def eshopbox(refresh_token: str) -> AppClient:
        credentials = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret",
                       "refresh_token": refresh_token, "webhook_token": "sandbox-eshopbox-webhook-key"}  # fmt: skip
        env = {"WMS_BASE_URL": f"{sandbox.url}/eshopbox/wms", "AUTH_BASE_URL": f"{sandbox.url}/eshopbox/auth",
               "PLATFORM_BASE_URL": f"{sandbox.url}/eshopbox/platform"}  # fmt: skip
        return client("eshopbox@1.0.0", credentials, {"workspace": "demo", "channel_id": "SHOPIFY-DEMO"}, env)

    assert prove_credentials(eshopbox("sandbox-refresh-token")).ok
    refused = prove_credentials(eshopbox(WRONG))
    assert not refused.ok and WRONG not in refused.message


def test_an_app_without_a_test_request_says_so(sandbox: Sandbox) -> None:
    delhivery = client(
        "delhivery@1.0.0", {"api_token": "sandbox-delhivery-token", "webhook_token": "hook-token"}, {}, {}
    )
    reason = "delhivery@1.0.0 declares no `auth.test` request to prove credentials"
    assert prove_credentials(delhivery) == ConnectionTest(False, reason)
