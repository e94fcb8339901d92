"""OAuth 1.0a signing against a server that verifies signatures with oauthlib's server side."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connectors.runtime.auth import AuthContext, build_auth
from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.request import RenderedRequest
from connectors.spec.app_version import AppVersionSpec
from tests.unit.auth.oauth1_server import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    OAuth1Server,
)
from tests.unit.auth.specs import app_with_auth, client_for, get

ONE_LEGGED = {"type": "oauth1", "flow": "one_legged", "placement": "query", "signature_method": "HMAC-SHA256"}
TOKEN = {"type": "oauth1", "flow": "token", "placement": "header", "signature_method": "HMAC-SHA256"}
CONSUMER = {"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}
TOKEN_CREDENTIALS = {**CONSUMER, "access_token": ACCESS_TOKEN, "access_token_secret": ACCESS_TOKEN_SECRET}


def test_one_legged_signature_in_the_query_is_accepted(oauth1_server: OAuth1Server) -> None:
    client = client_for(app_with_auth(ONE_LEGGED, oauth1_server.url), CONSUMER)
    answer = get(client, "/one-legged/orders", modified_after="2024-10-02T10:00:00", per_page=100, search="a b&c")
    assert answer == {"valid": True, "signature_method": "HMAC-SHA256"}
    seen = oauth1_server.seen[-1]
    query = parse_qs(urlsplit(seen["path"]).query)
    assert seen["authorization"] is None
    assert query["oauth_consumer_key"] == [CONSUMER_KEY]
    assert query["oauth_signature_method"] == ["HMAC-SHA256"]
    assert "oauth_token" not in query and "oauth_signature" in query


def test_token_signature_in_the_authorization_header_is_accepted(oauth1_server: OAuth1Server) -> None:
    client = client_for(app_with_auth(TOKEN, oauth1_server.url), TOKEN_CREDENTIALS)
    assert get(client, "/token/V1/orders", **{"searchCriteria[pageSize]": 50}) == {
        "valid": True,
        "signature_method": "HMAC-SHA256",
    }
    authorization = oauth1_server.seen[-1]["authorization"]
    assert authorization.startswith("OAuth ")
    assert f'oauth_token="{ACCESS_TOKEN}"' in authorization
    assert "oauth_signature" not in oauth1_server.seen[-1]["path"]


def test_json_body_is_sent_and_signed_without_it(oauth1_server: OAuth1Server) -> None:
    client = client_for(app_with_auth(TOKEN, oauth1_server.url), TOKEN_CREDENTIALS)
    request = RenderedRequest("POST", f"{oauth1_server.url}/token/V1/order/7/ship", json={"tracks": [{"a": 1}]})
    assert client.send(request).json()["valid"] is True


@pytest.mark.parametrize("method", ["HMAC-SHA1", "HMAC-SHA512"])
def test_other_hmac_methods_are_accepted(oauth1_server: OAuth1Server, method: str) -> None:
    client = client_for(app_with_auth({**ONE_LEGGED, "signature_method": method}, oauth1_server.url), CONSUMER)
    assert get(client, "/one-legged/ping") == {"valid": True, "signature_method": method}


def test_every_request_gets_a_fresh_nonce(oauth1_server: OAuth1Server) -> None:
    client = client_for(app_with_auth(ONE_LEGGED, oauth1_server.url), CONSUMER)
    assert [get(client, "/one-legged/same")["valid"] for _ in range(3)] == [True, True, True]


@pytest.mark.parametrize(
    ("auth", "credentials"),
    [
        (ONE_LEGGED, {**CONSUMER, "consumer_secret": "cs_wrong"}),
        (TOKEN, {**TOKEN_CREDENTIALS, "access_token_secret": "wrong-token-secret"}),
        (TOKEN, {**TOKEN_CREDENTIALS, "access_token": "unknown-token-1234"}),
    ],
)
def test_wrong_secrets_are_refused_and_ask_for_reconnect(
    oauth1_server: OAuth1Server, auth: dict[str, Any], credentials: dict[str, Any]
) -> None:
    path = "/token/x" if auth is TOKEN else "/one-legged/x"
    client = client_for(app_with_auth(auth, oauth1_server.url), credentials)
    with pytest.raises(AuthExpiredError) as caught:
        get(client, path)
    assert caught.value.status == 401


def test_token_flow_requires_the_access_token_credentials() -> None:
    spec = app_with_auth(TOKEN, "http://127.0.0.1:9")
    assert set(spec.auth.credential_fields()) == {
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    }
    assert set(app_with_auth(ONE_LEGGED, "http://127.0.0.1:9").auth.credential_fields()) == {
        "consumer_key",
        "consumer_secret",
    }


def _prepared(spec: AppVersionSpec, url: str, credentials: dict[str, Any]) -> requests.PreparedRequest:
    auth = build_auth(AuthContext(spec.auth, "acme", credentials, app_ref="probe@1.0.0"))
    return requests.Request("GET", url, params={"page": 2}, auth=auth).prepare()


def test_https_basic_sends_http_basic_over_https_and_signs_over_http() -> None:
    spec = app_with_auth({**ONE_LEGGED, "https": "basic"}, "https://shop.example")
    over_https = _prepared(spec, "https://shop.example/wp-json/wc/v3/orders", CONSUMER)
    assert over_https.headers["Authorization"].startswith("Basic ")
    assert "oauth_signature" not in (over_https.url or "")
    over_http = _prepared(spec, "http://shop.example/wp-json/wc/v3/orders", CONSUMER)
    assert "Authorization" not in over_http.headers
    assert "oauth_signature=" in (over_http.url or "")


def test_oauth1_secrets_are_not_logged(oauth1_server: OAuth1Server, caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(app_with_auth(TOKEN, oauth1_server.url), {**TOKEN_CREDENTIALS, "consumer_secret": "cs_leak"})
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthExpiredError) as caught:
        get(client, "/token/x", echo=ACCESS_TOKEN_SECRET)
    text = caplog.text + str(caught.value)
    assert "cs_leak" not in text and ACCESS_TOKEN_SECRET not in text and ACCESS_TOKEN not in text
