"""`integrations events`: a failed event is kept with its reason, shown with its steps, and replayed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connectors.cli import main
from connectors.registry.action_log import record_step
from connectors.registry.db import session_scope
from connectors.registry.inbox import NewEvent, store_events
from connectors.registry.models import ActionOutcome, Event, EventStatus, Workflow
from tests.unit.webhooks.fake_airflow import FakeAirflow


@pytest.fixture
def failed_event(registry: str) -> int:
    with session_scope(registry) as session:
        workflow = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert workflow is not None
        payload = json.dumps({"id": 77, "name": "#1077"}).encode()
        (stored,) = store_events(session.connection(), [NewEvent(workflow.id, "webhook-77", payload)])
        event = session.get_one(Event, stored.event_id)
        reason = "PermanentError: request refused (POST /api/order -> 422): missing shippingAddress"
        record_step(
            session, workflow.id, "webhook-77", "create_order", ActionOutcome.FAILED, status_code=422, error=reason
        )
        event.status, event.error, event.attempts = EventStatus.FAILED, "PermanentError: request refused", 3
        event.dag_run_id = "drain__1__20261130T100000000000"
        return event.id


def test_failed_event_is_listed_and_shown_with_its_reason(failed_event: int) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["events", "list", "--status", "failed"])
    assert listed.exit_code == 0, listed.output
    assert f"{failed_event:>6}  failed         3" in listed.output
    assert "wf.demo.shopify_order_to_eshopbox" in listed.output
    by_run = runner.invoke(main, ["events", "list", "--run", "drain__1__20261130T100000000000"])
    assert f"{failed_event:>6}  failed" in by_run.output
    assert f"{failed_event:>6}" not in runner.invoke(main, ["events", "list", "--run", "drain__2__x"]).output
    shown = runner.invoke(main, ["events", "show", str(failed_event)])
    assert "step create_order: failed after 1 attempt(s): PermanentError" in shown.output
    assert "# run drain__1__20261130T100000000000 of wf.demo.shopify_order_to_eshopbox" in shown.output
    assert '"name": "#1077"' in shown.output


def test_replay_puts_the_event_back_in_the_queue_and_wakes_its_workflow(
    failed_event: int, fake_airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", fake_airflow.url)
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_USERNAME", fake_airflow.username)
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_PASSWORD", fake_airflow.password)
    replayed = CliRunner().invoke(main, ["events", "replay", str(failed_event)])
    assert replayed.exit_code == 0, replayed.output
    (request,) = fake_airflow.requests
    assert request.dag_id == "wf.demo.shopify_order_to_eshopbox"
    assert request.body["conf"] == {"woken_by_event": failed_event}
    assert request.body["dag_run_id"].startswith(f"drain__{failed_event}__")
    with session_scope() as session:
        event = session.get_one(Event, failed_event)
        assert (event.status, event.attempts, event.error) == (EventStatus.RECEIVED, 0, None)


def test_replay_while_airflow_is_down_leaves_the_event_queued_for_the_sweeper(
    failed_event: int, fake_airflow: FakeAirflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", fake_airflow.url)
    fake_airflow.mode = "unavailable"
    replayed = CliRunner().invoke(main, ["events", "replay", str(failed_event)])
    assert replayed.exit_code == 0 and "back in the queue; Airflow did not take a run now" in replayed.output
    with session_scope() as session:
        assert session.get_one(Event, failed_event).status is EventStatus.RECEIVED


def test_an_event_a_run_holds_is_not_replayed(failed_event: int, fake_airflow: FakeAirflow, monkeypatch) -> None:
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", fake_airflow.url)
    with session_scope() as session:
        session.get_one(Event, failed_event).status = EventStatus.RUNNING
    replayed = CliRunner().invoke(main, ["events", "replay", str(failed_event)])
    assert replayed.exit_code == 1 and "is being processed by run drain__1__20261130T100000000000" in replayed.output
    assert fake_airflow.requests == []
