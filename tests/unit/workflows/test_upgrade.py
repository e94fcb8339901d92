"""`integrations workflows upgrade`: declared migrations applied, --dry-run changes nothing, refusals list every
reason, rollback returns to the previous pins, --all-on upgrades in bulk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connectors.cli import main
from connectors.registry.db import session_scope
from connectors.registry.models import Workflow
from tests.unit.registry.test_registry import LEGACY_STOCK, apply_seed_workflows, apply_workflow_files

SHOPIFY_2 = Path(__file__).resolve().parents[3] / "connectors" / "apps" / "shopify" / "2.0.0.yaml"
LEGACY = "eshopbox_stock_to_shopify_rest"  # the stock workflow as it was on shopify@1.0.0 (a test fixture)
STOCK = f"demo/{LEGACY}"


def stored(key: str) -> Workflow:
    with session_scope() as session:
        row = session.scalar(select(Workflow).where(Workflow.key == key))
        assert row is not None
        return row


def step_inputs(key: str, step: int = 0) -> dict[str, object]:
    return stored(key).definition["steps"][step]["inputs"]


@pytest.fixture
def seeded(sqlite_registry: str) -> None:
    """The seed workflows and the legacy REST stock workflow."""
    apply_seed_workflows(sqlite_registry)
    apply_workflow_files(sqlite_registry, [LEGACY_STOCK])


def test_dry_run_shows_the_migration_and_changes_nothing(seeded: None) -> None:
    before = stored(LEGACY)
    result = CliRunner().invoke(main, ["workflows", "upgrade", STOCK, "--to", "shopify@2.0.0", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "step set_available: shopify@1.0.0 -> shopify@2.0.0" in result.output
    assert "step set_available: input renamed available -> quantity" in result.output
    after = stored(LEGACY)
    assert (after.revision, after.definition) == (before.revision, before.definition)


def test_upgrade_applies_the_rename_and_rollback_restores_the_pin(seeded: None) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["workflows", "upgrade", STOCK, "--to", "shopify@2.0.0"]).exit_code == 0
    row = stored(LEGACY)
    assert row.revision == 2 and row.definition["steps"][0]["app"] == "shopify@2.0.0"
    assert step_inputs(LEGACY) == {
        "inventory_item_id": "{{ params.sku_map[trigger.sku] }}",
        "location_id": "{{ params.location_map[trigger.warehouseId] }}",
        "quantity": "{{ trigger.sellable }}",
    }
    assert f"wf.demo.{LEGACY}" in runner.invoke(main, ["apps", "usage", "shopify"]).output
    assert runner.invoke(main, ["workflows", "rollback", STOCK]).exit_code == 0
    back = stored(LEGACY)
    assert back.definition["steps"][0]["app"] == "shopify@1.0.0" and "available" in step_inputs(back.key)


def test_non_migratable_change_is_refused_with_every_reason(
    seeded: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "apps" / "shopify"
    folder.mkdir(parents=True)
    text = SHOPIFY_2.read_text().replace("version: 2.0.0", "version: 9.0.0")
    text = text.replace("  create_fulfillment_event:", "  create_fulfillment_event_removed:")  # gone in 9.0.0
    text = text.replace("properties:\n", "properties:\n  api_region: {required: true, help: New in 9.0.0}\n")
    (folder / "9.0.0.yaml").write_text(text)
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(tmp_path / "apps"))
    before = stored("eshopbox_delivered_to_shopify_event").definition
    result = CliRunner().invoke(
        main, ["workflows", "upgrade", "demo/eshopbox_delivered_to_shopify_event", "--to", "shopify@9.0.0"]
    )
    assert result.exit_code == 1
    assert "shopify@9.0.0 needs the new required property 'api_region' (no default)" in result.output
    assert "step delivered_event: action 'create_fulfillment_event' does not exist in shopify@9.0.0" in result.output
    assert "nothing upgraded" in result.output
    assert stored("eshopbox_delivered_to_shopify_event").definition == before


def definitions() -> dict[str, str]:
    with session_scope() as session:
        return {row.key: json.dumps(row.definition) for row in session.scalars(select(Workflow))}


def test_all_workflows_on_a_version_upgrade_together(seeded: None) -> None:
    before = definitions()
    on_1 = {key for key, text in before.items() if "shopify@1.0.0" in text}
    assert on_1 == {
        "shopify_order_to_eshopbox",
        "eshopbox_packed_to_shopify_fulfillment",
        "eshopbox_delivered_to_shopify_event",
        LEGACY,
    }
    result = CliRunner().invoke(main, ["workflows", "upgrade", "--all-on", "shopify@1.0.0", "--to", "shopify@2.0.0"])
    assert result.exit_code == 0, result.output
    after = definitions()
    assert all("shopify@1.0.0" not in after[key] and "shopify@2.0.0" in after[key] for key in on_1)
    assert {key: text for key, text in after.items() if key not in on_1} == {
        key: text for key, text in before.items() if key not in on_1
    }  # the others (the stock seed is on shopify@3.0.0) are left alone
