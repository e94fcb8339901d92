"""`integrations events`: a failed event is kept with its reason, shown with its steps, and replayed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connectors.cli import main
from connectors.registry.action_log import record_step
from connectors.registry.db import session_scope
from connectors.registry.inbox import set_status, store_event
from connectors.registry.models import ActionOutcome, Event, EventStatus, Workflow
from tests.unit.webhooks.fake_airflow import FakeAirflow


@pytest.fixture
def failed_event(registry: str) -> int:
    with session_scope(registry) as session:
        workflow = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert workflow is not None
        event, _ = store_event(session, workflow.id, "webhook-77", json.dumps({"id": 77, "name": "#1077"}).encode())
        reason = "PermanentError: request refused (POST /api/order -> 422): missing shippingAddress"
        record_step(
            session, workflow.id, "webhook-77", "create_order", ActionOutcome.FAILED, status_code=422, error=reason
        )
        set_status(session, event.id, EventStatus.FAILED, error="PermanentError: request refused")
        return event.id


def test_failed_event_is_listed_and_shown_with_its_reason(failed_event: int) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["events", "list", "--status", "failed"])
    assert listed.exit_code == 0, listed.output
    assert f"{failed_event:>6}  failed" in listed.output and "wf__demo__shopify_order_to_eshopbox" in listed.output
    shown = runner.invoke(main, ["events", "show", str(failed_event)])
    assert "step create_order: failed after 1 attempt(s): PermanentError" in shown.output
    assert '"name": "#1077"' in shown.output


def test_replay_triggers_a_new_run_for_the_same_event(
    failed_event: int, fake_airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", fake_airflow.url)
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_USERNAME", fake_airflow.username)
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_PASSWORD", fake_airflow.password)
    replayed = CliRunner().invoke(main, ["events", "replay", str(failed_event)])
    assert replayed.exit_code == 0, replayed.output
    (request,) = fake_airflow.requests
    assert request.dag_id == "wf__demo__shopify_order_to_eshopbox"
    assert request.body["conf"] == {"event_id": failed_event}
    assert request.body["dag_run_id"].startswith(f"event__{failed_event}__replay__")
    with session_scope() as session:
        event = session.get_one(Event, failed_event)
        assert (event.status, event.dag_run_id) == (EventStatus.TRIGGERED, request.body["dag_run_id"])


def test_replay_refused_by_airflow_leaves_the_event_failed(
    failed_event: int, fake_airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", fake_airflow.url)
    fake_airflow.mode = "unavailable"
    replayed = CliRunner().invoke(main, ["events", "replay", str(failed_event)])
    assert replayed.exit_code == 1 and "not replayed: unavailable" in replayed.output
    with session_scope() as session:
        assert session.get_one(Event, failed_event).status is EventStatus.FAILED
