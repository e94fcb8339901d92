"""Calls the Marg tests share: the demo company's credentials and master-sync calls to the sandbox."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sandbox.marg.settings import MargConfig
from tests.unit.sandbox.fixtures import Sandbox

DEMO = MargConfig()


def base_url(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/marg"


def post(sandbox: Sandbox, service: str, **fields: Any) -> requests.Response:
    """POST to an eOnlineData service with the demo company's credentials in the body (overridable)."""
    body = {"CompanyCode": DEMO.company_code, "MargID": DEMO.marg_id, **fields}
    return sandbox.http.post(f"{base_url(sandbox)}/api/eOnlineData/{service}", json=body, timeout=10)


def masters(sandbox: Sandbox, since: str = "", index: str = "0") -> dict[str, Any]:
    response = post(sandbox, "MargMST2017", Datetime=since, Index=index)
    assert response.status_code == 200, response.text
    return response.json()["Details"]  # type: ignore[no-any-return]


def state(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.control("marg", "/state", method="GET")  # type: ignore[no-any-return]
