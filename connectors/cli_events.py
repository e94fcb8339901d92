"""`integrations events ...`: the inbox — list events, show one, replay one through a new DAG run."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from connectors.registry.db import session_scope
from connectors.registry.inbox import requeue_event
from connectors.registry.models import ActionLogEntry, Event, EventStatus, Workflow
from connectors.workflows.store import find_workflow


@click.group()
def events() -> None:
    """The events inbox: list, show, replay."""


@events.command("list")
@click.option("--workflow", "reference", help="Only this workflow (id, dag_id or client/key).")
@click.option("--status", type=click.Choice([s.value for s in EventStatus]), help="Only events in this status.")
@click.option("--run", "dag_run_id", help="Only the events this DAG run claimed.")
@click.option("--limit", default=50, show_default=True)
def events_list(reference: str | None, status: str | None, dag_run_id: str | None, limit: int) -> None:
    with session_scope() as session:
        query = select(Event, Workflow).join(Workflow, Event.workflow_id == Workflow.id).order_by(Event.id.desc())
        if reference:
            query = query.where(Event.workflow_id == find_workflow(session, reference).id)
        if status:
            query = query.where(Event.status == EventStatus(status))
        if dag_run_id:
            query = query.where(Event.dag_run_id == dag_run_id)
        click.echo(f"{'ID':>6}  {'STATUS':9}  {'TRIES':>5}  {'RECEIVED':19}  {'DAG':40}  {'RUN':36}  ERROR")
        for event, workflow in session.execute(query.limit(limit)):
            received = event.received_at.strftime("%Y-%m-%d %H:%M:%S")
            error = (event.error or "")[:80]
            click.echo(
                f"{event.id:>6}  {event.status.value:9}  {event.attempts:>5}  {received:19}  {workflow.dag_id:40}  "
                f"{event.dag_run_id or '-':36}  {error}"
            )


@events.command("show")
@click.argument("event_id", type=int)
def events_show(event_id: int) -> None:
    """One event: payload, status, its run, and what each step did (the action log)."""
    with session_scope() as session:
        event = session.get(Event, event_id)
        if event is None:
            raise click.ClickException(f"no event {event_id}")
        workflow = session.get_one(Workflow, event.workflow_id)
        steps = session.scalars(
            select(ActionLogEntry).where(
                ActionLogEntry.workflow_id == event.workflow_id, ActionLogEntry.dedupe_key == event.dedupe_key
            )
        ).all()
        click.echo(f"# event {event.id} ({event.dedupe_key}): {event.status.value} after {event.attempts} attempt(s)")
        if event.dag_run_id:
            click.echo(f"# run {event.dag_run_id} of {workflow.dag_id} (its task log: task process_events)")
        if event.not_before and event.status == EventStatus.RECEIVED:
            click.echo(f"# waiting to be retried from {event.not_before:%Y-%m-%d %H:%M:%S}")
        if event.error:
            click.echo(f"# error: {event.error}")
        for step in steps:
            detail = step.error or json.dumps((step.result or {}).get("value"), default=str)[:200]
            click.echo(f"# step {step.step_key}: {step.outcome.value} after {step.attempts} attempt(s): {detail}")
        click.echo(json.dumps(json.loads(event.payload), indent=2))


@events.command("replay")
@click.argument("event_id", type=int)
def events_replay(event_id: int) -> None:
    """Put the event back in its workflow's queue and wake the workflow. Steps already done are not sent again."""
    from connectors.webhooks.airflow_api import EXISTS, TRIGGERED, AirflowApi
    from connectors.webhooks.dispatcher import drain_run_id
    from connectors.webhooks.settings import WebhookSettings

    with session_scope() as session:
        try:
            event = requeue_event(session, event_id)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        workflow = session.get_one(Workflow, event.workflow_id)
        dag_id, polling = workflow.dag_id, bool(workflow.schedule)
    if polling:
        click.echo(f"event {event_id} is back in the queue of {dag_id}: its next scheduled run takes it")
        return
    settings = WebhookSettings.from_env()
    api = AirflowApi(settings.airflow_api_url, settings.airflow_username, settings.airflow_password)
    run_id = drain_run_id(event_id)
    outcome = api.trigger(dag_id, run_id, {"woken_by_event": event_id}, f"replay of event {event_id}")
    if outcome.kind in (TRIGGERED, EXISTS):
        click.echo(f"replaying event {event_id} in run {run_id} of {dag_id}")
    else:
        click.echo(f"event {event_id} is back in the queue; Airflow did not take a run now ({outcome.kind}: "
                   f"{outcome.detail}), the dispatcher's sweeper wakes {dag_id} later")  # fmt: skip
