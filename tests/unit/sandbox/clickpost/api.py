"""What the ClickPost tests share: the demo account, calls to the sandbox with its query-parameter auth, a valid
order, and an AppClient of clickpost@1.0.0 pointed at the sandbox."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.sandbox.clickpost.settings import ClickPostConfig
from connectors.spec import load_app_version
from connectors.spec.catalog import BUILTIN_APPS
from tests.unit.sandbox.fixtures import Sandbox

DEMO = ClickPostConfig()
SPEC = load_app_version(BUILTIN_APPS / "clickpost" / "1.0.0.yaml")
DELHIVERY = 4  # a courier partner of the sandbox account


def base_url(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/clickpost"


def call(sandbox: Sandbox, method: str, path: str, key: str | None = DEMO.key, **kwargs: Any) -> requests.Response:
    """A call with `username` and `key` in the query (none when `key` is None), plus any `params` given."""
    auth = {"username": DEMO.username, "key": key} if key else {}
    params = {**auth, **kwargs.pop("params", {})}
    return sandbox.http.request(method, f"{base_url(sandbox)}{path}", params=params, timeout=10, **kwargs)


def order(reference_number: str, **details: Any) -> dict[str, Any]:
    """A valid create-order body (pickup_info, drop_info, shipment_details, gst_info, additional)."""
    return {
        "pickup_info": {"pickup_name": "Eshopbox GGN", "pickup_phone": "9876500000", "pickup_address": "Plot 12",
                        "pickup_city": "Gurugram", "pickup_state": "Haryana", "pickup_pincode": "122001",
                        "email": "ops@example.com"},
        "drop_info": {"drop_name": "Asha Verma", "drop_phone": "9876543210", "drop_address": "12, MG Road",
                      "drop_city": "Bengaluru", "drop_state": "Karnataka", "drop_pincode": "560001",
                      "drop_country": "IN"},
        "shipment_details": {"reference_number": reference_number, "order_type": "PREPAID", "invoice_value": 998,
                             "cod_value": 0, "delivery_type": "FORWARD", "courier_partner": DELHIVERY,
                             "account_code": "delhivery-surface", "length": 20, "breadth": 15, "height": 3,
                             "weight": 400, "items": [{"sku": "ESB-TEE-RED-M", "description": "Tee - Red, M",
                                                       "quantity": 2, "price": 499}], **details},
        "gst_info": {},
        "additional": {},
    }  # fmt: skip


def state(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("clickpost", "/state", method="GET")  # type: ignore[no-any-return]


def no_wait(seconds: float) -> None:
    """Backoff without waiting: the sandbox's answers, not the clock, decide these tests."""


def clickpost(sandbox: Sandbox, **credentials: str) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    connection = ConnectionValues(
        "sandbox-clickpost" if credentials.get("key", DEMO.key) == DEMO.key else "sandbox-clickpost-other-key",
        credentials={"username": DEMO.username, "key": DEMO.key, "webhook_key": "wh-key", **credentials},
        properties={},
    )
    return AppClient(SPEC, connection, environment={"BASE_URL": base_url(sandbox)}, session=session, sleep=no_wait)
