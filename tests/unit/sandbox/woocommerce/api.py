"""Calls the WooCommerce tests share: the demo credentials and signed or Basic requests to the sandbox."""

from __future__ import annotations

from typing import Any

import requests
from requests_oauthlib import OAuth1

from tests.unit.sandbox.fixtures import Sandbox

CONSUMER_KEY = "ck_sandbox0000000000000000000000000000demo"
CONSUMER_SECRET = "cs_sandbox0000000000000000000000000000demo"
WEBHOOK_SECRET = "sandbox-woocommerce-webhook-secret"


def store_url(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/woocommerce"


def signed(secret: str = CONSUMER_SECRET, key: str = CONSUMER_KEY) -> OAuth1:
    """OAuth 1.0a one-legged, HMAC-SHA256, in the query string: what WooCommerce wants over HTTP."""
    return OAuth1(key, client_secret=secret, signature_method="HMAC-SHA256", signature_type="query")


def wc(sandbox: Sandbox, method: str, path: str, auth: Any = "oauth", **kwargs: Any) -> requests.Response:
    auth = signed() if auth == "oauth" else auth
    url = f"{store_url(sandbox)}/wp-json/wc/v3{path}"
    return sandbox.http.request(method, url, auth=auth, timeout=10, **kwargs)


def new_order(sandbox: Sandbox, **spec: Any) -> dict[str, Any]:
    return sandbox.control("woocommerce", "/orders", spec)["order"]
