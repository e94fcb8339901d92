"""`integrations events replay --workflow W --since T`: every failed event of W received since T goes back to the
queue at once, as a single replay does; done and running events stay as they are; steps already done are not
sent again when the replayed events run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from connectors.cli import main
from connectors.registry.db import session_scope
from connectors.registry.models import Event, EventStatus, utcnow
from connectors.spec import Catalog
from connectors.workflows.drain import drain_workflow
from connectors.workflows.store import apply_workflows
from connectors.workflows.validation import load_workflow
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer, scripted_server
from tests.unit.webhooks.fake_airflow import FakeAirflow
from tests.unit.workflows.drain_fixtures import clients_for, deliver, statuses

__all__ = ["scripted_server"]  # the fixture

WORKFLOW = """\
client: acme
key: orders
name: Orders to the API, then their invoices
trigger: {app: http@1.0.0, connection: shop, key: catch_hook}
steps:
  - key: order
    app: http@1.0.0
    connection: api
    action: put_json
    inputs: {path: "/orders/{{ trigger.id }}", body: {id: "{{ trigger.id }}"}}
  - key: invoice
    app: http@1.0.0
    connection: api
    action: put_json
    inputs: {path: "/invoices/{{ trigger.id }}", body: {id: "{{ trigger.id }}"}}
"""


@pytest.fixture
def fake_airflow(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAirflow]:
    fake = FakeAirflow().start()
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_API_URL", fake.url)
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_USERNAME", fake.username)
    monkeypatch.setenv("INTEGRATIONS_AIRFLOW_PASSWORD", fake.password)
    yield fake
    fake.stop()


@pytest.fixture
def failed_events(registry: str, tmp_path: Path, scripted_server: ScriptedServer) -> tuple[int, list[int]]:
    """Orders 1-4: each order step succeeded; the invoice step failed (422) for 1, 2 and 3. Then order 1 is made
    3 h old and order 3 is taken by a run that is still going; order 4 is done."""
    path = tmp_path / "orders.yaml"
    path.write_text(WORKFLOW)
    with session_scope(registry) as session:
        apply_workflows(session, [load_workflow(path, Catalog.load())])
    workflow = 1
    scripted_server.default = Scripted(200, {"ok": True})
    for order in (1, 2, 3):
        scripted_server.reply(422, {"errors": "no customer"}, path=f"/invoices/{order}")
    ids = deliver(registry, workflow, *({"id": order} for order in (1, 2, 3, 4)))
    drain_workflow(workflow, "run-1", clients_for(scripted_server.url), url=registry)
    assert [status for status, _ in statuses(registry).values()] == [EventStatus.FAILED] * 3 + [EventStatus.DONE]
    with session_scope(registry) as session:
        session.execute(update(Event).where(Event.id == ids[0]).values(received_at=utcnow() - dt.timedelta(hours=3)))
        session.execute(
            update(Event)
            .where(Event.id == ids[2])
            .values(status=EventStatus.RUNNING, dag_run_id="run-2", lease_until=utcnow() + dt.timedelta(minutes=5))
        )
    return workflow, ids


def listed(output: str) -> list[int]:
    """The event ids of a dry run's table."""
    return [int(line.split()[0]) for line in output.splitlines() if line.split() and line.split()[0].isdigit()]


def replay(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["events", "replay", *args])


def test_dry_run_lists_what_would_be_replayed_and_changes_nothing(
    failed_events: tuple[int, list[int]], registry: str, fake_airflow: FakeAirflow
) -> None:
    _, ids = failed_events
    before = statuses(registry)

    result = replay("--workflow", "acme/orders", "--since", "2h", "--dry-run")

    assert result.exit_code == 0, result.output
    assert listed(result.output) == [ids[1]]
    assert "PermanentError" in result.output
    assert "would replay 1 failed event(s) of wf.acme.orders received since" in result.output
    assert statuses(registry) == before and fake_airflow.requests == []


