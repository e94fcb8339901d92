"""`integrations status`: Airflow's components, the inbox backlog and failed events; exit 1 when degraded."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connectors.cli import main
from connectors.registry.db import session_scope
from connectors.registry.models import Event, EventStatus, Workflow, utcnow
from tests.unit.webhooks.fake_airflow import FakeAirflow


@pytest.fixture
def airflow(fake_airflow: FakeAirflow, registry: str, monkeypatch: pytest.MonkeyPatch) -> FakeAirflow:
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", fake_airflow.url)
    return fake_airflow


def add_event(status: EventStatus, age: dt.timedelta, error: str | None = None) -> None:
    with session_scope() as session:
        workflow = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert workflow is not None
        session.add(Event(workflow_id=workflow.id, dedupe_key=f"k-{status}-{age}", payload=b"{}", headers={},
                          status=status, error=error, received_at=utcnow() - age))  # fmt: skip


def test_a_healthy_platform_exits_0_and_names_what_waits(airflow: FakeAirflow) -> None:
    add_event(EventStatus.RECEIVED, dt.timedelta(seconds=30))
    add_event(EventStatus.FAILED, dt.timedelta(hours=1), "PermanentError: request refused")
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    assert "status: ok" in result.output
    assert "airflow scheduler: healthy (heartbeat 2026-11-30T10:00:00+00:00)" in result.output
    assert "inbox: 1 waiting, 0 running, 1 failed; oldest waiting 30 s" in result.output
    assert "warning: 1 failed events (integrations events list --status failed)" in result.output


def test_a_dead_scheduler_or_a_stuck_backlog_exits_1(airflow: FakeAirflow) -> None:
    airflow.health["dag_processor"] = {"status": "unhealthy", "latest_dag_processor_heartbeat": "2026-11-30T09:00"}
    add_event(EventStatus.RECEIVED, dt.timedelta(minutes=20))
    result = CliRunner().invoke(main, ["status", "--json"])
    assert result.exit_code == 1
    answer = json.loads(result.output)
    assert answer["status"] == "degraded"
    assert answer["problems"][0] == "Airflow dag_processor is unhealthy (last heartbeat 2026-11-30T09:00)"
    assert answer["problems"][1].startswith("inbox backlog stuck: 1 events, oldest 1200")


def test_airflow_not_answering_is_a_problem(registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.unit.webhooks.conftest import free_port

    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1 and "problem: Airflow api-server did not answer: ConnectionError" in result.output


def test_events_waiting_for_a_backoff_or_a_schedule_are_not_a_stuck_backlog(airflow: FakeAirflow) -> None:
    with session_scope() as session:
        polling = session.scalar(select(Workflow).where(Workflow.key == "eshopbox_stock_to_shopify"))
        webhook = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert polling is not None and webhook is not None
        long_ago = utcnow() - dt.timedelta(hours=2)
        session.add(
            Event(workflow_id=polling.id, dedupe_key="polled", payload=b"{}", headers={}, received_at=long_ago)
        )  # its next scheduled run takes it
        session.add(Event(workflow_id=webhook.id, dedupe_key="retry", payload=b"{}", headers={},
                          received_at=long_ago, not_before=utcnow() + dt.timedelta(minutes=5)))  # fmt: skip
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    assert "inbox: 2 waiting, 0 running, 0 failed" in result.output and "oldest waiting" not in result.output


def test_an_open_circuit_is_a_warning_naming_the_app_and_connection(airflow: FakeAirflow) -> None:
    from connectors.registry.circuits import trip
    from connectors.registry.db import get_engine

    with get_engine().begin() as connection:
        trip(connection, ("eshopbox", "demo_eshopbox"), "RetriesExhaustedError: 503", lambda _: dt.timedelta(minutes=5))
    result = CliRunner().invoke(main, ["status", "--json"])
    answer = json.loads(result.output)
    assert result.exit_code == 0, result.output  # waiting out an app's outage is not the platform's problem
    assert [(c["app"], c["connection"], c["state"], c["trips"]) for c in answer["circuits"]] == [
        ("eshopbox", "demo_eshopbox", "open", 1)
    ]
    assert any(
        w.startswith("circuit open: eshopbox on connection demo_eshopbox failed 1 time(s)") for w in answer["warnings"]
    )


def test_a_registry_never_migrated_says_what_to_run(airflow: FakeAirflow, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INTEGRATIONS_DB_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "problem: registry database has no schema: run `integrations db migrate`" in result.output
