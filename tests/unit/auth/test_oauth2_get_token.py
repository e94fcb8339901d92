"""`token_method: GET`: the grant in the query string with HTTP Basic client authentication, as Flipkart's
`GET /oauth-service/oauth/token?grant_type=client_credentials&scope=Seller_Api` takes it."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.auth import OAuth2Auth
from connectors.runtime.auth.base import AuthContext
from connectors.spec.auth import OAuth2AuthSpec


def test_client_credentials_token_by_get_with_basic_auth_and_the_grant_in_the_query() -> None:
    calls: list[dict[str, Any]] = []

    def send(method: str, url: str, **kwargs: Any) -> requests.Response:
        calls.append({"method": method, "url": url, **kwargs})
        response = requests.Response()
        response.status_code, response._content = 200, b'{"access_token":"fk-token-1","expires_in":3330779}'
        response.headers["Content-Type"] = "application/json"
        return response

    spec = OAuth2AuthSpec.model_validate({
        "type": "oauth2", "grant_type": "client_credentials", "token_method": "GET", "client_auth": "basic",
        "scopes": ["Seller_Api"], "token_url": "https://api.flipkart.net/oauth-service/oauth/token",
    })  # fmt: skip
    auth = OAuth2Auth(AuthContext(spec, "acme", {"client_id": "app-id", "client_secret": "app-secret"}, send=send))
    tokens = auth.obtain(None)
    (call,) = calls
    assert call["method"] == "GET"
    assert call["params"] == {"grant_type": "client_credentials", "scope": "Seller_Api"}
    assert "data" not in call and "json" not in call
    assert (call["auth"].username, call["auth"].password) == ("app-id", "app-secret")
    assert tokens.access_token == "fk-token-1"
