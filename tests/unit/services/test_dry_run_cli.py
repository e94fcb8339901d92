"""`integrations workflows dry-run`: a workflow file or a stored workflow on a sample, printed for a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.cli import main
from tests.unit.registry.test_registry import apply_seed_workflows

ROOT = Path(__file__).resolve().parents[3]
PACKED = ROOT / "include" / "workflows" / "eshopbox_packed_to_shopify_fulfillment.yaml"
SHIPMENT = ROOT / "tests" / "fixtures" / "payloads" / "eshopbox_shipment_packed.json"
SHOPIFY = {"conn_type": "integrations_shopify", "extra": {"shop": "demo", "access_token": "shpat_cli_secret_42"}}


def dry_run(*args: str):
    return CliRunner().invoke(main, ["workflows", "dry-run", *args])


@pytest.fixture
def airflow_shopify(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Shopify connection and environment as Airflow has them (`AIRFLOW_CONN_*`, `AIRFLOW_VAR_*`)."""
    monkeypatch.setenv("AIRFLOW_CONN_DEMO_SHOPIFY", json.dumps(SHOPIFY))
    monkeypatch.setenv(
        "AIRFLOW_VAR_INTEGRATIONS_ENV__SHOPIFY__1_0_0", json.dumps({"ADMIN_BASE_URL": "http://shop.test"})
    )


def test_a_file_on_a_sample_prints_conditions_and_requests(sqlite_registry: str, airflow_shopify: None) -> None:
    result = dry_run(str(PACKED), "--sample", str(SHIPMENT), "--allow-missing-connections")
    assert result.exit_code == 0, result.output
    assert "sample: given" in result.output
    assert '✓ status equals "packed" (was "packed")' in result.output
    order = json.loads(SHIPMENT.read_text())["customerOrderNumber"]
    assert f"GET http://shop.test/admin/api/2024-10/orders/{order}/fulfillment_orders.json" in result.output
    assert "pending: needs the output of step fulfillment_order, known only when it is sent" in result.output
    assert "shpat_cli_secret_42" not in result.output and "X-Shopify-Access-Token" not in result.output


def test_a_failing_condition_is_marked_and_problems_exit_1(sqlite_registry: str, tmp_path: Path) -> None:
    sample = tmp_path / "dispatched.json"
    sample.write_text(json.dumps({**json.loads(SHIPMENT.read_text()), "status": "dispatched"}))
    result = dry_run(str(PACKED), "--sample", str(sample), "--allow-missing-connections")
    assert result.exit_code == 0, result.output
    assert '✗ status equals "packed" (was "dispatched")' in result.output
    assert "steps (not run for this sample):" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(PACKED.read_text().replace("search: find_fulfillment_orders", "search: find_nothing"))
    refused = dry_run(str(broken), "--sample", str(sample), "--allow-missing-connections")
    assert refused.exit_code == 1
    assert f"{broken}:" in refused.output and "steps[0].search" in refused.output
    apply_seed_workflows(sqlite_registry)
    no_sample = dry_run("wf.demo.delhivery_delivered_to_eshopbox")
    assert no_sample.exit_code == 1 and "no sample event: " in no_sample.output
