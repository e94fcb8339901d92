"""Deprecated app versions: refused for new workflows (naming the replacement), kept for existing ones, reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.cli import main
from connectors.registry.db import session_scope
from connectors.spec import Catalog
from connectors.spec.deprecation import deprecation_notice
from connectors.workflows.store import apply_workflows
from connectors.workflows.validation import load_workflow

ROOT = Path(__file__).resolve().parents[3]
SHOPIFY = ROOT / "connectors" / "apps" / "shopify" / "1.0.0.yaml"
ORDER_WORKFLOW = ROOT / "include" / "workflows" / "eshopbox_delivered_to_shopify_event.yaml"


@pytest.fixture
def deprecated_shopify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """shopify@0.9.0: deprecated, sunset far ahead, replaced by 1.0.0 — in an extra apps folder."""
    folder = tmp_path / "apps" / "shopify"
    folder.mkdir(parents=True)
    text = SHOPIFY.read_text().replace(
        "version: 1.0.0",
        "version: 0.9.0\nstatus: deprecated\n"
        "deprecation: {sunset: 2099-01-01, replacement: 1.0.0, reason: API retired}",
    )
    (folder / "0.9.0.yaml").write_text(text)
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(tmp_path / "apps"))
    workflow = tmp_path / "old.yaml"
    workflow.write_text(ORDER_WORKFLOW.read_text().replace("shopify@1.0.0", "shopify@0.9.0"))
    return workflow


def test_new_workflow_on_a_deprecated_version_is_refused(deprecated_shopify: Path, sqlite_registry: str) -> None:
    result = CliRunner().invoke(main, ["workflows", "apply", "--allow-missing-connections", str(deprecated_shopify)])
    assert result.exit_code == 1
    assert "shopify@0.9.0 is deprecated and is sunset on 2099-01-01 (API retired); use shopify@1.0.0" in result.output
    assert "nothing applied" in result.output


def test_existing_workflow_on_a_deprecated_version_can_be_reapplied_and_is_reported(
    deprecated_shopify: Path, sqlite_registry: str
) -> None:
    spec = load_workflow(deprecated_shopify, Catalog.load())
    with session_scope() as session:  # it existed before the version was deprecated
        apply_workflows(session, [spec])
    runner = CliRunner()
    reapplied = runner.invoke(main, ["workflows", "apply", "--allow-missing-connections", str(deprecated_shopify)])
    assert reapplied.exit_code == 0
    usage = runner.invoke(main, ["apps", "usage", "shopify"]).output
    assert "shopify@0.9.0  (shopify@0.9.0 is deprecated and is sunset on 2099-01-01" in usage
    assert "  wf.demo.eshopbox_delivered_to_shopify_event" in usage


def test_notice_says_when_the_sunset_has_passed(deprecated_shopify: Path) -> None:
    old = Catalog.load().get("shopify@0.9.0")
    assert deprecation_notice(old, today=dt.date(2098, 12, 31)) == (
        "shopify@0.9.0 is deprecated and is sunset on 2099-01-01 (API retired); use shopify@1.0.0",
        False,
    )
    message, ended = deprecation_notice(old, today=dt.date(2099, 1, 1)) or ("", False)
    assert ended and message.startswith("shopify@0.9.0 was sunset on 2099-01-01")
    assert deprecation_notice(Catalog.load().get("shopify@1.0.0")) is None
