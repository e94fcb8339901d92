"""The Airflow plugin: mounted the way the api-server mounts `fastapi_apps`, started by Airflow's own lifespan,
verifying with a real Airflow Connection (from an `AIRFLOW_CONN_*` variable)."""

from __future__ import annotations

import importlib.util
import json

import requests
from fastapi import FastAPI

from tests.unit.webhooks.conftest import CONNECTIONS, ROOT, SHOPIFY_ROUTE, ServerThread, shopify_headers, shopify_order


def load_plugin_module():
    spec = importlib.util.spec_from_file_location(
        "integrations_plugin_test", ROOT / "plugins" / "integrations_plugin.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugin_mounts_the_receiver_and_airflows_lifespan_starts_it(registry, monkeypatch, airflow_auth):
    monkeypatch.setenv("INTEGRATIONS_WEBHOOK_DISPATCH", "false")
    extra = CONNECTIONS["demo_shopify"]
    monkeypatch.setenv("AIRFLOW_CONN_DEMO_SHOPIFY", json.dumps({"conn_type": "integrations_shopify", "extra": extra}))
    from airflow.api_fastapi.app import init_auth_manager, lifespan  # the api-server's lifespan enters mounted apps'

    [entry] = load_plugin_module().IntegrationsPlugin.fastapi_apps
    assert entry["url_prefix"] == "/integrations"
    host = FastAPI(lifespan=lifespan)
    init_auth_manager(host)
    host.mount(entry["url_prefix"], entry["app"])  # what airflow.api_fastapi.app.init_plugins does
    receiver = entry["app"].state.receiver
    assert receiver._started is False  # importing the plugin starts nothing

    server = ServerThread(host).start()
    try:
        assert receiver._started is True
        base = f"http://127.0.0.1:{server.port}/integrations"
        assert requests.get(base + "/health", timeout=5).status_code == 401  # Airflow's login, not public
        login = {"username": "viewer", "password": airflow_auth["viewer"]}
        token = requests.post(f"http://127.0.0.1:{server.port}/auth/token", json=login, timeout=5).json()
        health = requests.get(base + "/health", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5)
        assert health.json()["inbox"]["received"] == 0
        body = shopify_order()
        response = requests.post(base + SHOPIFY_ROUTE, data=body, headers=shopify_headers(body), timeout=5)
        assert response.status_code == 200, response.text
        assert len(response.json()["stored"]) == 1
        bad = requests.post(base + SHOPIFY_ROUTE, data=body, headers={"X-Shopify-Hmac-Sha256": "x"}, timeout=5)
        assert bad.status_code == 401
    finally:
        server.stop()
    assert receiver._started is False
