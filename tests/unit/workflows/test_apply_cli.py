"""`integrations workflows apply` checks the connections a workflow names against Airflow's (an `AIRFLOW_CONN_*`
variable, or the metadata database), and prepares a registry that was never migrated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import func, select

from connectors.cli import main
from connectors.registry.db import DB_URL_VARIABLE, alembic_config, migrate, session_scope
from connectors.registry.models import Workflow
from connectors.spec import AppDefinitionError, Catalog
from connectors.workflows.validation import load_workflow

SEEDS = Path(__file__).resolve().parents[3] / "include" / "workflows"
ORDER = SEEDS / "shopify_order_to_eshopbox.yaml"  # trigger on demo_shopify (line 8), a step on demo_eshopbox (13)


def airflow_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, conn_type: str) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": conn_type, "extra": {}}))


@pytest.fixture
def airflow_metadata_connections() -> Iterator[None]:
    """Airflow's `connection` table in this test process's metadata database, so that Airflow can answer "no such
    connection" (tests in tests/airflow may have migrated the database already; a table created here is dropped
    afterwards, leaving the database as other tests expect it)."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import inspect

    with create_session() as session:
        bind = session.get_bind()
    created = not inspect(bind).has_table(Connection.__tablename__)
    if created:
        Connection.__table__.create(bind)
    try:
        yield
    finally:
        if created:
            Connection.__table__.drop(bind)


def apply(*args: str) -> object:
    return CliRunner().invoke(main, ["workflows", "apply", *args])


def count_workflows() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Workflow)) or 0


# -- connections -------------------------------------------------------------------------------------------------


def test_a_connection_of_another_apps_type_is_refused(sqlite_registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    airflow_connection(monkeypatch, "demo_shopify", "integrations_shopify")
    airflow_connection(monkeypatch, "demo_eshopbox", "integrations_shopify")

    result = apply(str(ORDER))

    assert result.exit_code == 1, result.output
    assert (
        f"{ORDER}:13: steps[0].connection: connection 'demo_eshopbox' is of type 'integrations_shopify'; "
        "eshopbox@1.0.0 needs a connection of type 'integrations_eshopbox'"
    ) in result.output
    assert "nothing applied: 1 error(s)" in result.output
    assert count_workflows() == 0


def test_a_connection_that_does_not_exist_is_refused(
    sqlite_registry: str, monkeypatch: pytest.MonkeyPatch, airflow_metadata_connections: None
) -> None:
    airflow_connection(monkeypatch, "demo_eshopbox", "integrations_eshopbox")

    result = apply(str(ORDER))

    assert result.exit_code == 1, result.output
    assert (
        f"{ORDER}:8: trigger.connection: no Airflow connection 'demo_shopify' exists (create one of type "
        "'integrations_shopify' first, or apply with --allow-missing-connections)"
    ) in result.output
    assert count_workflows() == 0


def test_missing_connections_can_be_allowed_but_not_connections_of_the_wrong_type(
    sqlite_registry: str, monkeypatch: pytest.MonkeyPatch, airflow_metadata_connections: None
) -> None:
    result = apply("--allow-missing-connections", str(ORDER))
    assert result.exit_code == 0, result.output
    assert (
        "warning: these Airflow connections do not exist yet, runs that use them fail until they do: "
        "demo_eshopbox, demo_shopify"
    ) in result.output
    assert count_workflows() == 1

    airflow_connection(monkeypatch, "demo_shopify", "integrations_delhivery")
    refused = apply("--allow-missing-connections", str(ORDER))
    assert refused.exit_code == 1 and "connection 'demo_shopify' is of type 'integrations_delhivery'" in (
        refused.output
    )


def test_a_generic_connection_type_is_accepted_as_it_runs(
    sqlite_registry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    airflow_connection(monkeypatch, "demo_shopify", "generic")  # the hook reads its fields whatever its type
    airflow_connection(monkeypatch, "demo_eshopbox", "integrations")

    result = apply(str(ORDER))

    assert result.exit_code == 0, result.output


def test_connections_of_the_right_type_are_accepted(sqlite_registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    airflow_connection(monkeypatch, "demo_shopify", "integrations_shopify")
    airflow_connection(monkeypatch, "demo_eshopbox", "integrations_eshopbox")

    result = apply(str(ORDER))

    assert result.exit_code == 0, result.output
    assert "created   wf.demo.shopify_order_to_eshopbox" in result.output
    assert "warning" not in result.output


def test_when_airflow_cannot_say_the_workflow_is_applied_with_a_warning(sqlite_registry: str, tmp_path: Path) -> None:
    # a fresh Airflow home whose metadata database has no tables: a connection cannot be looked up, only warned about
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "INTEGRATIONS_DB_URL": sqlite_registry}
    env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    integrations = Path(sys.executable).parent / "integrations"
    result = subprocess.run([integrations, "workflows", "apply", str(ORDER)], env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "warning: connections not checked: Airflow's connections could not be read" in output
    assert "no such table: connection" in output
    assert count_workflows() == 1


def test_the_check_itself_takes_any_lookup(tmp_path: Path) -> None:
    types = {"demo_shopify": "integrations_shopify", "demo_eshopbox": "integrations_eshopbox_v2"}
    with pytest.raises(AppDefinitionError) as caught:
        load_workflow(ORDER, Catalog.load(), connection_types=types.get)
    assert [issue.path for issue in caught.value.issues] == ["steps[0].connection"]
    assert load_workflow(ORDER, Catalog.load(), connection_types=lambda _: None, allow_missing_connections=True)


# -- the registry database ---------------------------------------------------------------------------------------


def test_apply_on_a_registry_never_migrated_creates_its_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'registry.db'}"
    monkeypatch.setenv(DB_URL_VARIABLE, url)

    result = apply("--allow-missing-connections", str(ORDER))

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "no such table: workflows" not in result.output
    assert f"registry database at {url} had no schema: created it (integrations db migrate)" in result.output
    assert "created   wf.demo.shopify_order_to_eshopbox" in result.output
    assert count_workflows() == 1
    listed = CliRunner().invoke(main, ["workflows", "list"])
    assert "wf.demo.shopify_order_to_eshopbox" in listed.output and "had no schema" not in listed.output


def test_a_registry_behind_this_version_is_refused_saying_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0002")
    monkeypatch.setenv(DB_URL_VARIABLE, url)

    result = apply("--allow-missing-connections", str(ORDER))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert (
        f"the registry database at {url} has schema revision 0002; this version needs {head}: "
        "run `integrations db migrate`"
    ) in result.output


def test_a_database_with_other_tables_is_not_taken_for_an_empty_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE customers (id INTEGER)")
    monkeypatch.setenv(DB_URL_VARIABLE, f"sqlite:///{path}")

    result = CliRunner().invoke(main, ["events", "list"])

    assert result.exit_code == 1
    assert "has tables (customers) but no registry schema" in result.output
