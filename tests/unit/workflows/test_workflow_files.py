"""Workflow files: validated against the app versions they use; applied all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from connectors.cli import main
from connectors.registry.db import session_scope
from connectors.registry.models import Workflow
from connectors.spec import AppDefinitionError, Catalog
from connectors.workflows.validation import load_workflow

SEEDS = Path(__file__).resolve().parents[3] / "include" / "workflows"
ORDER = SEEDS / "shopify_order_to_eshopbox.yaml"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "workflows"  # workflows only tests apply


def broken(tmp_path: Path, old: str, new: str, source: Path = ORDER) -> Path:
    text = source.read_text()
    assert old in text
    target = tmp_path / source.name
    target.write_text(text.replace(old, new, 1))
    return target


def issue_of(path: Path) -> str:
    with pytest.raises(AppDefinitionError) as caught:
        load_workflow(path, Catalog.load())
    return "\n".join(str(issue) for issue in caught.value.issues)


def test_every_seed_workflow_is_valid() -> None:
    catalog = Catalog.load()
    keys = {load_workflow(path, catalog).key for path in SEEDS.glob("*.yaml")}
    assert len(keys) == len(list(SEEDS.glob("*.yaml")))


def test_every_fixture_workflow_is_valid_and_keyed_by_its_file_name() -> None:
    catalog = Catalog.load()
    paths = list(FIXTURES.glob("*.yaml"))
    keys = {load_workflow(path, catalog).key for path in paths}
    assert keys == {path.stem for path in paths} != set()
    assert keys.isdisjoint(path.stem for path in SEEDS.glob("*.yaml"))  # applied next to the seeds


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("key: order_created", "key: order_created_typo", "trigger.key: shopify@1.0.0 has no trigger"),
        ("action: create_order", "action: create_ordr", "steps[0].action: eshopbox@1.0.0 has no action 'create_ordr'"),
        ("action: create_order", "action: ''", "steps[0].action: choose one of eshopbox@1.0.0's actions: create_order"),
        ("app: eshopbox@1.0.0", "app: eshopbox@9.9.9", "steps[0].app: unknown version '9.9.9' of app 'eshopbox'"),
        ("      customer_order_number:", "      customer_order_numbr:", "has no input 'customer_order_numbr'"),
        (
            "      order_total:",
            "      # order_total:",
            "required input 'order_total' of action 'create_order' is not mapped",
        ),
        (
            "{{ trigger.id }}",
            "{{ steps.later.id }}",
            "template uses 'steps.later', which is not defined before this step",
        ),
        ("{{ trigger.id }}", "{{ secrets.id }}", "template uses 'secrets'"),
        ("{{ line.sku }}", "{{ lines.sku }}", "template uses 'lines'"),
        (
            "connection: demo_eshopbox\n",
            "connectio: demo_eshopbox\n",
            "unknown key 'connectio' (did you mean 'connection'?)",
        ),
        ("  key: order_created\n", "  key: order_created\nschedule: '@hourly'\n", "schedule: webhook trigger"),
    ],
)
def test_broken_workflow_names_field_and_problem(tmp_path: Path, old: str, new: str, expected: str) -> None:
    message = issue_of(broken(tmp_path, old, new))
    assert expected in message
    assert message.startswith(f"{tmp_path / ORDER.name}:")


def test_polling_workflow_needs_a_schedule(tmp_path: Path) -> None:
    path = broken(tmp_path, 'schedule: "@hourly"\n', "", SEEDS / "eshopbox_stock_to_shopify.yaml")
    assert "schedule: polling trigger 'inventory_changed' needs a schedule" in issue_of(path)


def test_apply_is_all_or_nothing(tmp_path: Path, sqlite_registry: str) -> None:
    good = tmp_path / "good"
    shutil.copytree(SEEDS, good)
    bad = broken(tmp_path, "action: create_order", "action: nope")
    runner = CliRunner()
    refused = runner.invoke(main, ["workflows", "apply", "--allow-missing-connections", str(good), str(bad)])
    assert refused.exit_code == 1
    assert "has no action 'nope'" in refused.output and "nothing applied" in refused.output
    with session_scope(sqlite_registry) as session:
        assert session.scalar(select(func.count()).select_from(Workflow)) == 0
    applied = runner.invoke(main, ["workflows", "apply", "--allow-missing-connections", str(good)])
    assert applied.exit_code == 0, applied.output
    assert applied.output.count("created") == len(list(SEEDS.glob("*.yaml")))
    listed = runner.invoke(main, ["workflows", "list"])
    assert "wf.demo.shopify_order_to_eshopbox" in listed.output
    disabled = runner.invoke(main, ["workflows", "disable", "demo/shopify_order_to_eshopbox"])
    assert disabled.exit_code == 0
    with session_scope(sqlite_registry) as session:
        row = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert row is not None and row.enabled is False


def test_applying_a_changed_file_updates_the_row_and_its_steps(tmp_path: Path, sqlite_registry: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["workflows", "apply", "--allow-missing-connections", str(ORDER)]).exit_code == 0
    changed = broken(tmp_path, "payment_type: \"{{ 'COD'", "payment_type: \"{{ 'CashOnDelivery'")
    result = runner.invoke(main, ["workflows", "apply", "--allow-missing-connections", str(changed)])
    assert result.exit_code == 0, result.output
    assert "updated   wf.demo.shopify_order_to_eshopbox" in result.output
    with session_scope(sqlite_registry) as session:
        row = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert row is not None and row.revision == 2 and len(row.steps) == 1
        assert "CashOnDelivery" in row.steps[0].inputs["payment_type"]
