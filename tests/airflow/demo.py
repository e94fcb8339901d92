"""The demo deployment inside a test process: seed workflows in a registry, demo connections and environment
variables pointing at a running sandbox (as `make run` sets them up, through env-var secrets here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.registry.test_registry import apply_seed_workflows

INCLUDE = Path(__file__).resolve().parents[2] / "include"


def configure_demo(monkeypatch: pytest.MonkeyPatch, registry_url: str, sandbox_url: str) -> dict[str, int]:
    """Set connections and variables for Airflow, apply the seed workflows; workflow ids by key."""
    connections = json.loads((INCLUDE / "connections" / "demo.json").read_text())
    for conn_id, connection in connections.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
    variables: dict[str, Any] = json.loads((INCLUDE / "variables" / "demo.json").read_text())
    for key, value in variables.items():
        text = json.dumps(value).replace("http://127.0.0.1:8900", sandbox_url)
        monkeypatch.setenv(f"AIRFLOW_VAR_{key.upper()}", text)
    from connectors.hooks import app

    app.token_store.cache_clear()
    return apply_seed_workflows(registry_url)


def eshopbox_orders_on(sandbox: Any, channel: str) -> dict[str, dict[str, Any]]:
    """The Eshopbox sandbox's orders on one sales channel, by customer order number."""
    orders = sandbox.control("eshopbox", "/state", method="GET")["orders"]
    return {o["customerOrderNumber"]: o for o in orders if o["externalChannelID"] == channel}
