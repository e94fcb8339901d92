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
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.platform import Platform, running_platform, wait_for  # noqa: E402

SEED = ROOT / "include" / "workflows" / "shopify_order_to_eshopbox.yaml"
DEMO_CONNECTIONS = json.loads((ROOT / "include" / "connections" / "demo.json").read_text())
ORDERS_PER_SECOND_ALLOWED = 10 / 2  # the Eshopbox app's declared 10 requests/s, two requests an order


def client_name(number: int) -> str:
    return f"bench{number:02d}"


def connections(clients: int) -> dict[str, str]:
    """`AIRFLOW_CONN_*` variables: each client its own Shopify (own webhook secret) and Eshopbox connection."""
    env = {}
    for number in range(1, clients + 1):
        name = client_name(number)
        shopify = json.loads(json.dumps(DEMO_CONNECTIONS["demo_shopify"]))
        shopify["extra"]["webhook_secret"] = f"{name}-webhook-secret"
        env[f"AIRFLOW_CONN_{name.upper()}_SHOPIFY"] = json.dumps(shopify)
        env[f"AIRFLOW_CONN_{name.upper()}_ESHOPBOX"] = json.dumps(DEMO_CONNECTIONS["demo_eshopbox"])
    return env


def apply_workflows(platform: Platform, clients: int, folder: Path) -> list[str]:
    seed = SEED.read_text()
    for number in range(1, clients + 1):
        name = client_name(number)
        text_ = (
            seed.replace("client: demo", f"client: {name}")
            .replace("connection: demo_shopify", f"connection: {name}_shopify")
            .replace("connection: demo_eshopbox", f"connection: {name}_eshopbox")
        )
        (folder / f"{name}.yaml").write_text(text_)
    env = {**os.environ, **connections(clients), "INTEGRATIONS_DB_URL": platform.registry_url}
    subprocess.run([str(ROOT / ".venv" / "bin" / "integrations"), "workflows", "apply", str(folder)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    dag_ids = [f"wf.{client_name(n)}.shopify_order_to_eshopbox" for n in range(1, clients + 1)]
    wait_for(
        lambda: len(platform.api("GET", "/dags", params={"dag_id_pattern": "wf.bench", "limit": 100}).json()["dags"])
        == clients, 240, "the workflow DAGs to be parsed", platform,
    )  # fmt: skip
    for dag_id in dag_ids:
        assert platform.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False}).ok
    return dag_ids


def order_template(platform: Platform) -> dict[str, Any]:
    """A Shopify order as the sandbox shapes it (its own webhook goes to the paused demo workflow)."""
    created = platform.sandbox("shopify", "/orders", {"sku": "ESB-MUG-WHITE", "quantity": 1})
    return created.get("order", created)


def signed_deliveries(template: dict[str, Any], clients: int, per_client: int) -> list[tuple[str, bytes, dict]]:
    deliveries = []
    base_id = 7_000_000_000_000
    for index in range(per_client):
        for number in range(1, clients + 1):
            name = client_name(number)
            order = {**template, "id": base_id + number * 100_000 + index, "name": f"#{name}-{index}"}
            body = json.dumps(order).encode()
            digest = hmac.new(f"{name}-webhook-secret".encode(), body, hashlib.sha256).digest()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Shop-Domain": "demo.myshopify.com",
            }
            deliveries.append((f"/webhooks/shopify/order_created/{name}_shopify", body, headers))
    return deliveries


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
    template = order_template(platform)
    deliveries = signed_deliveries(template, clients, per_client)
    expected = {str(json.loads(body)["id"]) for _, body, _ in deliveries}
    before = len(platform.state("eshopbox")["orders"])

    def send(delivery: tuple[str, bytes, dict]) -> int:
        path, body, headers = delivery
        return platform.http.post(platform.receiver + path, data=body, headers=headers, timeout=60).status_code

    print(f"SENDING {total} webhooks", flush=True)
    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(send, deliveries))
    sent = time.monotonic() - started
    assert statuses.count(200) == total, {s: statuses.count(s) for s in set(statuses)}
    print(f"{total} webhooks for {clients} client(s) acknowledged in {sent:.1f} s ({total / sent:.0f}/s)")

    engine = create_engine(platform.registry_url)
    done_events = text(
        "SELECT count(*) FROM events e JOIN workflows w ON w.id = e.workflow_id "
        "WHERE w.client LIKE 'bench%' AND e.status = 'done'"
    )
    last_print = 0.0
    with engine.connect() as connection:  # the registry, not the sandbox's whole state: cheap to ask often
        while (done := connection.execute(done_events).scalar_one()) < total:
            now = time.monotonic()
            if now - last_print > 5:
                print(f"  {now - started:6.1f} s: {done} events done", flush=True)
                last_print = now
            if now - started > 1800:
                raise SystemExit(f"only {done} of {total} events done after 30 min\n{platform.log_tail()}")
            time.sleep(0.1)
    elapsed = time.monotonic() - started
    state = platform.state("eshopbox")
    numbers = [o["customerOrderNumber"] for o in state["orders"]]
    duplicates = sum(1 for n in expected if numbers.count(n) != 1)
    by_status = text(
        "SELECT e.status, count(*) FROM events e JOIN workflows w ON w.id = e.workflow_id "
        "WHERE w.client LIKE 'bench%' GROUP BY e.status"
    )
    with engine.connect() as connection:
        statuses_ = wait_for(  # the last event's status is written just after its order
            lambda: (rows := dict(connection.execute(by_status).all())) and set(rows) == {"done"} and rows,
            60, "every event done", platform,
        )  # fmt: skip
        runs = connection.execute(text(
            "SELECT count(DISTINCT e.dag_run_id) FROM events e JOIN workflows w ON w.id = e.workflow_id "
            "WHERE w.client LIKE 'bench%'"
        )).scalar_one()  # fmt: skip
    engine.dispose()
    rate = total / elapsed
    print(f"\n{mode}: {total} events drained in {elapsed:.1f} s from the first webhook to the last event done: "
          f"{rate:.1f} events/s")  # fmt: skip
    if mode == "budget":
        print(f"budget use: {rate / ORDERS_PER_SECOND_ALLOWED:.0%} of the {ORDERS_PER_SECOND_ALLOWED:.0f} "
              f"orders/s the declared limit allows")  # fmt: skip
    print(
        f"orders not exactly once: {duplicates}; events by status: {statuses_}; DAG runs used: {runs}; "
        f"429s counted by the Eshopbox sandbox: {state.get('rate_limited')}; orders before: {before}"
    )
    if duplicates or set(statuses_) != {"done"}:
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
