"""Tasks on a deprecated app version warn in their log; past the sunset they fail before sending anything."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.hooks import app as app_hooks
from connectors.runtime.errors import ConfigurationError

SHOPIFY = Path(__file__).resolve().parents[2] / "connectors" / "apps" / "shopify" / "1.0.0.yaml"


@pytest.fixture
def old_shopify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for version, sunset in (("0.8.0", "2020-01-01"), ("0.9.0", "2099-01-01")):
        folder = tmp_path / "apps" / "shopify"
        folder.mkdir(parents=True, exist_ok=True)
        text = SHOPIFY.read_text().replace(
            "version: 1.0.0",
            f"version: {version}\nstatus: deprecated\ndeprecation: {{sunset: {sunset}, replacement: 1.0.0}}",
        )
        (folder / f"{version}.yaml").write_text(text)
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(tmp_path / "apps"))
    extra = {"shop": "demo", "access_token": "shpat_lifecycle_token", "webhook_secret": "whsec_lifecycle"}
    monkeypatch.setenv(
        "AIRFLOW_CONN_LIFECYCLE_SHOPIFY", json.dumps({"conn_type": "integrations_shopify", "extra": extra})
    )
    app_hooks.catalog.cache_clear()
    yield
    app_hooks.catalog.cache_clear()


def test_deprecated_version_warns(old_shopify: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        client = app_hooks.AppHook("shopify@0.9.0", "lifecycle_shopify").get_client()
    assert client.spec.version == "0.9.0"
    assert "shopify@0.9.0 is deprecated and is sunset on 2099-01-01; use shopify@1.0.0" in caplog.text


def test_sunset_version_fails_before_any_request(old_shopify: None) -> None:
    with pytest.raises(ConfigurationError, match="shopify@0.8.0 was sunset on 2020-01-01; use shopify@1.0.0"):
        app_hooks.AppHook("shopify@0.8.0", "lifecycle_shopify").get_client()
