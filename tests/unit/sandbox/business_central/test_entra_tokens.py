"""Business Central's auth, as the sandbox answers it and as business_central@1.0.0 uses it: Entra ID's
client_credentials grant and its AADSTS refusals, BC's 401 for a missing, foreign or expired token, and the runtime
obtaining one token and renewing it once after a 401."""

from __future__ import annotations

import pytest

from connectors.runtime.errors import AuthExpiredError
from tests.unit.sandbox.business_central.api import DEMO, bc_api, business_central, state, token, token_call
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.test_apps_against_sandbox import run_action


def test_client_credentials_grant_issues_a_bearer_token_bc_accepts(sandbox: Sandbox) -> None:
    response = token_call(sandbox)
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["ext_expires_in"]) == ("Bearer", 3599, 3599)
    items = bc_api(sandbox, "/items", body["access_token"])
    assert items.status_code == 200
    assert {item["number"] for item in items.json()["value"]} == {"ESB-TEE-RED-M", "ESB-TEE-BLUE-L", "ESB-MUG-WHITE"}


@pytest.mark.parametrize(
    ("fields", "status", "error", "code"),
    [
        ({"client_secret": "the-secret-id-not-its-value"}, 401, "invalid_client", 7000215),
        ({"client_id": "11111111-2222-3333-4444-555555555555"}, 400, "unauthorized_client", 700016),
        ({"scope": "https://api.businesscentral.dynamics.com"}, 400, "invalid_scope", 1002012),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
    ],
)
def test_token_endpoint_refusals_are_entra_id_bodies(
    sandbox: Sandbox, fields: dict[str, str], status: int, error: str, code: int
) -> None:
    response = token_call(sandbox, **fields)
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (status, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ") and "Correlation ID: " in body["error_description"]
    assert "access_token" not in body


def test_an_unknown_tenant_is_refused_before_the_client_is_checked(sandbox: Sandbox) -> None:
    response = token_call(sandbox, tenant="contoso.onmicrosoft.com", client_secret="wrong")
    assert (response.status_code, response.json()["error_codes"]) == (400, [90002])


@pytest.mark.parametrize("credentials", ["none", "tampered", "expired"])
def test_bc_refuses_a_missing_tampered_or_expired_token_with_401(sandbox: Sandbox, credentials: str) -> None:
    access_token: str | None = token(sandbox)
    if credentials == "none":
        access_token = None
    elif credentials == "tampered":
        access_token = f"{access_token}x"
    else:
        sandbox.control("business_central", "/expire_tokens")
    response = bc_api(sandbox, "/items", access_token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Authentication_InvalidCredentials"
    assert response.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")


def test_a_token_of_one_tenant_is_refused_in_another(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/business_central/v2.0/other.onmicrosoft.com/Production/api/v2.0/companies"
    response = sandbox.http.get(url, headers={"Authorization": f"Bearer {token(sandbox)}"}, timeout=10)
    assert response.status_code == 401


def test_the_app_gets_one_token_and_renews_it_once_after_a_401(sandbox: Sandbox) -> None:
    client = business_central(sandbox, connection="bc-renewal")
    for _ in range(2):
        assert run_action(client, "find_item", {"number": "ESB-MUG-WHITE"}).json()["value"][0]["inventory"] == 60
    assert state(sandbox)["token_calls"] == 1
    sandbox.control("business_central", "/expire_tokens")
    assert run_action(client, "find_item", {"number": "ESB-MUG-WHITE"}).status_code == 200
    assert state(sandbox)["token_calls"] == 2


def test_a_wrong_client_secret_asks_for_reconnect_without_showing_it(sandbox: Sandbox) -> None:
    client = business_central(sandbox, secret="wrong-secret-value", connection="bc-wrong")
    with pytest.raises(AuthExpiredError, match="AADSTS7000215") as refused:
        run_action(client, "find_item", {"number": "ESB-MUG-WHITE"})
    assert "wrong-secret-value" not in str(refused.value) and DEMO.client_secret not in str(refused.value)
