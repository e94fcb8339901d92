"""Calls the Magento tests share: the demo credentials, admin-token and OAuth 1.0a requests to the sandbox."""

from __future__ import annotations

from typing import Any

import requests
from requests_oauthlib import OAuth1

from connectors.sandbox.config import MagentoConfig
from tests.unit.sandbox.fixtures import Sandbox

DEMO = MagentoConfig()


def store_url(sandbox: Sandbox) -> str:
    return f"{sandbox.url}/magento"


def rest(sandbox: Sandbox) -> str:
    return f"{store_url(sandbox)}/rest/default"


def integration(secret: str = DEMO.consumer_secret, method: str = "HMAC-SHA256") -> OAuth1:
    """OAuth 1.0a with the integration's access token, in the Authorization header."""
    return OAuth1(DEMO.consumer_key, secret, DEMO.access_token, DEMO.access_token_secret, signature_method=method)


def admin_token(sandbox: Sandbox, username: str = DEMO.admin_username, password: str = DEMO.admin_password) -> Any:
    response = sandbox.http.post(
        f"{rest(sandbox)}/V1/integration/admin/token", json={"username": username, "password": password}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def call(sandbox: Sandbox, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
    """A call as the admin (`token`) or, without one, as the integration (unless `auth` is given)."""
    if token is not None:
        kwargs["headers"] = {"Authorization": f"Bearer {token}", **kwargs.get("headers", {})}
    else:
        kwargs.setdefault("auth", integration())
    return sandbox.http.request(method, f"{rest(sandbox)}{path}", timeout=10, **kwargs)


def criteria(*filters: tuple[str, Any, str], page_size: int | None = None, page: int | None = None) -> dict[str, Any]:
    """`searchCriteria` query parameters: each filter in a group of its own (AND), then paging."""
    params: dict[str, Any] = {}
    for group, (field, value, condition) in enumerate(filters):
        prefix = f"searchCriteria[filter_groups][{group}][filters][0]"
        params.update({f"{prefix}[field]": field, f"{prefix}[value]": value, f"{prefix}[condition_type]": condition})
    if page_size is not None:
        params["searchCriteria[pageSize]"] = page_size
    if page is not None:
        params["searchCriteria[currentPage]"] = page
    return params or {"searchCriteria": ""}


def new_order(sandbox: Sandbox, **spec: Any) -> dict[str, Any]:
    return sandbox.control("magento", "/orders", spec)["order"]
