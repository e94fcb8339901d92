"""Calls the Delhivery tests share."""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.unit.sandbox.fixtures import Sandbox

TOKEN = {"Authorization": "Token sandbox-delhivery-token"}
WAREHOUSE = "Eshopbox GGN"


def track(sandbox: Sandbox, waybills: str, headers: dict[str, str] | None = TOKEN) -> requests.Response:
    return sandbox.http.get(
        f"{sandbox.url}/delhivery/api/v1/packages/json/", params={"waybill": waybills}, headers=headers
    )


def package(order: str, **changes: Any) -> dict[str, Any]:
    """One valid CMU shipment."""
    return {
        "order": order, "waybill": "", "name": "Asha Verma", "add": "12, MG Road", "city": "Gurugram",
        "state": "Haryana", "country": "India", "pin": "122002", "phone": "9876543210", "payment_mode": "Prepaid",
        "total_amount": 998, "products_desc": "Tee - Red, M", "quantity": 1, "weight": 400, **changes,
    }  # fmt: skip


def create(
    sandbox: Sandbox, *shipments: dict[str, Any], warehouse: str = WAREHOUSE, headers: dict[str, str] | None = TOKEN
) -> requests.Response:
    """`POST /api/cmu/create.json` with Delhivery's form body `format=json&data=<json>`."""
    data = json.dumps({"shipments": list(shipments), "pickup_location": {"name": warehouse}})
    return sandbox.http.post(
        f"{sandbox.url}/delhivery/api/cmu/create.json", data={"format": "json", "data": data}, headers=headers
    )


def request_pickup(sandbox: Sandbox, body: dict[str, Any], headers: dict[str, str] | None = TOKEN) -> requests.Response:
    return sandbox.http.post(f"{sandbox.url}/delhivery/fm/request/new/", json=body, headers=headers)


def charges(sandbox: Sandbox, headers: dict[str, str] | None = TOKEN, **params: Any) -> requests.Response:
    query = {"md": "S", "cgm": 400, "o_pin": "122002", "d_pin": "560001", "ss": "Delivered", "pt": "Pre-paid"}
    return sandbox.http.get(
        f"{sandbox.url}/delhivery/api/kinko/v1/invoice/charges/.json", params={**query, **params}, headers=headers
    )


def state(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("delhivery", "/state", method="GET")  # type: ignore[no-any-return]
