"""Who may reach what: the webhook routes are public and answer an unknown route exactly as a failed
verification; health and the API description need an Airflow login (a JWT from the api-server's
`POST /auth/token`, or the UI's `_token` cookie), checked by Airflow's own auth manager."""

from __future__ import annotations

import logging

import pytest

from tests.unit.webhooks.conftest import SHOPIFY_ROUTE, shopify_headers, shopify_order, shopify_signature

MANAGEMENT = ["/health", "/openapi.json", "/docs", "/redoc"]


@pytest.mark.parametrize("path", MANAGEMENT)
def test_management_routes_refuse_callers_without_an_airflow_login(start_receiver, fake_airflow, path):
    harness = start_receiver(fake_airflow, mounted=True)

    anonymous = harness.http.get(harness.base_url + path, timeout=10)
    forged = harness.http.get(harness.base_url + path, headers={"Authorization": "Bearer not.a.jwt"}, timeout=10)

    assert anonymous.status_code == 401
    assert forged.status_code in (401, 403)
    for response in (anonymous, forged):
        assert "inbox" not in response.text and "webhooks" not in response.text


@pytest.mark.parametrize("path", MANAGEMENT)
def test_management_routes_answer_an_airflow_user_by_token_or_ui_cookie(start_receiver, fake_airflow, path):
    harness = start_receiver(fake_airflow, mounted=True)
    harness.receiver.health.max_age = 0
    token = harness.token("viewer")

    by_header = harness.http.get(harness.base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    by_cookie = harness.http.get(harness.base_url + path, cookies={"_token": token}, timeout=10)

    assert by_header.status_code == by_cookie.status_code == 200, by_header.text
    if path == "/health":
        assert by_header.json()["inbox"]["received"] == 0
    if path in ("/docs", "/redoc"):  # the page fetches the description where the receiver is mounted
        assert "/integrations/openapi.json" in by_header.text


def test_the_studio_sends_a_browser_without_a_login_to_airflows_login_page_and_serves_a_logged_in_user(
    start_receiver, fake_airflow
):
    harness = start_receiver(fake_airflow, mounted=True)
    studio = harness.base_url + "/studio/"

    anonymous = harness.http.get(studio + "studio.js", timeout=10)
    browser = harness.http.get(studio, headers={"Accept": "text/html"}, timeout=10, allow_redirects=False)
    token = harness.token("viewer")
    page = harness.http.get(studio, cookies={"_token": token}, timeout=10)
    script = harness.http.get(studio + "studio.js", cookies={"_token": token}, timeout=10)
    schema = harness.http.get(studio + "app-version.schema.json", cookies={"_token": token}, timeout=10)
    outside = harness.http.get(studio + "..%2Fpages.py", cookies={"_token": token}, timeout=10)

    assert anonymous.status_code == 401 and "api/v1" not in anonymous.text
    assert browser.status_code == 303
    assert browser.headers["location"].startswith("/auth/login") and "studio" in browser.headers["location"]
    assert page.status_code == 200 and '<script src="studio.js">' in page.text
    assert script.headers["content-type"].startswith("text/javascript") and "/integrations/api/v1" in script.text
    assert "auth" in schema.json()["properties"]
    assert outside.status_code == 404


def test_the_api_description_lists_the_webhook_routes_as_public_and_health_as_logged_in(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow, mounted=True)
    token = harness.token("admin")

    schema = harness.http.get(harness.base_url + "/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()

    assert schema["servers"] == [{"url": "/integrations"}]
    paths = schema["paths"]
    assert {"/docs", "/redoc", "/openapi.json"}.isdisjoint(paths)
    assert paths["/health"]["get"]["security"]  # Airflow's OAuth2 / bearer schemes
    shopify = paths["/webhooks/shopify/order_created/{connection}"]["post"]
    assert shopify["security"] == []
    headers = {p["name"]: p["required"] for p in shopify["parameters"] if p["in"] == "header"}
    assert headers == {"X-Shopify-Hmac-Sha256": True, "X-Shopify-Webhook-Id": True, "X-Shopify-Topic": False}
    assert [p["name"] for p in shopify["parameters"] if p["in"] == "path"] == ["connection"]
    body = shopify["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "object" and body["properties"]["line_items"] == {"type": "array"}
    eshopbox = paths["/webhooks/eshopbox/shipment_updated/{connection}"]["post"]
    assert eshopbox["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "externalShipmentID",
        "status",
        "status_updated_at",
    ]
    generic = paths["/webhooks/{app}/{trigger}/{connection}"]["post"]
    assert [p["name"] for p in generic["parameters"]] == ["app", "trigger", "connection"]
    for operation in (shopify, eshopbox, generic, paths["/webhooks/workflows/{client}/{key}"]["post"]):
        assert {"200", "400", "401", "408", "413"} <= set(operation["responses"])


def test_a_receiver_given_its_own_access_check_uses_it_instead(start_receiver, fake_airflow):
    harness = start_receiver(fake_airflow, management_access=lambda: None)  # e.g. a benchmark's own process
    harness.receiver.health.max_age = 0
    assert harness.http.get(harness.base_url + "/health", timeout=10).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/shopify/order_created/someone_else",  # no workflow on that connection
        "/webhooks/shopify/orders_updated/demo_shopify",  # a polling trigger
        "/webhooks/nosuchapp/order_created/demo_shopify",
        "/webhooks/workflows/demo/no_such_workflow",
        "/webhooks/workflows/demo/eshopbox_stock_to_shopify",  # a polling workflow
    ],
)
def test_an_unknown_route_gets_the_same_answer_as_a_wrong_signature_but_the_log_tells_them_apart(
    start_receiver, fake_airflow, path, caplog
):
    harness = start_receiver(fake_airflow)
    body = shopify_order()
    wrong = {**shopify_headers(body), "X-Shopify-Hmac-Sha256": shopify_signature(body, "guessed-secret")}

    with caplog.at_level(logging.INFO, logger="connectors.webhooks"):
        unknown = harness.post(path, body, shopify_headers(body))
        forged = harness.post(SHOPIFY_ROUTE, body, wrong)

    assert unknown.status_code == forged.status_code == 401
    assert unknown.content == forged.content
    assert unknown.headers["content-type"] == forged.headers["content-type"]
    assert harness.events() == []
    logged = caplog.text
    assert f"webhook '{path.removeprefix('/webhooks/')}' refused: no enabled webhook workflow there" in logged
    assert "refused: signature in X-Shopify-Hmac-Sha256 does not match the body" in logged


def test_building_the_receiver_leaves_airflows_security_module_unimported():
    """Every Airflow process that loads the plugin builds the receiver (scheduler, workers); only the api-server
    serves it, so Airflow's security module (seconds to import) is imported at the first management request."""
    import subprocess
    import sys

    probe = (
        "import sys; from connectors.webhooks import WebhookSettings, create_app; "
        "create_app(WebhookSettings(db_url='sqlite://')); "
        "print(sorted(m for m in sys.modules if m.startswith('airflow.api_fastapi')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_a_receiver_running_on_its_own_accepts_the_api_servers_tokens(start_receiver, fake_airflow):
    from airflow.api_fastapi.app import purge_cached_app

    token = start_receiver(fake_airflow, mounted=True).token("viewer")  # issued by the api-server
    purge_cached_app()  # this process now has no auth manager, as a receiver started by uvicorn alone
    alone = start_receiver(fake_airflow)
    alone.receiver.health.max_age = 0

    anonymous = alone.http.get(alone.base_url + "/health", timeout=10)
    logged_in = alone.http.get(alone.base_url + "/health", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert anonymous.status_code == 401
    assert logged_in.status_code == 200, logged_in.text
