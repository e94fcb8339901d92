"""Calls the Ginesys (Browntape) tests share: the demo API user and authenticated calls to the sandbox."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sandbox.ginesys.settings import GinesysConfig
from tests.unit.sandbox.fixtures import Sandbox

DEMO = GinesysConfig()


def base_url(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/ginesys"


def call(sandbox: Sandbox, method: str, path: str, auth_string: str | None = DEMO.auth_string,
         **kwargs: Any) -> requests.Response:  # fmt: skip
    """A call as the demo API user (`auth_string=None`: without credentials)."""
    params = dict(kwargs.pop("params", {}))
    if auth_string is not None:
        params.update(username=DEMO.username, auth_string=auth_string)
    return sandbox.http.request(method, f"{base_url(sandbox)}{path}", params=params, timeout=10, **kwargs)


def order(reference: str, **changes: Any) -> dict[str, Any]:
    """A valid order for `orders/add.json`."""
    person = {"firstname": "Asha", "lastname": "Rao", "email": "asha@example.com"}
    address = {**person, "address_1": "12 MG Road", "city": "Bengaluru", "zip": "560001", "state": "Karnataka",
               "country_code": "IN", "country": "India", "phone": "9800000000"}  # fmt: skip
    return {"order_reference": reference, "channel_id": "68", "created": "2026-11-20 10:00:00", "customer": person,
            "shipping_address": address, "amount": 1297,
            "items": [{"custom_code": "ESB-TEE-RED-M", "quantity": 2, "price": 499}], **changes}  # fmt: skip


def state(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("ginesys", "/state", method="GET")  # type: ignore[no-any-return]
