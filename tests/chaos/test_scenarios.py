"""Chaos: real faults against `make run`'s platform (Airflow standalone, receiver, embedded PostgreSQL, sandboxes), each
scenario asserting that every acknowledged Shopify order reaches Eshopbox exactly once, and recording its figures
for docs/reliability.md (`tests/chaos/report.py`). One platform for the module; the scenarios run in file order,
the ones that stop parts of the platform last. Loopback only; every wait is bounded.

    make chaos        # or: .venv/bin/python -m pytest -m chaos tests/chaos
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Iterator

import pytest

from tests.chaos.harness import (
    DAG_ID,
    ORDER_CREATE,
    TASK_ID,
    WEBHOOK_PATH,
    Chaos,
    Event,
    Sender,
    describe,
    eshopbox_through,
    holds_for,
    parse_time,
)
from tests.chaos.report import Outcome
from tests.e2e.platform import running_platform, wait_for
from tests.e2e.secrets_scan import describe as describe_leaks
from tests.e2e.secrets_scan import scan_platform
from tests.servers.fault_proxy import FaultProxy
from tests.servers.process import free_port, http_answers

pytestmark = pytest.mark.chaos

LEASE_SECONDS = 300  # DrainSettings.lease: how long a dead run's events stay claimed


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chaos]:
    with FaultProxy() as proxy:
        env = {**eshopbox_through(proxy), "AIRFLOW__API__HOST": "127.0.0.1"}  # loopback only
        with running_platform(tmp_path_factory.mktemp("chaos"), env) as platform:
            proxy.upstream = platform.sandbox_url
            wait_for(lambda: platform.api("GET", f"/dags/{DAG_ID}").ok, 180, f"{DAG_ID} to be parsed", platform)
            assert platform.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False}).ok
            running = Chaos(platform, proxy)
            warm_up = running.shopify_orders(1)  # the DAG runs once, Eshopbox's token is fetched and kept
            events = running.wait_final(warm_up, 240, "the warm-up order")
            assert [e.status for e in events.values()] == ["done"], describe(events)
            yield running
            running.close()


@pytest.fixture(autouse=True)
def no_fault_left(chaos: Chaos) -> Iterator[None]:
    yield
    chaos.proxy.accept()
    chaos.clear_sandbox_faults()


def assert_exactly_once(outcome: Outcome, events: dict[str, Event]) -> None:
    assert (outcome.lost, outcome.duplicated) == (0, 0), f"{outcome}; {describe(events)}"
    assert all(e.status == "done" for e in events.values()), describe(events)


def test_eshopbox_down_then_every_order_is_created_once_and_no_worker_slot_waits_for_it(chaos: Chaos) -> None:
    """Refused connections, then 503s: the drain retries in the call, then parks the workflow's events and ends its
    run; nothing holds a worker slot while Eshopbox is down; the next probe meets 503s, gets through, drains all."""
    chaos.proxy.refuse()
    try:
        orders = chaos.shopify_orders(200)

        def slot_held() -> str | None:
            holding = chaos.holding_task_instances()
            if holding:
                return f"task instances hold a worker slot: {[(t['dag_run_id'], t['state']) for t in holding]}"
            running = chaos.running_events()
            return f"{running} events still claimed by a run" if running else None

        def parked() -> bool:
            events = chaos.events(orders)
            now = dt.datetime.now(dt.UTC)
            waiting = all(e.status == "received" and e.not_before and e.not_before > now for e in events.values())
            tried = any(e.attempts for e in events.values()) or any(e.error for e in events.values())
            return len(events) == len(orders) and waiting and tried and slot_held() is None

        wait_for(parked, 240, "the workflow's 200 events parked and its run ended", chaos.platform)
        holds_for(slot_held, 10)  # while Eshopbox is down: events parked, no run, no task waiting to retry
        chaos.sandbox_fault(mode="unavailable", path="/wms/", requests=3)  # up again, but answering 503 at first
    finally:
        chaos.proxy.accept()

    def fault_end() -> float:
        (fault,) = chaos.sandbox_faults()
        assert fault["served"] == 3, fault  # the probe after the backoff met the 503s
        return parse_time(fault["last_served_at"])

    outcome, events = chaos.measure("eshopbox_down", orders, fault_end, timeout=300)
    assert_exactly_once(outcome, events)


def test_a_create_whose_answer_is_lost_to_a_503_is_not_created_twice(chaos: Chaos) -> None:
    """Eshopbox stores the order, then answers 503: resending the POST blindly would create it again."""
    chaos.sandbox_fault(mode="commit_then_503", method="POST", path=ORDER_CREATE, requests=5)
    orders = chaos.shopify_orders(5)

    def fault_end() -> float:
        (fault,) = chaos.sandbox_faults()
        assert fault["served"] >= 1, fault
        return parse_time(fault["last_served_at"])

    outcome, events = chaos.measure("answer_lost_503", orders, fault_end, timeout=300)
    assert_exactly_once(outcome, events)


def test_a_create_whose_connection_is_reset_after_commit_is_not_created_twice(chaos: Chaos) -> None:
    """Eshopbox stores the order; the connection is reset before its answer reaches the platform."""
    chaos.proxy.reset_after_answer("POST", f"/eshopbox{ORDER_CREATE}", times=5)
    orders = chaos.shopify_orders(5)

    def fault_end() -> float:
        assert chaos.proxy.resets >= 1 and chaos.proxy.last_fault_at is not None
        return chaos.proxy.last_fault_at

    outcome, events = chaos.measure("answer_lost_reset", orders, fault_end, timeout=300)
    assert_exactly_once(outcome, events)


def test_every_webhook_delivered_three_times_concurrently_takes_one_action(chaos: Chaos) -> None:
    webhooks = chaos.webhooks(100)
    copies = [webhook for webhook in webhooks for _ in range(3)]
    random.Random(3).shuffle(copies)  # the copies of one webhook interleave with the others'
    sender = Sender(chaos.platform.receiver + WEBHOOK_PATH, threads=32)
    sender.send(copies)
    assert sender.answers == {"200": 300}, sender.answers
    orders = [webhook.order for webhook in webhooks]
    outcome, events = chaos.measure("webhooks_thrice", orders, sender.last_acknowledged_at, timeout=300)
    assert_exactly_once(outcome, events)
    assert set(chaos.actions(orders).values()) == {1}  # one step taken per event, whatever the copies


def test_killing_the_task_process_mid_action_retries_without_a_duplicate(chaos: Chaos) -> None:
    """SIGKILL of the task runner while Eshopbox holds the answer of a create it has stored: Airflow fails the try
    and retries it; the retry takes over the events the dead try claimed (without waiting for their lease) and finds
    the in-flight one, not creating it again."""
    chaos.sandbox_fault(mode="delay", delay=25, method="POST", path=ORDER_CREATE, requests=1)
    orders = chaos.shopify_orders(10)
    wait_for(lambda: chaos.sandbox_faults()[0]["in_flight"] == 1, 180, "a create in flight", chaos.platform)
    running = [t for t in chaos.holding_task_instances() if t["state"] == "running"]
    assert len(running) == 1, running
    task = chaos.task_process(running[0]["id"])
    assert task is not None, f"no process for task instance {running[0]['id']}"
    task.kill()
    killed_at = time.time()
    task.wait(timeout=30)

    outcome, events = chaos.measure("task_killed", orders, killed_at, timeout=LEASE_SECONDS + 300)
    assert_exactly_once(outcome, events)
    run = running[0]["dag_run_id"]
    tries = chaos.platform.api("GET", f"/dags/{DAG_ID}/dagRuns/{run}/taskInstances/{TASK_ID}/tries").json()
    states = {t["try_number"]: t["state"] for t in tries["task_instances"]}
    assert states.get(1) == "failed" and len(states) >= 2, states  # the killed try failed, Airflow retried it
    assert max(e.attempts for e in events.values()) >= 2  # the in-flight event was claimed again


def test_webhooks_sent_while_airflows_api_is_stopped_are_all_stored_then_processed(chaos: Chaos) -> None:
    """The receiver runs on its own (the documented standalone mode) in front of the api-server, which is stopped:
    every webhook is stored, none can become a run; once the api-server is back, all are processed."""
    platform = chaos.platform
    port = free_port()
    standalone = ["--factory", "connectors.webhooks.receiver:create_app", "--host", "127.0.0.1", "--port", str(port)]
    receiver = platform.spawn("receiver", [sys.executable, "-m", "uvicorn", *standalone])
    webhooks = chaos.webhooks(2000)
    orders = [webhook.order for webhook in webhooks]
    sender = Sender(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", threads=32)
    try:
        wait_for(http_answers(f"http://127.0.0.1:{port}/webhooks"), 120, "the standalone receiver", platform)
        platform.stop_api_server()
        try:
            sender.send(webhooks)
            stored = chaos.events(orders)
            assert len(stored) == len(sender.acknowledged)  # every acknowledged webhook is stored ...
            assert {e.status for e in stored.values()} <= {"received"}  # ... and none processed while the API is down
        finally:
            platform.start_api_server()
        back_at = time.time()
        outcome, events = chaos.measure(
            "airflow_api_stopped", orders, back_at, timeout=600, acknowledged=sender.acknowledged
        )
    finally:
        receiver.terminate()
    assert len(sender.acknowledged) == len(webhooks), f"receiver answers: {dict(sender.answers)}"
    assert_exactly_once(outcome, events)


def test_restarting_the_database_mid_burst_loses_no_acknowledged_webhook(chaos: Chaos) -> None:
    """PostgreSQL (the registry's and Airflow's) stops with a fast shutdown while webhooks arrive and a run drains,
    and starts again on the same data directory. Webhooks refused meanwhile are resent, as Shopify resends them;
    every one acknowledged ends done, once."""
    webhooks = chaos.webhooks(600)
    first, second = webhooks[:300], webhooks[300:]
    sender = Sender(chaos.platform.receiver + WEBHOOK_PATH, threads=16)
    sender.send(first)

    def draining() -> bool:
        return sum(e.status == "done" for e in chaos.events(w.order for w in first).values()) >= 20

    wait_for(draining, 180, "a run draining the first half of the burst", chaos.platform)
    burst = sender.start(second)
    wait_for(lambda: len(sender.acknowledged) >= 350, 120, "the second half arriving", chaos.platform)
    chaos.platform.restart_database(
        while_down=lambda: wait_for(lambda: sender.refused >= 20, 60, "webhooks refused while the database is down")
    )
    back_at = time.time()
    burst.result(timeout=sender.give_up_after + 60)
    orders = [webhook.order for webhook in webhooks]
    outcome, events = chaos.measure(
        "database_restarted", orders, back_at, timeout=LEASE_SECONDS + 300, acknowledged=sender.acknowledged
    )
    assert len(sender.acknowledged) == len(webhooks), f"receiver answers: {dict(sender.answers)}"  # resent, taken
    assert_exactly_once(outcome, events)


def test_no_test_secret_in_task_logs_or_databases_after_the_chaos(chaos: Chaos) -> None:
    leaks = scan_platform(chaos.platform.home)
    assert not leaks, describe_leaks(leaks)
