"""The DAG factory: one DAG per enabled workflow row, spread over the shard files, deterministic, lazy for workers,
robust to a bad row; a changed workflow asks Airflow to parse its shard file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from connectors.factory import register_shard, register_workflow_dags
from connectors.registry.dag_ids import SHARDS, shard_file, shard_of
from connectors.registry.db import session_scope
from connectors.registry.models import Workflow
from tests.unit.registry.test_registry import apply_seed_workflows

DAGS = Path(__file__).resolve().parents[2] / "dags"
SEEDS = Path(__file__).resolve().parents[2] / "include" / "workflows"


def test_one_dag_per_enabled_workflow_with_its_shape(sqlite_registry: str) -> None:
    apply_seed_workflows(sqlite_registry)
    dags = register_workflow_dags({})
    assert sorted(dags) == sorted(f"wf.demo.{path.stem}" for path in SEEDS.glob("*.yaml"))  # file name = key
    assert {
        "wf.demo.delhivery_delivered_to_eshopbox",
        "wf.demo.eshopbox_delivered_to_shopify_event",
        "wf.demo.eshopbox_packed_to_shopify_fulfillment",
        "wf.demo.eshopbox_stock_to_shopify",
        "wf.demo.shopify_order_to_eshopbox",
    } <= set(dags)
    packed = dags["wf.demo.eshopbox_packed_to_shopify_fulfillment"]
    assert packed.schedule is None
    assert [t.task_id for t in packed.topological_sort()] == ["process_events"]  # the steps run inside, per event
    assert set(packed.tags) == {"client:demo", "app:eshopbox", "app:shopify"}
    assert (
        "`status equals 'packed'`" in packed.doc_md
        and "search `shopify@1.0.0` find_fulfillment_orders" in packed.doc_md
    )
    stock = dags["wf.demo.eshopbox_stock_to_shopify"]
    assert [t.task_id for t in stock.topological_sort()] == ["poll", "process_events"]
    assert stock.timetable.expression == "0 * * * *"  # @hourly
    assert set(stock.tags) == {"client:demo", "app:eshopbox", "app:shopify"}
    assert "1. action `shopify@3.0.0` set_inventory_levels (connection `demo_shopify`)" in stock.doc_md


def test_disabled_workflow_has_no_dag(sqlite_registry: str) -> None:
    apply_seed_workflows(sqlite_registry)
    with session_scope(sqlite_registry) as session:
        session.execute(update(Workflow).where(Workflow.key == "shopify_order_to_eshopbox").values(enabled=False))
    assert "wf.demo.shopify_order_to_eshopbox" not in register_workflow_dags({})


def test_worker_builds_only_its_own_dag(sqlite_registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    apply_seed_workflows(sqlite_registry)
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "wf.demo.shopify_order_to_eshopbox")
    assert list(register_workflow_dags({})) == ["wf.demo.shopify_order_to_eshopbox"]
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "some_other_dag")
    assert register_workflow_dags({}) == {}
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "wf.demo.no_such_workflow")
    assert register_workflow_dags({}) == {}


def test_a_broken_row_shows_its_error_while_the_others_load(sqlite_registry: str) -> None:
    apply_seed_workflows(sqlite_registry)
    with session_scope(sqlite_registry) as session:
        session.execute(
            update(Workflow).where(Workflow.key == "eshopbox_stock_to_shopify").values(schedule="every tuesday")
        )
    dags = register_workflow_dags({})
    assert len(dags) == len(list(SEEDS.glob("*.yaml")))
    broken = dags["wf.demo.eshopbox_stock_to_shopify"]
    assert "broken" in broken.tags and "every tuesday" in broken.doc_md
    assert [t.task_id for t in dags["wf.demo.shopify_order_to_eshopbox"].tasks] == ["process_events"]


def test_dag_file_imports_cleanly_in_a_dagbag(sqlite_registry: str) -> None:
    from airflow.dag_processing.dagbag import DagBag

    apply_seed_workflows(sqlite_registry)
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert len(bag.dags) == len(list(SEEDS.glob("*.yaml")))


def test_no_registry_yet_means_no_dags_and_no_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRATIONS_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert register_workflow_dags({}) == {}


def test_workflow_on_a_deprecated_version_is_marked_on_its_dag(
    sqlite_registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.spec import Catalog
    from connectors.workflows.store import apply_workflows
    from connectors.workflows.validation import load_workflow

    shopify = DAGS.parent / "connectors" / "apps" / "shopify" / "1.0.0.yaml"
    folder = tmp_path / "apps" / "shopify"
    folder.mkdir(parents=True)
    (folder / "0.9.0.yaml").write_text(shopify.read_text().replace(
        "version: 1.0.0", "version: 0.9.0\nstatus: deprecated\ndeprecation: {sunset: 2099-01-01, replacement: 1.0.0}"
    ))  # fmt: skip
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(tmp_path / "apps"))
    seed = DAGS.parent / "include" / "workflows" / "eshopbox_delivered_to_shopify_event.yaml"
    old = tmp_path / "old.yaml"
    old.write_text(seed.read_text().replace("shopify@1.0.0", "shopify@0.9.0"))
    with session_scope(sqlite_registry) as session:  # a workflow that was on 0.9.0 before it was deprecated
        apply_workflows(session, [load_workflow(old, Catalog.load())])
    dag = register_workflow_dags({})["wf.demo.eshopbox_delivered_to_shopify_event"]
    assert "deprecated:shopify@0.9.0" in dag.tags
    assert "`shopify@0.9.0` is sunset on 2099-01-01" in dag.doc_md


# -- shards -------------------------------------------------------------------------------------------------------


def test_the_dags_folder_holds_one_file_per_shard() -> None:
    assert sorted(path.name for path in DAGS.glob("*.py")) == [shard_file(i) for i in range(SHARDS)]


def test_each_workflow_is_built_by_exactly_one_shard_file(sqlite_registry: str) -> None:
    apply_seed_workflows(sqlite_registry)
    built = [set(register_shard({}, str(DAGS / shard_file(i)))) for i in range(SHARDS)]
    everything = set(register_workflow_dags({}))
    assert sum(len(dags) for dags in built) == len(everything) and set().union(*built) == everything
    for index, dags in enumerate(built):
        assert all(shard_of(dag_id) == index for dag_id in dags)


def test_a_worker_parsing_another_shards_file_builds_nothing(
    sqlite_registry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_seed_workflows(sqlite_registry)
    dag_id = "wf.demo.shopify_order_to_eshopbox"
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", dag_id)
    own, other = shard_of(dag_id), (shard_of(dag_id) + 1) % SHARDS
    assert list(register_shard({}, shard_file(own))) == [dag_id]
    assert register_shard({}, shard_file(other)) == {}


def test_a_file_not_named_as_a_shard_is_refused() -> None:
    with pytest.raises(ValueError, match="shard_<index>_of_<count>.py"):
        register_shard({}, "integrations.py")


@pytest.mark.usefixtures("airflow_db")
def test_changing_a_workflow_asks_airflow_to_parse_only_its_shard_file(sqlite_registry: str) -> None:
    from airflow.models.dagbag import DagPriorityParsingRequest
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    from connectors.cli_db import registry_session
    from connectors.services.workflows import set_enabled

    def requested() -> list[str]:
        with create_session() as session:
            return sorted(session.scalars(select(DagPriorityParsingRequest.relative_fileloc)))

    with create_session() as session:
        session.execute(delete(DagPriorityParsingRequest))
    apply_seed_workflows(sqlite_registry)
    assert requested() == []  # applied without a watched session: nothing asked
    set_enabled(registry_session, "wf.demo.shopify_order_to_eshopbox", False)
    assert requested() == [shard_file(shard_of("wf.demo.shopify_order_to_eshopbox"))]
    set_enabled(registry_session, "wf.demo.shopify_order_to_eshopbox", True)  # the request is still pending
    assert requested() == [shard_file(shard_of("wf.demo.shopify_order_to_eshopbox"))]
