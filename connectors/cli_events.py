"""`integrations events ...`: the inbox — list events, show one, replay one or a workflow's failed events.
Thin over `connectors.services.events` (the management API's code path too)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TypeVar

import click

from connectors.cli_db import registry_session
from connectors.registry.models import EventStatus
from connectors.services import ServiceError
from connectors.services import events as service
from connectors.services.events import WakeResult

T = TypeVar("T")


@click.group()
def events() -> None:
    """The events inbox: list, show, replay."""


@events.command("list")
@click.option("--workflow", "reference", help="Only this workflow (id, dag_id or client/key).")
@click.option("--status", type=click.Choice([s.value for s in EventStatus]), help="Only events in this status.")
@click.option("--run", "dag_run_id", help="Only the events this DAG run claimed.")
@click.option("--limit", default=50, show_default=True)
def events_list(reference: str | None, status: str | None, dag_run_id: str | None, limit: int) -> None:
    found = _or_exit(lambda: service.list_events(registry_session, reference, status, dag_run_id, limit=limit))
    click.echo(f"{'ID':>6}  {'STATUS':9}  {'TRIES':>5}  {'RECEIVED':19}  {'DAG':40}  {'RUN':36}  ERROR")
    for event in found:
        received = event.received_at.strftime("%Y-%m-%d %H:%M:%S")
        error = (event.error or "")[:80]
        click.echo(
            f"{event.id:>6}  {event.status:9}  {event.attempts:>5}  {received:19}  {event.dag_id:40}  "
            f"{event.dag_run_id or '-':36}  {error}"
        )


@events.command("show")
@click.argument("event_id", type=int)
def events_show(event_id: int) -> None:
    """One event: payload, status, its run, and what each step did (the action log)."""
    event = _or_exit(lambda: service.show_event(registry_session, event_id))
    click.echo(f"# event {event.id} ({event.dedupe_key}): {event.status} after {event.attempts} attempt(s)")
    if event.dag_run_id:
        click.echo(f"# run {event.dag_run_id} of {event.dag_id} (its task log: task process_events)")
    if event.not_before and event.status == EventStatus.RECEIVED.value:
        click.echo(f"# waiting to be retried from {event.not_before:%Y-%m-%d %H:%M:%S}")
    if event.error:
        click.echo(f"# error: {event.error}")
    for step in event.steps:
        detail = step.error or json.dumps((step.result or {}).get("value"), default=str)[:200]
        click.echo(f"# step {step.step_key}: {step.outcome} after {step.attempts} attempt(s): {detail}")
    click.echo(json.dumps(event.payload, indent=2))


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
    try:
        return service.received_since(text, now)
    except ServiceError as exc:
        raise click.UsageError(exc.message) from None


def _replay_one(event_id: int) -> None:
    try:
        done = service.replay_event(registry_session, event_id, airflow_waker())
    except ServiceError as exc:
        for warning in exc.warnings:
            click.echo(warning, err=True)
        raise click.ClickException(exc.message) from None
    for warning in done.warnings:
        click.echo(warning, err=True)
    if done.wake is None:
        click.echo(f"event {event_id} is back in the queue of {done.dag_id}: its next scheduled run takes it")
    elif done.wake.woken:
        click.echo(f"replaying event {event_id} in run {done.wake.run_id} of {done.dag_id}")
    else:
        click.echo(f"event {event_id} is back in the queue; Airflow did not take a run now ({done.wake.detail}), "
                   f"the dispatcher's sweeper wakes {done.dag_id} later")  # fmt: skip


def _replay_failed(reference: str, since: dt.datetime, dry_run: bool, include_unknown: bool) -> None:
    """Every failed event of the workflow received since `since`, back in the queue at once; one run drains them.
    Events whose outcome is unknown stay failed unless `include_unknown`."""
    done = _or_exit(
        lambda: service.replay_failed_events(
            registry_session, reference, since, airflow_waker(), dry_run, include_unknown
        )
    )
    dag_id, window = done.dag_id, done.window
    if dry_run:
        if done.failed:
            click.echo(f"{'ID':>6}  {'RECEIVED':19}  {'TRIES':>5}  ERROR")
        for event in done.failed:
            left_out = " (outcome unknown: left out)" if event.id in done.left_out else ""
            click.echo(f"{event.id:>6}  {event.received_at:%Y-%m-%d %H:%M:%S}  {event.attempts:>5}  "
                       f"{(event.error or '')[:80]}{left_out}")  # fmt: skip
        click.echo(f"would replay {len(done.replayed)} failed event(s) of {dag_id} {window} (dry run: nothing changed)")
        return
    if done.left_out:
        ids = ", ".join(map(str, done.left_out))
        click.echo(f"left out {len(done.left_out)} event(s) whose write may have been applied (ids {ids}): check the "
                   "app, then replay them one by one or with --include-unknown-outcomes")  # fmt: skip
    replayed = f"replayed {len(done.replayed)} failed event(s) of {dag_id}"
    if not done.replayed:
        click.echo(f"no failed event of {dag_id} {window}: nothing replayed")
    elif done.polling:
        click.echo(f"{replayed} {window}: its next scheduled run takes them")
    elif done.wake is not None and done.wake.woken:
        click.echo(f"{replayed} in run {done.wake.run_id}")
    elif done.wake is not None:
        click.echo(f"{replayed}: they are back in the queue; Airflow did not take a run now ({done.wake.detail}), the "
                   f"dispatcher's sweeper wakes {dag_id} later")  # fmt: skip


def airflow_waker() -> Callable[[str, int, str], WakeResult]:
    """Asks Airflow's REST API for a run (`INTEGRATIONS_AIRFLOW_*` settings), as the dispatcher does."""
    from connectors.webhooks.management_api import airflow_waker as waker
    from connectors.webhooks.settings import WebhookSettings

    return waker(WebhookSettings.from_env())


def _or_exit(call: Callable[[], T]) -> T:
    try:
        return call()
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
