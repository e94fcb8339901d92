"""Events at scale on `make run`'s topology (embedded PostgreSQL, Airflow standalone, receiver, sandboxes).

    capacity: N clients, each with a workflow "Shopify order created → Eshopbox order" on its own Shopify and
              Eshopbox connections; N × M signed `orders/create` webhooks sent as fast as the receiver takes them.
              Drain rate = events / (first webhook sent → last order in the Eshopbox sandbox).
    budget:   one client, M webhooks, the Eshopbox sandbox enforcing the app's declared 10 requests/s. A
              find-or-create is two requests, so the connection allows 5 orders/s; drain rate as a share of that,
              and the 429s the sandbox counted.

    .venv/bin/python bench/e2e/bench_events.py capacity [--clients 20 --per-client 50]
    .venv/bin/python bench/e2e/bench_events.py budget [--events 300]

Both check that every order exists exactly once and every event ended `done`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.burst import (  # noqa: E402
    apply_workflows,
    connections,
    drained,
    order_template,
    send,
    signed_deliveries,
)
from tests.e2e.platform import Platform, running_platform  # noqa: E402

ORDERS_PER_SECOND_ALLOWED = 10 / 2  # the Eshopbox app's declared 10 requests/s, two requests an order


def run(mode: str, clients: int, per_client: int, api_workers: int = 1) -> None:
    env = connections(clients)
    home = Path(tempfile.mkdtemp(prefix="bench-events-"))
    if api_workers > 1:  # the receiver and its dispatcher in each api-server worker, one of them sweeping
        lock = str(home / "dispatch.lock")
        env |= {"AIRFLOW__API__WORKERS": str(api_workers), "INTEGRATIONS_WEBHOOK_DISPATCH_LOCK_FILE": lock}
    env["SANDBOX_ESHOPBOX_TOKEN_RATE_LIMIT"] = "1000"  # the clients share the sandbox's one Eshopbox client id
    # `make run`'s DAG parsing (the end-to-end tests parse every 5 s; Airflow's defaults are what users run)
    env |= {"AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "300", "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30"}
    if mode == "budget":
        env |= {"SANDBOX_ESHOPBOX_API_REQUESTS_PER_SECOND": "10", "SANDBOX_ESHOPBOX_API_BURST": "10"}
    try:
        with running_platform(home, env) as platform:
            measure(platform, mode, clients, per_client, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def measure(platform: Platform, mode: str, clients: int, per_client: int, home: Path) -> None:
    total = clients * per_client
    apply_workflows(platform, clients, home)
    deliveries = signed_deliveries(order_template(platform), clients, per_client)
    before = len(platform.state("eshopbox")["orders"])

    print(f"SENDING {total} webhooks", flush=True)
    started = time.monotonic()
    sent = send(platform, deliveries)
    print(f"{total} webhooks for {clients} client(s) acknowledged in {sent:.1f} s ({total / sent:.0f}/s)")
    last_print = [0.0]

    def progress(elapsed: float, done: int) -> None:
        if elapsed - last_print[0] > 5:
            print(f"  {elapsed:6.1f} s: {done} events done", flush=True)
            last_print[0] = elapsed

    outcome = drained(platform, deliveries, started, progress=progress)
    print(f"\n{mode}: {total} events drained in {outcome.elapsed:.1f} s from the first webhook to the last event "
          f"done: {outcome.rate:.1f} events/s")  # fmt: skip
    if mode == "budget":
        print(f"budget use: {outcome.rate / ORDERS_PER_SECOND_ALLOWED:.0%} of the {ORDERS_PER_SECOND_ALLOWED:.0f} "
              f"orders/s the declared limit allows")  # fmt: skip
    print(
        f"orders not exactly once: {outcome.not_exactly_once}; events by status: {outcome.events_by_status}; "
        f"DAG runs used: {outcome.runs}; 429s counted by the Eshopbox sandbox: {outcome.rate_limited}; "
        f"orders before: {before}"
    )
    if outcome.not_exactly_once or set(outcome.events_by_status) != {"done"}:
        raise SystemExit("FAILED: not every event reached Eshopbox exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["capacity", "budget"])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=50)
    parser.add_argument("--events", type=int, default=300, help="budget: webhooks for the one client")
    parser.add_argument("--api-workers", type=int, default=1, help="api-server worker processes (make run: 1)")
    args = parser.parse_args()
    if args.mode == "capacity":
        run("capacity", args.clients, args.per_client, args.api_workers)
    else:
        run("budget", 1, args.events, args.api_workers)


if __name__ == "__main__":
    main()
