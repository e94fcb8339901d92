"""Eshopbox auth (`connectors.sandbox.eshopbox.tokens`): generateToken, bearer JWTs, expiry, the token-endpoint
limit and the count of its 429s."""

from __future__ import annotations

import time

from tests.unit.sandbox.eshopbox.api import GRANT
from tests.unit.sandbox.fixtures import Sandbox


def test_generate_token_and_bearer_auth(sandbox: Sandbox) -> None:
    token = sandbox.http.post(f"{sandbox.url}/eshopbox/auth/api/v1/generateToken", json=GRANT).json()
    assert token["access_token"].startswith("eyJ") and token["id_token"].startswith("eyJ")
    assert (token["scope"], token["expires_in"], token["token_type"]) == ("openid profile", 86400, "Bearer")
    order_url = f"{sandbox.url}/eshopbox/wms/api/order/nope"
    assert sandbox.http.get(order_url).status_code == 401
    assert sandbox.http.get(order_url, headers={"Authorization": "Bearer eyJforged.x.y"}).status_code == 401
    authorized = sandbox.http.get(order_url, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert authorized.status_code == 404  # authenticated; the order does not exist
    listing = f"{sandbox.url}/eshopbox/platform/api/v2/productListing"
    assert sandbox.http.get(listing).status_code == 401
    assert sandbox.control("eshopbox", "/state", method="GET")["token_calls"] == 1


def test_wrong_credentials_are_refused(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/eshopbox/auth/api/v1/generateToken"
    wrong_refresh = sandbox.http.post(url, json={**GRANT, "refresh_token": "revoked"})
    assert wrong_refresh.status_code == 400 and wrong_refresh.json()["error"] == "invalid_grant"
    wrong_secret = sandbox.http.post(url, json={**GRANT, "client_secret": "nope"})
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert sandbox.http.post(url, json={**GRANT, "grant_type": "password"}).status_code == 400
    form = sandbox.http.post(url, data=GRANT)  # the older docs page says form-encoded
    assert form.status_code == 200


def test_expired_token_is_refused(strict_sandbox: Sandbox) -> None:
    strict_sandbox.state.reset()
    token = strict_sandbox.eshopbox_token()
    url = f"{strict_sandbox.url}/eshopbox/wms/api/order/1"
    assert strict_sandbox.http.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    time.sleep(1.05)
    expired = strict_sandbox.http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert expired.status_code == 401 and expired.json()["message"] == "jwt expired"


def test_token_endpoint_is_rate_limited(strict_sandbox: Sandbox) -> None:
    strict_sandbox.state.reset()
    url = f"{strict_sandbox.url}/eshopbox/auth/api/v1/generateToken"
    statuses = [strict_sandbox.http.post(url, json=GRANT).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = strict_sandbox.http.post(url, json=GRANT)
    assert int(limited.headers["Retry-After"]) >= 1
    state = strict_sandbox.control("eshopbox", "/state", method="GET")
    assert (state["token_calls"], state["tokens_issued"]) == (5, 3)
    assert (state["rate_limited"], state["rate_limited_by"]) == (2, {GRANT["client_id"]: 2})
