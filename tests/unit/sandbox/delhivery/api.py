"""Calls the Delhivery tests share."""

from __future__ import annotations

import requests

from tests.unit.sandbox.fixtures import Sandbox

TOKEN = {"Authorization": "Token sandbox-delhivery-token"}


def track(sandbox: Sandbox, waybills: str, headers: dict[str, str] | None = TOKEN) -> requests.Response:
    return sandbox.http.get(
        f"{sandbox.url}/delhivery/api/v1/packages/json/", params={"waybill": waybills}, headers=headers
    )