def test_since_takes_an_iso_time(failed_events: tuple[int, list[int]], fake_airflow: FakeAirflow) -> None:
    _, ids = failed_events
    since = (utcnow() - dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")
    result = replay("--workflow", "wf.acme.orders", "--since", since, "--dry-run")
    assert result.exit_code == 0, result.output
    assert listed(result.output) == [ids[0], ids[1]]


def test_replay_requeues_the_failed_events_wakes_the_workflow_once_and_done_steps_are_not_sent_again(
    failed_events: tuple[int, list[int]], registry: str, fake_airflow: FakeAirflow, scripted_server: ScriptedServer
) -> None:
    workflow, ids = failed_events

    result = replay("--workflow", "acme/orders", "--since", "2h")

    assert result.exit_code == 0, result.output
    assert f"replayed 1 failed event(s) of wf.acme.orders in run drain__{ids[1]}__" in result.output
    after = statuses(registry)
    assert after[ids[1]] == (EventStatus.RECEIVED, None)
    assert after[ids[0]][0] is EventStatus.FAILED  # received before --since
    assert after[ids[2]][0] is EventStatus.RUNNING  # a run holds it
    assert after[ids[3]][0] is EventStatus.DONE
    with session_scope(registry) as session:
        assert session.get_one(Event, ids[1]).attempts == 0
    (request,) = fake_airflow.requests
    assert request.dag_id == "wf.acme.orders" and request.body["conf"] == {"woken_by_event": ids[1]}

    sent_before = list(scripted_server.paths)
    drain_workflow(workflow, "run-3", clients_for(scripted_server.url), url=registry)

    assert statuses(registry)[ids[1]] == (EventStatus.DONE, None)
    assert scripted_server.paths[len(sent_before) :] == ["/invoices/2"]  # the order step was done: not sent again


def test_a_second_replay_finds_nothing_to_replay(failed_events: tuple[int, list[int]], fake_airflow) -> None:
    assert replay("--workflow", "acme/orders", "--since", "2h").exit_code == 0
    again = replay("--workflow", "acme/orders", "--since", "2h")
    assert again.exit_code == 0, again.output
    assert "no failed event of wf.acme.orders received since" in again.output and "nothing replayed" in again.output
    assert len(fake_airflow.requests) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workflow", "acme/orders", "--since", "yesterday"], "invalid --since 'yesterday'"),
        (["--workflow", "acme/orders"], "--workflow needs --since"),
        (["1", "--workflow", "acme/orders", "--since", "2h"], "give one EVENT_ID, or --workflow with --since"),
        ([], "give one EVENT_ID, or --workflow with --since"),
        (["--workflow", "acme/nope", "--since", "2h"], "no workflow 'acme/nope'"),
        (["1", "--dry-run"], "--since, --dry-run and --include-unknown-outcomes go with --workflow"),
    ],
)
def test_bad_replay_arguments_say_what_is_wrong(failed_events, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = replay(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_events_whose_write_may_have_been_applied_are_left_out_unless_asked(
    failed_events: tuple[int, list[int]], registry: str, fake_airflow: FakeAirflow
) -> None:
    _, ids = failed_events
    with session_scope(registry) as session:  # order 2's invoice: a 500 after sending, not sent again
        session.execute(update(Event).where(Event.id == ids[1])
                        .values(error="OutcomeUnknownError: may have been applied (server error)"))  # fmt: skip

    dry = replay("--workflow", "acme/orders", "--since", "2h", "--dry-run")
    assert "(outcome unknown: left out)" in dry.output and "would replay 0 failed event(s)" in dry.output
    left = replay("--workflow", "acme/orders", "--since", "2h")
    assert f"left out 1 event(s) whose write may have been applied (ids {ids[1]})" in left.output
    assert statuses(registry)[ids[1]][0] is EventStatus.FAILED

    taken = replay("--workflow", "acme/orders", "--since", "2h", "--include-unknown-outcomes")
    assert taken.exit_code == 0, taken.output
    assert statuses(registry)[ids[1]][0] is EventStatus.RECEIVED


def test_since_with_an_offset_is_that_moment() -> None:
    from connectors.cli_events import received_since

    assert received_since("2026-11-30T13:00+05:30") == dt.datetime(2026, 11, 30, 7, 30, tzinfo=dt.UTC)
    assert received_since("2026-11-30T13:00") == dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)
