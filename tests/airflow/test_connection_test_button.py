"""Airflow's Test button on the Connection form: Airflow builds the app's own hook from the connection's type and
calls `test_connection`, which sends the request the app declares (`auth.test`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow.models.connection import Connection

DEMO_CONNECTIONS = json.loads(
    (Path(__file__).resolve().parents[2] / "include" / "connections" / "demo.json").read_text()
)


def test_the_button_names_the_shop_for_good_credentials_and_says_why_for_bad(
    demo: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = Connection(conn_id="demo_shopify", conn_type="integrations_shopify")
    assert good.test_connection() == (True, "Connected to Shopify as Sandbox (demo.myshopify.com).")

    bad = json.loads(json.dumps(DEMO_CONNECTIONS["demo_shopify"]))
    bad["extra"]["access_token"] = "shpat_not_the_right_token"
    monkeypatch.setenv("AIRFLOW_CONN_BAD_SHOPIFY", json.dumps(bad))
    worked, message = Connection(conn_id="bad_shopify", conn_type="integrations_shopify").test_connection()
    assert not worked and "401" in message and "shpat_not_the_right_token" not in message


def test_the_button_on_an_app_without_a_test_request_says_so(demo: dict[str, int]) -> None:
    worked, message = Connection(conn_id="demo_delhivery", conn_type="integrations_delhivery").test_connection()
    assert not worked and "declares no `auth.test` request" in message
