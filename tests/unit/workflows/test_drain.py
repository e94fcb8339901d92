"""The drain engine: batches claimed under a lease, each event on its own, retries, outages, crashes, re-applies."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from connectors.registry.db import get_engine, session_scope
from connectors.registry.inbox import claimable
from connectors.registry.models import ActionLogEntry, Circuit, Drain, Event, EventStatus, utcnow
from connectors.workflows.drain import DrainSettings, drain_workflow
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer, scripted_server
from tests.unit.workflows.drain_fixtures import apply, clients_for, deliver, statuses

ROOT = Path(__file__).resolve().parents[3]
__all__ = ["scripted_server"]  # the fixture


def wait_for(condition, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met")


def test_one_events_failure_does_not_fail_the_others(registry, tmp_path, scripted_server: ScriptedServer) -> None:
    workflow = apply(registry, tmp_path)
    scripted_server.reply(200, {"ok": 1}, path="/orders/1")
    scripted_server.reply(422, {"errors": "id taken"}, path="/orders/2")
    scripted_server.reply(200, {"ok": 4}, path="/orders/4")
    ids = deliver(registry, workflow, {"id": 1, "status": "paid"}, {"id": 2, "status": "paid"},
                  {"id": 3, "status": "pending"}, {"id": 4, "status": "paid"})  # fmt: skip

    summary = drain_workflow(workflow, "run-1", clients_for(scripted_server.url), url=registry)

    outcome = statuses(registry)
    assert outcome[ids[0]] == (EventStatus.DONE, None) and outcome[ids[3]] == (EventStatus.DONE, None)
    assert outcome[ids[1]][0] is EventStatus.FAILED and "422" in outcome[ids[1]][1]
    assert outcome[ids[2]] == (EventStatus.FILTERED, "condition not met: status equals 'paid' (was 'pending')")
    assert (summary.done, summary.filtered, list(summary.failed)) == ([ids[0], ids[3]], [ids[2]], [ids[1]])
    assert scripted_server.paths == ["/orders/1", "/orders/2", "/orders/4"]
    with session_scope(registry) as session:
        drain = session.get_one(Drain, "run-1")
        assert drain.finished_at is not None and drain.counts["done"] == 2 and drain.counts["failed"] == 1
        assert {e.dag_run_id for e in session.scalars(select(Event))} == {"run-1"}  # from an event, its run


def test_an_outage_sends_the_event_back_with_backoff_and_gives_the_batch_back_untried(
    registry, tmp_path, scripted_server: ScriptedServer
) -> None:
    workflow = apply(registry, tmp_path)
    scripted_server.default = Scripted(503, {"error": "down"})
    ids = deliver(registry, workflow, *({"id": n, "status": "paid"} for n in range(1, 5)))
    settings = DrainSettings(retry_initial_seconds=60, batch_size=2)
    before = utcnow()

    summary = drain_workflow(workflow, "run-1", clients_for(scripted_server.url), settings, url=registry)

    assert list(summary.retrying) == [ids[0]] and summary.released == [ids[1]]  # the rest of its batch
    assert {p for p in scripted_server.paths} == {"/orders/1"}  # the others were not tried against a down app
    with session_scope(registry) as session:
        events = {e.id: e for e in session.scalars(select(Event))}
    first = events[ids[0]]
    assert first.status is EventStatus.RECEIVED and first.attempts == 1
    not_before = first.not_before if first.not_before.tzinfo else first.not_before.replace(tzinfo=dt.UTC)
    assert not_before >= before + dt.timedelta(seconds=60)
    assert all(events[i].status is EventStatus.RECEIVED and events[i].attempts == 0 for i in ids[1:])
    assert {events[i].not_before for i in ids} == {first.not_before}  # the whole workflow parked, not only the batch
    assert drain_workflow(workflow, "run-early", clients_for(scripted_server.url), settings, url=registry).done == []

    scripted_server.default = Scripted(200, {})  # the app is back, and the backoff has passed
    with session_scope(registry) as session:
        for event in session.scalars(select(Event)):
            event.not_before = utcnow() - dt.timedelta(seconds=1)
        for circuit in session.scalars(select(Circuit)):
            circuit.open_until = utcnow() - dt.timedelta(seconds=1)
    later = drain_workflow(workflow, "run-2", clients_for(scripted_server.url), settings, url=registry)
    assert later.done == ids
    with session_scope(registry) as session:
        assert dict(session.execute(select(Event.id, Event.attempts)).all()) == {
            ids[0]: 2,
            ids[1]: 1,
            ids[2]: 1,
            ids[3]: 1,
        }


def test_an_event_failing_every_attempt_ends_failed(registry, tmp_path, scripted_server: ScriptedServer) -> None:
    workflow = apply(registry, tmp_path)
    (event_id,) = deliver(registry, workflow, {"id": 1, "status": "paid"})
    scripted_server.reply(503, {}, times=100)
    settings = DrainSettings(max_attempts=2, retry_initial_seconds=0)
    drain_workflow(workflow, "run-1", clients_for(scripted_server.url), settings, url=registry)
    assert statuses(registry)[event_id][0] is EventStatus.RECEIVED
    drain_workflow(workflow, "run-2", clients_for(scripted_server.url), settings, url=registry)
    status, error = statuses(registry)[event_id]
    assert status is EventStatus.FAILED and error.startswith("gave up after 2 attempts: RetriesExhaustedError")


def test_a_run_killed_mid_batch_leaves_its_events_to_a_later_run_once_the_lease_ends(
    registry, tmp_path, scripted_server: ScriptedServer
) -> None:
    workflow = apply(registry, tmp_path)
    ids = deliver(registry, workflow, *({"id": n, "status": "paid"} for n in range(1, 4)))
    scripted_server.reply(200, {}, path="/orders/1")
    scripted_server.reply(200, {}, path="/orders/2", delay=30)  # the worker is killed while it waits
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.workflows.drain_fixtures", registry, str(workflow),
         scripted_server.url, "run-killed"], cwd=ROOT,
    )  # fmt: skip
    try:
        wait_for(lambda: "/orders/2" in scripted_server.paths)
    finally:
        worker.kill()
        worker.wait()
    outcome = statuses(registry)
    assert outcome[ids[0]] == (EventStatus.DONE, None)
    assert outcome[ids[1]][0] is EventStatus.RUNNING and outcome[ids[2]][0] is EventStatus.RUNNING

    assert drain_workflow(workflow, "run-early", clients_for(scripted_server.url), url=registry).done == []

    def lease_ended() -> bool:
        with session_scope(registry) as session:
            return len(session.scalars(select(Event.id).where(claimable(utcnow()))).all()) == 2

    wait_for(lease_ended)
    scripted_server.reply(200, {}, path="/orders/2")
    scripted_server.reply(200, {}, path="/orders/3")
    later = drain_workflow(workflow, "run-later", clients_for(scripted_server.url), url=registry)
    assert later.done == ids[1:]
    assert scripted_server.paths.count("/orders/1") == 1  # done before the crash: never sent again
    with session_scope(registry) as session:
        attempts = dict(session.execute(select(Event.id, Event.attempts)).all())
        logged = session.scalars(select(ActionLogEntry.dedupe_key).where(ActionLogEntry.outcome == "succeeded"))
        assert sorted(logged) == ["order-1", "order-2", "order-3"]
    assert attempts == {ids[0]: 1, ids[1]: 2, ids[2]: 2}


def test_a_retried_task_takes_over_what_its_killed_try_held_without_waiting_for_the_lease(
    registry, tmp_path, scripted_server: ScriptedServer
) -> None:
    workflow = apply(registry, tmp_path)
    ids = deliver(registry, workflow, *({"id": n, "status": "paid"} for n in range(1, 4)))
    scripted_server.reply(200, {}, path="/orders/1")
    scripted_server.reply(200, {}, path="/orders/2", delay=30)  # the first try is killed while it waits
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.workflows.drain_fixtures", registry, str(workflow),
         scripted_server.url, "run-retried", "300"], cwd=ROOT,  # a lease far longer than the test
    )  # fmt: skip
    try:
        wait_for(lambda: "/orders/2" in scripted_server.paths)
    finally:
        worker.kill()
        worker.wait()
    assert statuses(registry)[ids[1]][0] is EventStatus.RUNNING  # leased by the dead try for minutes more
    assert drain_workflow(workflow, "run-other", clients_for(scripted_server.url), url=registry).done == []
    scripted_server.reply(200, {}, path="/orders/2")
    scripted_server.reply(200, {}, path="/orders/3")

    retry = drain_workflow(workflow, "run-retried", clients_for(scripted_server.url), DrainSettings(retried=True),
                           url=registry)  # fmt: skip

    assert retry.done == ids[1:]  # at once: the same run's earlier try is over
    assert scripted_server.paths.count("/orders/1") == 1
    with session_scope(registry) as session:
        attempts = dict(session.execute(select(Event.id, Event.attempts)).all())
    assert attempts == {ids[0]: 1, ids[1]: 2, ids[2]: 2}  # the dead try's claim still counts


def test_a_workflow_re_applied_while_a_run_drains_changes_the_next_batch_and_hangs_nothing(
    registry, tmp_path, scripted_server: ScriptedServer
) -> None:
    workflow = apply(registry, tmp_path)
    ids = deliver(registry, workflow, {"id": 1, "status": "paid"}, {"id": 2, "status": "paid"})
    in_flight = threading.Event()
    scripted_server.queue(Scripted(200, {}, gate=in_flight), path="/orders/1")
    scripted_server.reply(200, {}, path="/v2/orders/2")
    result = {}
    settings = DrainSettings(batch_size=1)
    drainer = threading.Thread(
        target=lambda: result.setdefault(
            "summary", drain_workflow(workflow, "run-1", clients_for(scripted_server.url), settings, url=registry)
        )
    )
    drainer.start()
    wait_for(lambda: "/orders/1" in scripted_server.paths)
    assert apply(registry, tmp_path, prefix="/v2") == workflow  # revision 2, while event 1 is in flight
    in_flight.set()
    drainer.join(30)
    assert scripted_server.paths == ["/orders/1", "/v2/orders/2"]
    assert statuses(registry) == {ids[0]: (EventStatus.DONE, None), ids[1]: (EventStatus.DONE, None)}
    assert result["summary"].revision == 2


def test_runs_draining_at_once_share_the_events(registry, tmp_path, scripted_server: ScriptedServer) -> None:
    workflow = apply(registry, tmp_path)
    ids = deliver(registry, workflow, *({"id": n, "status": "paid"} for n in range(1, 21)))
    scripted_server.default = Scripted(200, {})
    summaries = {}

    def drain(run_id: str) -> None:
        summaries[run_id] = drain_workflow(workflow, run_id, clients_for(scripted_server.url),
                                           DrainSettings(batch_size=3), url=registry)  # fmt: skip

    threads = [threading.Thread(target=drain, args=(f"run-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    done = sorted(i for s in summaries.values() for i in s.done)
    assert done == ids  # each event once, across the runs
    assert sorted(scripted_server.paths) == sorted(f"/orders/{n}" for n in range(1, 21))
    get_engine(registry).dispose()


def test_a_slow_event_keeps_its_lease_so_no_other_run_sends_it_again(
    registry, tmp_path, scripted_server: ScriptedServer
) -> None:
    workflow = apply(registry, tmp_path)
    (event_id,) = deliver(registry, workflow, {"id": 1, "status": "paid"})
    scripted_server.reply(200, {}, path="/orders/1", delay=3)  # three leases long
    settings = DrainSettings(lease=dt.timedelta(seconds=1))
    result = {}
    slow = threading.Thread(target=lambda: result.setdefault(
        "summary", drain_workflow(workflow, "run-slow", clients_for(scripted_server.url), settings, url=registry)
    ))  # fmt: skip
    slow.start()
    wait_for(lambda: "/orders/1" in scripted_server.paths)
    others = []
    while slow.is_alive():  # every other run meanwhile finds nothing to claim
        others.append(drain_workflow(workflow, f"run-{len(others)}", clients_for(scripted_server.url), settings,
                                     url=registry).done)  # fmt: skip
    slow.join()
    assert result["summary"].done == [event_id] and all(done == [] for done in others) and others
    assert scripted_server.paths == ["/orders/1"]
