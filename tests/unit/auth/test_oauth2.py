"""OAuth2 against a real OAuth2 server (oauth2-mock-server from npm) and an API that verifies its JWTs."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet

from connectors.runtime.auth import FileTokenStore, MemoryTokenStore, OAuth2Auth, TokenSet
from connectors.runtime.errors import AuthExpiredError
from tests.servers.oauth2_server import OAuth2TestServer
from tests.unit.auth.resource_server import ResourceServer
from tests.unit.auth.specs import app_with_auth, client_for, get

CLIENT = {"client_id": "eshopbox-app", "client_secret": "client-secret-42"}


def oauth2(server: OAuth2TestServer, grant_type: str, **extra: Any) -> dict[str, Any]:
    return {"type": "oauth2", "grant_type": grant_type, "token_url": server.token_url, **extra}


def token_calls(server: OAuth2TestServer) -> list[dict[str, Any]]:
    return [r for r in server.token_requests() if r["path"].endswith("/token")]


def test_client_credentials_token_is_fetched_once_and_accepted(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    spec = app_with_auth(oauth2(oauth2_server_reset, "client_credentials", scopes=["orders"]), resource_server.url)
    client = client_for(spec, CLIENT)
    assert get(client, "/orders") == {"ok": True}
    assert get(client, "/orders") == {"ok": True}
    calls = token_calls(oauth2_server_reset)
    assert [(c["grant_type"], c["client_id"], c["scope"]) for c in calls] == [
        ("client_credentials", "eshopbox-app", "orders")
    ]
    assert resource_server.seen_tokens == [calls[0]["response_access_token"]] * 2


def test_client_secret_can_go_as_http_basic(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    spec = app_with_auth(oauth2(oauth2_server_reset, "client_credentials", client_auth="basic"), resource_server.url)
    get(client_for(spec, CLIENT), "/orders")
    (call,) = token_calls(oauth2_server_reset)
    assert call["basic_auth_client_id"] == "eshopbox-app" and call["client_secret"] is None


def test_refresh_token_grant_sends_json_like_eshopbox_generate_token(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    spec = app_with_auth(oauth2(oauth2_server_reset, "refresh_token", token_request_format="json"), resource_server.url)
    get(client_for(spec, {**CLIENT, "refresh_token": "initial-refresh-1"}), "/orders")
    (call,) = token_calls(oauth2_server_reset)
    assert call["content_type"].startswith("application/json")
    assert (call["grant_type"], call["refresh_token"], call["client_secret"]) == (
        "refresh_token",
        "initial-refresh-1",
        "client-secret-42",
    )


def expire_stored_token(store: Any, in_seconds: float = -1.0) -> None:
    """Move the stored token's expiry (as the clock would), so tests need not sleep through a lifetime."""
    tokens = store.load("probe@1.0.0:acme")
    shift = time.time() + in_seconds - tokens.expires_at  # the token was obtained that much earlier, too
    obtained_at = None if tokens.obtained_at is None else tokens.obtained_at + shift
    store.save("probe@1.0.0:acme", replace(tokens, expires_at=tokens.expires_at + shift, obtained_at=obtained_at))


def test_rotated_refresh_token_is_persisted_and_used_next_time(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer, tmp_path: Path
) -> None:
    server = oauth2_server_reset
    server.set_strict(True)  # a refresh token works once: reusing the original would fail
    server.seed_refresh_token("initial-refresh-2")
    spec = app_with_auth(oauth2(server, "refresh_token", refresh_margin=0), resource_server.url)
    key = Fernet.generate_key()
    credentials = {**CLIENT, "refresh_token": "initial-refresh-2"}

    get(client_for(spec, credentials, token_store=FileTokenStore(tmp_path / "tokens", key)), "/orders")
    expire_stored_token(FileTokenStore(tmp_path / "tokens", key))
    # a new process: a new client and a new store object over the same file
    get(client_for(spec, credentials, token_store=FileTokenStore(tmp_path / "tokens", key)), "/orders")

    first, second = token_calls(server)
    assert first["refresh_token"] == "initial-refresh-2"
    assert second["refresh_token"] == first["response_refresh_token"] != "initial-refresh-2"
    assert second["status"] == 200
    stored = FileTokenStore(tmp_path / "tokens", key).load("probe@1.0.0:acme")
    assert stored is not None and stored.refresh_token == second["response_refresh_token"]
    assert second["response_refresh_token"].encode() not in (tmp_path / "tokens").read_bytes()


