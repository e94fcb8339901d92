"""dynamics_nav@1.0.0 through our runtime against the sandbox (Digest as requests answers challenges): the searches,
find-or-create of a sales order with its lines (deep insert into SalesOrderSalesLines), a stale nonce handled
without the caller noticing, a wrong password asking for reconnect; and the app's Digest against httpbin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.request import RenderedRequest
from connectors.runtime.steps import run_action as run_step
from connectors.sandbox import SandboxServer
from tests.unit.sandbox.business_central.api import COMPANY, DEMO, dynamics_nav, state
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.test_apps_against_sandbox import run_action


def nav(sandbox: Sandbox, **kwargs: str) -> AppClient:
    return dynamics_nav(f"{sandbox.url}/business_central/nav", **kwargs)


def test_the_company_name_is_a_quoted_literal_in_the_base_url(sandbox: Sandbox) -> None:
    client = dynamics_nav("https://nav.example.com:7048")
    assert client.base_url == "https://nav.example.com:7048/DynamicsNAV110/ODataV4/Company(%27CRONUS%20India%20Ltd.%27)"


def test_find_item_reads_inventory_through_digest(sandbox: Sandbox) -> None:
    found = run_action(nav(sandbox), "find_item", {"number": "ESB-TEE-BLUE-L"}).json()["value"]
    assert [(i["No"], i["Inventory"], i["Unit_Price"]) for i in found] == [("ESB-TEE-BLUE-L", 25, 549)]


def test_create_sales_order_inserts_its_lines_and_is_found_the_second_time(sandbox: Sandbox) -> None:
    client = nav(sandbox, connection="nav-create")
    lines = [{"Type": "Item", "No": "ESB-TEE-RED-M", "Quantity": 3, "Unit_Price": 450}]
    inputs = {"external_document_number": "SHOP-1001", "customer_number": "C-ESHOPBOX", "order_date": "2026-11-20",
              "ship_to_name": "Asha Rao", "ship_to_city": "Bengaluru", "lines": lines}  # fmt: skip
    created = run_step(client, "create_sales_order", inputs)
    again = run_step(client, "create_sales_order", inputs)
    assert (created.outcome, again.outcome) == ("succeeded", "found")
    assert again.result["No"] == created.result["No"]
    assert [(line["No"], line["Quantity"], line["Line_Amount"]) for line in again.result["SalesOrderSalesLines"]] == [
        ("ESB-TEE-RED-M", 3, 1350)
    ]
    orders = state(sandbox)["nav_companies"][COMPANY]["sales_orders"]
    assert [(o["externalDocumentNumber"], o["customerNumber"]) for o in orders] == [("SHOP-1001", "C-ESHOPBOX")]


def test_a_stale_nonce_is_renewed_without_the_caller_noticing(sandbox: Sandbox) -> None:
    client = nav(sandbox, connection="nav-stale")
    assert run_action(client, "find_item", {"number": "ESB-MUG-WHITE"}).status_code == 200
    challenges = state(sandbox)["digest_challenges"]
    assert run_action(client, "find_item", {"number": "ESB-MUG-WHITE"}).status_code == 200  # the nonce is reused
    assert state(sandbox)["digest_challenges"] == challenges
    sandbox.control("business_central", "/nav/expire_nonces")
    assert run_action(client, "find_item", {"number": "ESB-MUG-WHITE"}).status_code == 200
    assert state(sandbox)["digest_challenges"] == challenges + 1


def test_a_wrong_password_asks_for_reconnect(sandbox: Sandbox) -> None:
    with pytest.raises(AuthExpiredError):
        run_action(nav(sandbox, password="wrong-password", connection="nav-wrong"), "find_item", {"number": "X"})


def test_the_apps_digest_auth_is_accepted_by_httpbin(httpbin_url: str) -> None:
    """The same auth block against a Digest server nobody here wrote (the NAV server stands at httpbin's host)."""
    client = dynamics_nav(httpbin_url)
    path = f"/digest-auth/auth/{DEMO.nav_username}/{DEMO.nav_password}/MD5"
    response = client.send(RenderedRequest("GET", httpbin_url + path))
    assert response.json() == {"authenticated": True, "user": DEMO.nav_username}
    with pytest.raises(AuthExpiredError):
        dynamics_nav(httpbin_url, password="wrong-password").send(RenderedRequest("GET", httpbin_url + path))


@pytest.fixture(scope="module")
def sha256_server() -> Iterator[Sandbox]:
    """A NAV server whose Digest challenge asks for SHA-256."""
    with SandboxServer(fast_config(business_central={"nav_algorithm": "SHA-256"})) as server:
        yield Sandbox(server)


def test_a_sha256_challenge_is_answered_with_sha256(sha256_server: Sandbox) -> None:
    sha256_server.state.reset()
    challenge = sha256_server.http.get(
        f"{sha256_server.url}/business_central/nav/DynamicsNAV110/ODataV4/Company", timeout=10
    )
    assert "algorithm=SHA-256" in challenge.headers["WWW-Authenticate"]
    found = run_action(nav(sha256_server, connection="nav-sha256"), "find_item", {"number": "ESB-MUG-WHITE"})
    assert found.json()["value"][0]["Inventory"] == 60
