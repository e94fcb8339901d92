"""`integrations events ...`: the inbox — list events, show one, replay one or a workflow's failed events."""

from __future__ import annotations

import datetime as dt
import json
import re

import click
from sqlalchemy import select

from connectors.cli_db import registry_session
from connectors.registry.inbox import failed_events, requeue_event, requeue_failed_events, unknown_outcome
from connectors.registry.models import ActionLogEntry, Event, EventStatus, Workflow, utcnow
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
    with registry_session() as session:
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
    with registry_session() as session:
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
@click.argument("event_id", type=int, required=False)
@click.option("--workflow", "reference", help="Every failed event of this workflow (id, dag_id or client/key).")
@click.option("--since", help="With --workflow: received since this UTC time (2026-11-30T08:00) or this long ago (2h).")
@click.option("--dry-run", is_flag=True, help="With --workflow: list the events it would replay; change nothing.")
@click.option(
    "--include-unknown-outcomes",
    is_flag=True,
    help="With --workflow: also the events whose write may have been applied (check the app first).",
)
def events_replay(
    event_id: int | None, reference: str | None, since: str | None, dry_run: bool, include_unknown_outcomes: bool
) -> None:
    """Put an event (or every failed event of a workflow received since a time) back in its workflow's queue and
    wake the workflow. Steps already done are not sent again; done and running events are never replayed."""
    if event_id is not None and reference is None:
        if since or dry_run or include_unknown_outcomes:
            raise click.UsageError("--since, --dry-run and --include-unknown-outcomes go with --workflow")
        _replay_one(event_id)
    elif event_id is None and reference is not None:
        if since is None:
            raise click.UsageError("--workflow needs --since (an ISO time or a duration such as 2h)")
        _replay_failed(reference, received_since(since), dry_run, include_unknown_outcomes)
    else:
        raise click.UsageError("give one EVENT_ID, or --workflow with --since")


def received_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """`--since`: an ISO time (UTC unless it names an offset) or a duration before now (`90m`, `2h`, `1d12h`)."""
    duration = _DURATION.fullmatch(text.strip())
    if duration and any(duration.groups()):
        days, hours, minutes, seconds = (int(part or 0) for part in duration.groups())
        ago = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return (now or utcnow()) - ago
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.UsageError(
            f"invalid --since {text!r}: give an ISO time (2026-11-30T08:00, UTC unless it has an offset) or a "
            "duration (30m, 2h, 1d)"
        ) from None
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _replay_one(event_id: int) -> None:
    with registry_session() as session:
        try:
            known = session.get(Event, event_id)
            if known is not None and unknown_outcome(known.error):
                click.echo(f"warning: event {event_id} failed with its outcome unknown ({known.error}): a write "
                           "not found by a search is sent again", err=True)  # fmt: skip
            event = requeue_event(session, event_id)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        workflow = session.get_one(Workflow, event.workflow_id)
        dag_id, polling = workflow.dag_id, bool(workflow.schedule)
    if polling:
        click.echo(f"event {event_id} is back in the queue of {dag_id}: its next scheduled run takes it")
        return
    run_id, woken, detail = _wake(dag_id, event_id, f"replay of event {event_id}")
    if woken:
        click.echo(f"replaying event {event_id} in run {run_id} of {dag_id}")
    else:
        click.echo(f"event {event_id} is back in the queue; Airflow did not take a run now ({detail}), "
                   f"the dispatcher's sweeper wakes {dag_id} later")  # fmt: skip


def _replay_failed(reference: str, since: dt.datetime, dry_run: bool, include_unknown: bool) -> None:
    """Every failed event of the workflow received since `since`, back in the queue at once; one run drains them.
    Events whose outcome is unknown stay failed unless `include_unknown`."""
    with registry_session() as session:
        try:
            workflow = find_workflow(session, reference)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        dag_id, polling = workflow.dag_id, bool(workflow.schedule)
        window = f"received since {since:%Y-%m-%d %H:%M:%S %Z}"
        failed = failed_events(session, workflow.id, since)
        unknown = [event.id for event in failed if unknown_outcome(event.error)]
        if dry_run:
            if failed:
                click.echo(f"{'ID':>6}  {'RECEIVED':19}  {'TRIES':>5}  ERROR")
            for event in failed:
                left_out = " (outcome unknown: left out)" if event.id in unknown and not include_unknown else ""
                click.echo(f"{event.id:>6}  {event.received_at:%Y-%m-%d %H:%M:%S}  {event.attempts:>5}  "
                           f"{(event.error or '')[:80]}{left_out}")  # fmt: skip
            taken = len(failed) - (0 if include_unknown else len(unknown))
            click.echo(f"would replay {taken} failed event(s) of {dag_id} {window} (dry run: nothing changed)")
            return
        replayed = requeue_failed_events(session, workflow.id, since, include_unknown)
    if unknown and not include_unknown:
        ids = ", ".join(map(str, unknown))
        click.echo(f"left out {len(unknown)} event(s) whose write may have been applied (ids {ids}): check the app, "
                   "then replay them one by one or with --include-unknown-outcomes")  # fmt: skip
    done = f"replayed {len(replayed)} failed event(s) of {dag_id}"
    if not replayed:
        click.echo(f"no failed event of {dag_id} {window}: nothing replayed")
    elif polling:
        click.echo(f"{done} {window}: its next scheduled run takes them")
    else:
        run_id, woken, detail = _wake(dag_id, replayed[0], f"replay of {len(replayed)} failed event(s)")
        if woken:
            click.echo(f"{done} in run {run_id}")
        else:
            click.echo(f"{done}: they are back in the queue; Airflow did not take a run now ({detail}), the "
                       f"dispatcher's sweeper wakes {dag_id} later")  # fmt: skip


def _wake(dag_id: str, event_id: int, note: str) -> tuple[str, bool, str]:
    """Ask Airflow for a run of the workflow now: (run id, whether Airflow took it, why not)."""
    from connectors.webhooks.airflow_api import EXISTS, TRIGGERED, AirflowApi
    from connectors.webhooks.dispatcher import drain_run_id
    from connectors.webhooks.settings import WebhookSettings

    settings = WebhookSettings.from_env()
    api = AirflowApi(settings.airflow_api_url, settings.airflow_username, settings.airflow_password)
    run_id = drain_run_id(event_id)
    outcome = api.trigger(dag_id, run_id, {"woken_by_event": event_id}, note)
    return run_id, outcome.kind in (TRIGGERED, EXISTS), f"{outcome.kind}: {outcome.detail}"