def test_token_is_refreshed_before_it_expires(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    store = MemoryTokenStore()
    spec = app_with_auth(oauth2(oauth2_server_reset, "client_credentials", refresh_margin=60), resource_server.url)
    client = client_for(spec, CLIENT, token_store=store)
    get(client, "/orders")
    expire_stored_token(store, in_seconds=600)  # valid for 10 more minutes: not refreshed
    get(client_for(spec, CLIENT, token_store=store), "/orders")
    expire_stored_token(store, in_seconds=30)  # still valid, but inside the 60 s margin: refreshed first
    get(client_for(spec, CLIENT, token_store=store), "/orders")
    first, second = token_calls(oauth2_server_reset)
    assert resource_server.seen_tokens == [first["response_access_token"]] * 2 + [second["response_access_token"]]


def test_refreshes_oauth_token_once_when_api_returns_401(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    store = MemoryTokenStore()
    store.save("probe@1.0.0:acme", TokenSet("revoked-but-not-expired", expires_at=time.time() + 3600))
    spec = app_with_auth(oauth2(oauth2_server_reset, "client_credentials"), resource_server.url)
    assert get(client_for(spec, CLIENT, token_store=store), "/orders") == {"ok": True}
    (call,) = token_calls(oauth2_server_reset)
    assert resource_server.seen_tokens == ["revoked-but-not-expired", call["response_access_token"]]


def test_second_401_after_refresh_needs_reconnect(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    resource_server.revoke_everything = True
    spec = app_with_auth(oauth2(oauth2_server_reset, "client_credentials"), resource_server.url)
    with pytest.raises(AuthExpiredError, match="reconnect"):
        get(client_for(spec, CLIENT), "/orders")
    assert len(token_calls(oauth2_server_reset)) == 2  # the first token, then exactly one refresh
    assert len(resource_server.seen_tokens) == 2


def test_concurrent_callers_refresh_once(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer, tmp_path: Path
) -> None:
    spec = app_with_auth(oauth2(oauth2_server_reset, "client_credentials"), resource_server.url)
    key = Fernet.generate_key()
    clients = [client_for(spec, CLIENT, token_store=FileTokenStore(tmp_path / "tokens", key)) for _ in range(6)]
    barrier, results = threading.Barrier(len(clients)), []

    def call(client: Any) -> None:
        barrier.wait()
        results.append(get(client, "/orders"))

    threads = [threading.Thread(target=call, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [{"ok": True}] * len(clients)
    assert len(token_calls(oauth2_server_reset)) == 1


def test_authorization_code_flow_builds_url_exchanges_code_and_refreshes(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    server = oauth2_server_reset
    server.set_strict(True)
    spec = app_with_auth(
        oauth2(server, "authorization_code", authorize_url=server.authorize_url, scopes=["read_orders"]),
        resource_server.url,
    )
    client = client_for(spec, CLIENT)
    auth = client.auth
    assert isinstance(auth, OAuth2Auth)
    url, state = auth.authorization_url("http://127.0.0.1:9/callback")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["eshopbox-app"] and query["state"] == [state] and query["scope"] == ["read_orders"]

    redirect = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    callback = parse_qs(urlsplit(redirect).query)
    assert callback["state"] == [state]
    tokens = auth.exchange_code(callback["code"][0], "http://127.0.0.1:9/callback")
    assert get(client, "/orders") == {"ok": True}
    assert resource_server.seen_tokens == [tokens.access_token]

    auth.renew()  # e.g. after a 401: uses the refresh token from the exchange
    exchange, refresh = token_calls(server)
    assert exchange["grant_type"] == "authorization_code" and exchange["code"] == callback["code"][0]
    assert refresh["grant_type"] == "refresh_token" and refresh["refresh_token"] == tokens.refresh_token
    assert refresh["status"] == 200


def test_authorization_code_connection_without_tokens_asks_to_authorize(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    spec = app_with_auth(
        oauth2(oauth2_server_reset, "authorization_code", authorize_url=oauth2_server_reset.authorize_url),
        resource_server.url,
    )
    with pytest.raises(AuthExpiredError, match="authorize it first"):
        get(client_for(spec, CLIENT), "/orders")
    assert resource_server.seen_tokens == []


def test_refused_refresh_token_needs_reconnect(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer
) -> None:
    oauth2_server_reset.set_strict(True)  # never issued: invalid_grant
    spec = app_with_auth(oauth2(oauth2_server_reset, "refresh_token"), resource_server.url)
    with pytest.raises(AuthExpiredError) as caught:
        get(client_for(spec, {**CLIENT, "refresh_token": "never-issued-token"}), "/orders")
    assert caught.value.status == 400 and "invalid_grant" in caught.value.excerpt


def test_a_margin_as_long_as_the_token_lifetime_does_not_refresh_before_every_request(
    oauth2_server_reset: OAuth2TestServer, resource_server: ResourceServer, caplog: pytest.LogCaptureFixture
) -> None:
    oauth2_server_reset.set_expires_in(60)  # the default refresh_margin is 60 s too
    spec = app_with_auth(oauth2(oauth2_server_reset, "client_credentials"), resource_server.url)
    client = client_for(spec, CLIENT)
    for _ in range(17):
        assert get(client, "/orders") == {"ok": True}
    assert len(token_calls(oauth2_server_reset)) == 1  # renewed at half the lifetime, not at every call
    assert "the refresh margin (60 s) is not below the token's lifetime (60 s)" in caplog.text
