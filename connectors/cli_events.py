"""`integrations events ...`: the inbox — list events, show one, replay one through a new DAG run."""

from __future__ import annotations

import datetime as dt
import json

import click
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.inbox import set_status
from connectors.registry.models import ActionLogEntry, Event, EventStatus, Workflow
from connectors.workflows.store import find_workflow


@click.group()
def events() -> None:
    """The events inbox: list, show, replay."""


@events.command("list")
@click.option("--workflow", "reference", help="Only this workflow (id, dag_id or client/key).")
@click.option("--status", type=click.Choice([s.value for s in EventStatus]), help="Only events in this status.")
@click.option("--limit", default=50, show_default=True)
def events_list(reference: str | None, status: str | None, limit: int) -> None:
    with session_scope() as session:
        query = select(Event, Workflow).join(Workflow, Event.workflow_id == Workflow.id).order_by(Event.id.desc())
        if reference:
            query = query.where(Event.workflow_id == find_workflow(session, reference).id)
        if status:
            query = query.where(Event.status == EventStatus(status))
        click.echo(f"{'ID':>6}  {'STATUS':10}  {'RECEIVED':20}  {'DAG':48}  ERROR")
        for event, workflow in session.execute(query.limit(limit)):
            received = event.received_at.strftime("%Y-%m-%d %H:%M:%S")
            error = (event.error or "")[:80]
            click.echo(f"{event.id:>6}  {event.status.value:10}  {received:20}  {workflow.dag_id:48}  {error}")


@events.command("show")
@click.argument("event_id", type=int)
def events_show(event_id: int) -> None:
    """One event: payload, status, and what each step did (the action log)."""
    with session_scope() as session:
        event = session.get(Event, event_id)
        if event is None:
            raise click.ClickException(f"no event {event_id}")
        steps = session.scalars(
            select(ActionLogEntry).where(
                ActionLogEntry.workflow_id == event.workflow_id, ActionLogEntry.event_key == event.dedupe_key
            )
        ).all()
        click.echo(f"# event {event.id} ({event.dedupe_key}): {event.status.value}, run {event.dag_run_id}")
        if event.error:
            click.echo(f"# error: {event.error}")
        for step in steps:
            detail = step.error or json.dumps((step.result or {}).get("value"), default=str)[:200]
            click.echo(f"# step {step.step_key}: {step.outcome.value} after {step.attempts} attempt(s): {detail}")
        click.echo(json.dumps(json.loads(event.payload), indent=2))


@events.command("replay")
@click.argument("event_id", type=int)
def events_replay(event_id: int) -> None:
    """Run the event's workflow again through Airflow's REST API. Steps already done are not sent again."""
    from connectors.webhooks.dispatcher import TRIGGERED, AirflowApi, Dispatch
    from connectors.webhooks.settings import WebhookSettings

    with session_scope() as session:
        event = session.get(Event, event_id)
        if event is None:
            raise click.ClickException(f"no event {event_id}")
        workflow = session.get_one(Workflow, event.workflow_id)
        dag_id, key = workflow.dag_id, event.dedupe_key
    if workflow.schedule:
        raise click.ClickException("events of polling workflows are replayed by clearing or backfilling their run")
    settings = WebhookSettings.from_env()
    api = AirflowApi(settings.airflow_api_url, settings.airflow_username, settings.airflow_password)
    run_id = f"event__{event_id}__replay__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    outcome = api.trigger(Dispatch(event_id, dag_id, f"replay of {key}", run_id=run_id))
    if outcome.kind != TRIGGERED:
        raise click.ClickException(f"not replayed: {outcome.kind} {outcome.detail}")
    with session_scope() as session:
        set_status(session, event_id, EventStatus.TRIGGERED, error=None, dag_run_id=run_id)
    click.echo(f"replaying event {event_id} as run {run_id} of {dag_id}")
