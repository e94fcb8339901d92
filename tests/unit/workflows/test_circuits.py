"""The circuit breaker per (app, connection): one workflow finding an app down makes every workflow calling it on
that connection wait, without a request; a probe that goes through closes it (a real registry and HTTP server)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, update

from connectors.registry.circuits import as_utc
from connectors.registry.db import get_engine, session_scope
from connectors.registry.models import Circuit, Event, EventStatus, utcnow
from connectors.spec import Catalog
from connectors.workflows.drain import DrainSettings, drain_workflow
from connectors.workflows.validation import load_workflow
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer, scripted_server
from tests.unit.workflows.drain_fixtures import (
    apply,
    apply_workflows_rows,
    clients_for,
    deliver,
    write_workflow,
)

__all__ = ["scripted_server"]  # the fixture
SETTINGS = DrainSettings(retry_initial_seconds=60)
ATTEMPTS = Catalog.load().get("http@1.0.0").retry.max_attempts


def apply_second(url: str, folder: Path) -> int:
    """A second workflow of the client, sending to the same app on the same connection."""
    second = folder / "second"
    second.mkdir()
    path = write_workflow(second)
    path.write_text(path.read_text().replace("key: orders", "key: returns"))
    with session_scope(url) as session:
        (row,) = apply_workflows_rows(session, load_workflow(path, Catalog.load()))
        return row.id


def circuits(url: str) -> dict[tuple[str, str], Circuit]:
    with session_scope(url) as session:
        return {(c.app, c.connection_id): c for c in session.scalars(select(Circuit))}


def events_of(url: str, workflow_id: int) -> list[Event]:
    with session_scope(url) as session:
        return list(session.scalars(select(Event).where(Event.workflow_id == workflow_id)))


def test_an_app_found_down_by_one_workflow_is_not_called_by_another_until_the_circuit_half_opens(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer
) -> None:
    orders, returns = apply(registry, tmp_path), apply_second(registry, tmp_path)
    scripted_server.default = Scripted(503, {"error": "down"})
    deliver(registry, orders, {"id": 1, "status": "paid"})
    deliver(registry, returns, {"id": 2, "status": "paid"}, {"id": 3, "status": "paid"})

    before = utcnow()
    drain_workflow(orders, "orders-1", clients_for(scripted_server.url), SETTINGS, url=registry)
    calls_while_finding_out = len(scripted_server.requests)
    returned = drain_workflow(returns, "returns-1", clients_for(scripted_server.url), SETTINGS, url=registry)

    [circuit] = circuits(registry).values()
    assert (circuit.app, circuit.connection_id, circuit.failures) == ("http", "api", 1)
    assert as_utc(circuit.open_until) >= before + dt.timedelta(seconds=60)
    assert calls_while_finding_out == ATTEMPTS  # the call's own retries, then the breaker opened
    assert len(scripted_server.requests) == calls_while_finding_out  # the other workflow sent nothing
    assert len(returned.released) == 2 and returned.done == []
    waiting = events_of(registry, returns)
    assert all(e.status is EventStatus.RECEIVED and e.attempts == 0 for e in waiting)
    assert {as_utc(e.not_before) for e in waiting} == {as_utc(circuit.open_until)}  # parked, no worker held
    assert "http on connection api is unavailable" in (waiting[0].error or "")

    scripted_server.default = Scripted(200, {})  # the app is back and the breaker's wait is over
    with get_engine(registry).begin() as connection:
        connection.execute(update(Circuit).values(open_until=utcnow() - dt.timedelta(seconds=1)))
        connection.execute(update(Event).values(not_before=None))
    probe = drain_workflow(returns, "returns-2", clients_for(scripted_server.url), SETTINGS, url=registry)

    assert len(probe.done) == 2
    assert circuits(registry) == {}  # closed by the probe that went through


def test_each_failed_probe_opens_the_circuit_for_longer(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer
) -> None:
    orders = apply(registry, tmp_path)
    scripted_server.default = Scripted(503)
    deliver(registry, orders, {"id": 1, "status": "paid"}, {"id": 2, "status": "paid"})
    waits = []
    for run in range(3):
        before = utcnow()
        drain_workflow(orders, f"run-{run}", clients_for(scripted_server.url), SETTINGS, url=registry)
        [circuit] = circuits(registry).values()
        waits.append((as_utc(circuit.open_until) - before).total_seconds())
        with get_engine(registry).begin() as connection:  # the wait is over: the next run probes
            connection.execute(update(Circuit).values(open_until=utcnow() - dt.timedelta(seconds=1)))
            connection.execute(update(Event).values(not_before=None))

    assert [round(wait, -1) for wait in waits] == [60, 120, 240]
    assert circuits(registry)[("http", "api")].failures == 3
    assert len(scripted_server.requests) == 3 * ATTEMPTS  # three probes: one event each time, not the batch


def apply_posting(url: str, folder: Path) -> int:
    """The workflow with a plain POST step: a create with no search and no idempotency key."""
    path = write_workflow(folder)
    path.write_text(path.read_text().replace("action: put_json", "action: post_json"))
    with session_scope(url) as session:
        (row,) = apply_workflows_rows(session, load_workflow(path, Catalog.load()))
        return row.id


def test_a_plain_create_the_app_may_have_applied_fails_once_and_the_rest_of_the_batch_waits(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer
) -> None:
    orders = apply_posting(registry, tmp_path)
    scripted_server.default = Scripted(500, {"error": "boom"})  # maybe stored, maybe not: no way to know
    first, *rest = deliver(registry, orders, *({"id": n, "status": "paid"} for n in range(1, 4)))

    summary = drain_workflow(orders, "run-1", clients_for(scripted_server.url), SETTINGS, url=registry)

    assert len(scripted_server.requests) == 1  # not sent again, and the other events were not tried
    assert list(summary.failed) == [first] and "OutcomeUnknownError" in summary.failed[first]
    assert summary.released == rest
    assert circuits(registry)[("http", "api")].failures == 1


def test_a_plain_create_answered_503_waits_and_is_sent_again(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer
) -> None:
    orders = apply_posting(registry, tmp_path)
    scripted_server.default = Scripted(503, {"error": "maintenance"})
    [event_id] = deliver(registry, orders, {"id": 1, "status": "paid"})

    summary = drain_workflow(orders, "run-1", clients_for(scripted_server.url), SETTINGS, url=registry)

    assert list(summary.retrying) == [event_id] and summary.failed == {}  # back in the queue, not failed
    assert len(scripted_server.requests) == ATTEMPTS


def test_the_circuit_stays_open_as_long_as_the_app_asked(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer
) -> None:
    orders = apply(registry, tmp_path)
    scripted_server.default = Scripted(429, {"errors": "slow down"}, {"Retry-After": "600"})
    deliver(registry, orders, {"id": 1, "status": "paid"})
    before = utcnow()

    drain_workflow(orders, "run-1", clients_for(scripted_server.url), SETTINGS, url=registry)

    [circuit] = circuits(registry).values()
    assert as_utc(circuit.open_until) >= before + dt.timedelta(seconds=600)  # not the 60 s backoff


def test_one_run_probes_a_half_open_circuit_while_the_others_wait(
    registry: str, tmp_path: Path, scripted_server: ScriptedServer
) -> None:
    from connectors.registry.circuits import claim_probe, trip

    with get_engine(registry).begin() as connection:
        trip(connection, ("http", "api"), "down", lambda _: dt.timedelta(seconds=-1))  # already half-open
        assert claim_probe(connection, ("http", "api"), dt.timedelta(minutes=5))  # another run probes now
    orders = apply(registry, tmp_path)
    scripted_server.default = Scripted(200, {})
    deliver(registry, orders, {"id": 1, "status": "paid"})

    waiting = drain_workflow(orders, "run-1", clients_for(scripted_server.url), SETTINGS, url=registry)

    assert scripted_server.requests == [] and len(waiting.released) == 1
    [event] = events_of(registry, orders)
    assert as_utc(event.not_before) >= utcnow() + dt.timedelta(minutes=4)  # until the probe's lease ends
