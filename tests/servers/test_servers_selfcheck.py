"""Quick proof that the real local servers behind the auth-test fixtures work."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.auth import HTTPDigestAuth

from tests.servers.httpbin_server import httpbin_url  # noqa: F401  (pytest fixture)
from tests.servers.oauth2_server import (  # noqa: F401  (pytest fixtures)
    OAuth2TestServer,
    oauth2_server,
    oauth2_server_reset,
)


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


# --- httpbin -----------------------------------------------------------------


def test_httpbin_basic_auth(httpbin_url: str) -> None:  # noqa: F811
    assert requests.get(f"{httpbin_url}/basic-auth/u/p", auth=("u", "p"), timeout=10).status_code == 200
    assert requests.get(f"{httpbin_url}/basic-auth/u/p", auth=("u", "bad"), timeout=10).status_code == 401


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_httpbin_digest_auth(httpbin_url: str, algorithm: str) -> None:  # noqa: F811
    url = f"{httpbin_url}/digest-auth/auth/u/p/{algorithm}"
    with requests.Session() as session:
        ok = session.get(url, auth=HTTPDigestAuth("u", "p"), timeout=10)
        assert ok.status_code == 200
        assert ok.json() == {"authenticated": True, "user": "u"}
    with requests.Session() as session:
        assert session.get(url, auth=HTTPDigestAuth("u", "bad"), timeout=10).status_code == 401


def test_httpbin_bearer(httpbin_url: str) -> None:  # noqa: F811
    ok = requests.get(f"{httpbin_url}/bearer", headers={"Authorization": "Bearer x"}, timeout=10)
    assert ok.status_code == 200
    assert ok.json() == {"authenticated": True, "token": "x"}
    assert requests.get(f"{httpbin_url}/bearer", timeout=10).status_code == 401


# --- oauth2-mock-server --------------------------------------------------------


def test_oauth2_client_credentials(oauth2_server_reset: OAuth2TestServer) -> None:  # noqa: F811
    server = oauth2_server_reset
    resp = requests.post(
        server.token_url,
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=("my-client", "s3cret"),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "refresh_token" not in body
    assert jwt_claims(body["access_token"])["iss"] == server.issuer_url

    (record,) = server.token_requests()
    assert record["grant_type"] == "client_credentials"
    assert record["scope"] == "read"
    assert record["basic_auth"] is True
    assert record["basic_auth_client_id"] == "my-client"
    assert record["basic_auth_client_secret"] == "s3cret"
    assert record["client_id"] is None
    assert record["content_type"] == "application/x-www-form-urlencoded"
    assert record["response_access_token"] == body["access_token"]
    assert record["response_expires_in"] == 3600


def test_oauth2_short_lifetime(oauth2_server_reset: OAuth2TestServer) -> None:  # noqa: F811
    server = oauth2_server_reset
    server.set_expires_in(2)
    body = requests.post(
        server.token_url,
        data={"grant_type": "client_credentials", "client_id": "c"},
        timeout=10,
    ).json()
    assert body["expires_in"] == 2
    claims = jwt_claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == 2
    assert server.token_requests()[0]["client_id"] == "c"


def test_oauth2_refresh_rotation(oauth2_server_reset: OAuth2TestServer) -> None:  # noqa: F811
    server = oauth2_server_reset
    server.set_strict(True)
    server.seed_refresh_token("initial-rt")

    def refresh(token: str) -> requests.Response:
        return requests.post(
            server.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": token,
                "client_id": "app",
            },
            timeout=10,
        )

    first = refresh("initial-rt").json()
    second = refresh(first["refresh_token"]).json()
    assert first["refresh_token"] != second["refresh_token"]
    assert first["access_token"] != second["access_token"]

    records = server.token_requests()
    assert [r["refresh_token"] for r in records] == [
        "initial-rt",
        first["refresh_token"],
    ]
    assert [r["response_refresh_token"] for r in records] == [
        first["refresh_token"],
        second["refresh_token"],
    ]
    assert all(r["client_id"] == "app" and r["status"] == 200 for r in records)

    # Strict mode: an already-used or never-issued refresh token is refused.
    reused = refresh(first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert refresh("never-issued").status_code == 400
    assert [r["status"] for r in server.token_requests()[2:]] == [400, 400]


def test_oauth2_authorization_code(oauth2_server_reset: OAuth2TestServer) -> None:  # noqa: F811
    server = oauth2_server_reset
    server.set_strict(True)
    # Never contacted: the redirect is not followed.
    redirect_uri = "http://127.0.0.1:9/callback"
    authorize = requests.get(
        server.authorize_url,
        params={
            "response_type": "code",
            "client_id": "app",
            "redirect_uri": redirect_uri,
            "state": "st-1",
            "scope": "openid offline_access",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert authorize.status_code == 302
    location = urlsplit(authorize.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    query = parse_qs(location.query)
    assert query["state"] == ["st-1"]
    code = query["code"][0]

    token = requests.post(
        server.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": "app",
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= body.keys()

    (record,) = server.token_requests()
    assert (record["grant_type"], record["code"], record["client_id"]) == (
        "authorization_code",
        code,
        "app",
    )
    assert record["response_refresh_token"] == body["refresh_token"]

    # Codes are single-use in strict mode.
    again = requests.post(
        server.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        },
        timeout=10,
    )
    assert again.status_code == 400


def test_oauth2_clear(oauth2_server: OAuth2TestServer) -> None:  # noqa: F811
    requests.post(oauth2_server.token_url, data={"grant_type": "client_credentials"}, timeout=10)
    assert oauth2_server.token_requests()
    oauth2_server.clear()
    assert oauth2_server.token_requests() == []
