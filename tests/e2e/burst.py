"""A burst of signed Shopify `orders/create` webhooks for N clients, and what it must end as: every order in the
Eshopbox sandbox exactly once and every event `done`. Shared by bench/e2e/bench_events.py (make run's topology) and
tests/e2e/test_celery_topology.py (the compose topology with Celery workers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.e2e.platform import ROOT, Platform, wait_for

SEED = ROOT / "include" / "workflows" / "shopify_order_to_eshopbox.yaml"
DEMO_CONNECTIONS = json.loads((ROOT / "include" / "connections" / "demo.json").read_text())
CLIENTS_LIKE = "bench%"


def client_name(number: int) -> str:
    return f"bench{number:02d}"


def connections(clients: int, shared_eshopbox: bool = False) -> dict[str, str]:
    """`AIRFLOW_CONN_*` variables: each client its own Shopify (own webhook secret) and Eshopbox connection, or one
    Eshopbox connection for all (`shared_eshopbox`: the hub's own account, one request budget)."""
    env = {"AIRFLOW_CONN_BENCH_ESHOPBOX": json.dumps(DEMO_CONNECTIONS["demo_eshopbox"])} if shared_eshopbox else {}
    for number in range(1, clients + 1):
        name = client_name(number)
        shopify = json.loads(json.dumps(DEMO_CONNECTIONS["demo_shopify"]))
        shopify["extra"]["webhook_secret"] = f"{name}-webhook-secret"
        env[f"AIRFLOW_CONN_{name.upper()}_SHOPIFY"] = json.dumps(shopify)
        if not shared_eshopbox:
            env[f"AIRFLOW_CONN_{name.upper()}_ESHOPBOX"] = json.dumps(DEMO_CONNECTIONS["demo_eshopbox"])
    return env


def apply_workflows(platform: Platform, clients: int, folder: Path, shared_eshopbox: bool = False) -> list[str]:
    """Each client's copy of the seed workflow, applied and enabled once its DAG is parsed."""
    seed = SEED.read_text()
    for number in range(1, clients + 1):
        name = client_name(number)
        eshopbox = "bench_eshopbox" if shared_eshopbox else f"{name}_eshopbox"
        text_ = (
            seed.replace("client: demo", f"client: {name}")
            .replace("connection: demo_shopify", f"connection: {name}_shopify")
            .replace("connection: demo_eshopbox", f"connection: {eshopbox}")
        )
        (folder / f"{name}.yaml").write_text(text_)
    env = {**os.environ, **connections(clients, shared_eshopbox), "INTEGRATIONS_DB_URL": platform.registry_url}
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


def signed_deliveries(
    template: dict[str, Any], clients: int, per_client: int, first_id: int = 7_000_000_000_000
) -> list[tuple[str, bytes, dict[str, str]]]:
    deliveries = []
    for index in range(per_client):
        for number in range(1, clients + 1):
            name = client_name(number)
            order = {**template, "id": first_id + number * 100_000 + index, "name": f"#{name}-{index}"}
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


def send(platform: Platform, deliveries: list[tuple[str, bytes, dict[str, str]]]) -> float:
    """Post every delivery (32 at a time, as a vendor's retry queue would); seconds it took. Each must be taken."""

    def post(delivery: tuple[str, bytes, dict[str, str]]) -> int:
        path, body, headers = delivery
        return platform.http.post(platform.receiver + path, data=body, headers=headers, timeout=60).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        statuses = list(pool.map(post, deliveries))
    assert statuses.count(200) == len(deliveries), {s: statuses.count(s) for s in set(statuses)}
    return time.monotonic() - started


@dataclass
class Outcome:
    elapsed: float  # first webhook sent -> last event done
    not_exactly_once: int
    events_by_status: dict[str, int]
    runs: int
    rate_limited: int | None  # 429s the Eshopbox sandbox answered

    @property
    def rate(self) -> float:
        return sum(self.events_by_status.values()) / self.elapsed


def drained(
    platform: Platform,
    deliveries: list[tuple[str, bytes, dict[str, str]]],
    started: float,
    timeout: float = 1800,
    progress: Callable[[float, int], None] | None = None,
) -> Outcome:
    """Wait until every delivered order's event is done; then count orders, events and runs."""
    total, expected = len(deliveries), {str(json.loads(body)["id"]) for _, body, _ in deliveries}
    engine = create_engine(platform.registry_url)
    ids = ",".join(f"'{headers['X-Shopify-Webhook-Id']}'" for _, _, headers in deliveries)  # the events' dedupe keys
    done_events = text(f"SELECT count(*) FROM events e WHERE e.status = 'done' AND e.dedupe_key IN ({ids})")
    by_status = text(f"SELECT e.status, count(*) FROM events e WHERE e.dedupe_key IN ({ids}) GROUP BY e.status")
    runs = text(f"SELECT count(DISTINCT e.dag_run_id) FROM events e WHERE e.dedupe_key IN ({ids})")
    try:
        with engine.connect() as connection:  # the registry, not the sandbox's whole state: cheap to ask often
            while (done := connection.execute(done_events).scalar_one()) < total:
                if progress is not None:
                    progress(time.monotonic() - started, done)
                if time.monotonic() - started > timeout:
                    raise AssertionError(f"only {done} of {total} events done after {timeout:.0f} s\n"
                                         f"{platform.log_tail()}")  # fmt: skip
                time.sleep(0.1)
            elapsed = time.monotonic() - started
            statuses = dict(connection.execute(by_status).all())
            run_count = connection.execute(runs).scalar_one()
    finally:
        engine.dispose()
    state = platform.state("eshopbox")
    numbers: dict[str, int] = {}
    for order in state["orders"]:
        numbers[order["customerOrderNumber"]] = numbers.get(order["customerOrderNumber"], 0) + 1
    wrong = sum(1 for number in expected if numbers.get(number) != 1)
    return Outcome(elapsed, wrong, statuses, run_count, state.get("rate_limited"))
