"""docker-compose.yaml's CeleryExecutor topology, run as real processes (tests/e2e/celery_platform.py): api-server
with the receiver, scheduler, dag-processor, triggerer and two Celery workers on Redis, PostgreSQL for Airflow's
metadata, the Celery results and the registry.

Four clients' "Shopify order → Eshopbox order" workflows share the hub's one Eshopbox connection, whose sandbox
enforces the app's declared 10 requests/s: every order must reach Eshopbox exactly once, the work must spread over
both workers, and the rate budget must hold across them (no 429). Then one worker is `kill -9`ed mid-burst.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import suppress

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.burst import Outcome, apply_workflows, connections, drained, order_template, send, signed_deliveries
from tests.e2e.celery_platform import CeleryPlatform, running_celery_platform
from tests.e2e.platform import wait_for

CLIENTS, PER_CLIENT = 4, 30
ALLOWED_ORDERS_PER_SECOND = 10 / 2  # the Eshopbox app's 10 requests/s; a find-or-create is 2 requests


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryPlatform]:
    home = tmp_path_factory.mktemp("celery")
    env = {
        **connections(CLIENTS, shared_eshopbox=True),
        "SANDBOX_ESHOPBOX_API_REQUESTS_PER_SECOND": "10",
        "SANDBOX_ESHOPBOX_API_BURST": "10",
        # a dead worker's task instances are failed (then retried) after 30 s without a heartbeat, not 5 min
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
    }
    with running_celery_platform(home / "platform", workers=2, extra_env=env, concurrency=2) as running:
        apply_workflows(running, CLIENTS, home, shared_eshopbox=True)
        yield running


def hosts_that_drained(platform: CeleryPlatform) -> dict[str, int]:
    """process_events task instances of the bench workflows by the worker that ran them (`hostname`)."""
    engine = create_engine(platform.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT hostname, count(*) FROM task_instance WHERE task_id = 'process_events' "
                "AND dag_id LIKE 'wf.bench%' AND state = 'success' GROUP BY hostname"
            )).all()  # fmt: skip
    finally:
        engine.dispose()
    return {str(host): count for host, count in rows}


def report(what: str, outcome: Outcome) -> None:
    total = sum(outcome.events_by_status.values())
    print(f"\nCelery, 2 workers, {what}: {total} events in {outcome.elapsed:.1f} s = {outcome.rate:.2f} events/s "
          f"({outcome.rate / ALLOWED_ORDERS_PER_SECOND:.0%} of the {ALLOWED_ORDERS_PER_SECOND:.0f} orders/s the shared "
          f"Eshopbox budget allows); {outcome.runs} DAG runs; 429s: {outcome.rate_limited}")  # fmt: skip


def test_a_burst_spreads_over_both_workers_reaches_eshopbox_once_each_and_holds_the_shared_rate_limit(
    platform: CeleryPlatform,
) -> None:
    deliveries = signed_deliveries(order_template(platform), CLIENTS, PER_CLIENT)
    cpu_before = platform.cpu_seconds()
    started = time.monotonic()
    send(platform, deliveries)
    outcome = drained(platform, deliveries, started, timeout=900)
    report("burst", outcome)
    cpu = {name: used - cpu_before.get(name, 0.0) for name, used in platform.cpu_seconds().items()}
    events = CLIENTS * PER_CLIENT
    print("CPU ms per event by component: " + ", ".join(f"{name} {1000 * used / events:.1f}"
                                                        for name, used in sorted(cpu.items())))  # fmt: skip
    assert outcome.not_exactly_once == 0
    assert outcome.events_by_status == {"done": CLIENTS * PER_CLIENT}
    assert outcome.rate_limited == 0  # the budget is shared through the registry, whichever worker sends
    assert set(hosts_that_drained(platform)) == set(platform.worker_names()), hosts_that_drained(platform)


def test_kill_9_of_a_worker_mid_burst_loses_and_duplicates_nothing(platform: CeleryPlatform) -> None:
    deliveries = signed_deliveries(order_template(platform), CLIENTS, PER_CLIENT, first_id=7_100_000_000_000)
    started = time.monotonic()
    send(platform, deliveries)

    def busy_worker() -> int | None:
        """A worker running a task now: one of its pool processes has a task process under it."""
        import psutil

        for number, worker in enumerate(platform.workers, start=1):
            with suppress(psutil.NoSuchProcess):
                if any(pool.children() for pool in psutil.Process(worker.pid).children()):
                    return number
        return None

    victim = wait_for(busy_worker, 300, "a worker running a task", platform)
    killed = platform.kill_worker(victim)
    assert killed and platform.workers[victim - 1].poll() is not None
    outcome = drained(platform, deliveries, started, timeout=900)
    report(f"worker{victim} killed", outcome)
    assert outcome.not_exactly_once == 0
    assert outcome.events_by_status == {"done": CLIENTS * PER_CLIENT}
