"""Calls the Shiprocket tests share: the demo API user, logins and authenticated calls to the sandbox."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sandbox.shiprocket.settings import ShiprocketConfig
from tests.unit.sandbox.fixtures import Sandbox

DEMO = ShiprocketConfig()


def base_url(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/shiprocket/v1/external"


def login(sandbox: Sandbox, email: str = DEMO.email, password: str = DEMO.password) -> requests.Response:
    return sandbox.http.post(f"{base_url(sandbox)}/auth/login", json={"email": email, "password": password}, timeout=10)


def token(sandbox: Sandbox) -> str:
    response = login(sandbox)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def call(sandbox: Sandbox, method: str, path: str, bearer: str | None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return sandbox.http.request(method, f"{base_url(sandbox)}{path}", headers=headers, timeout=10, **kwargs)


def adhoc_order(order_id: str, **changes: Any) -> dict[str, Any]:
    """A valid `orders/create/adhoc` body."""
    return {
        "order_id": order_id, "order_date": "2026-11-28 10:00", "pickup_location": "Primary",
        "billing_customer_name": "Asha", "billing_last_name": "Verma", "billing_address": "12, MG Road",
        "billing_city": "Gurugram", "billing_pincode": "122002", "billing_state": "Haryana",
        "billing_country": "India", "billing_email": "asha@example.com", "billing_phone": "9876543210",
        "shipping_is_billing": True, "payment_method": "Prepaid", "sub_total": 998,
        "order_items": [{"name": "Tee - Red, M", "sku": "ESB-TEE-RED-M", "units": 2, "selling_price": 499}],
        "length": 20, "breadth": 15, "height": 3, "weight": 0.4, **changes,
    }  # fmt: skip


def state(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("shiprocket", "/state", method="GET")  # type: ignore[no-any-return]
