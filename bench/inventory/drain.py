"""The drain of a bulk step alone, without Airflow: N stock events on a PostgreSQL registry pushed to the Shopify
sandbox in-process, with its GraphQL budget lifted (`--restore-rate`) so what is measured is the platform's own
work per event (claim, render, resolve from cache, compare, record) and where it goes (`--profile`).

    .venv/bin/python bench/inventory/drain.py [--events 20000] [--restore-rate 1000000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.unit.registry.databases import POSTGRES_ADMIN as ADMIN  # noqa: E402
from tests.unit.registry.databases import throwaway_database  # noqa: E402

LOCATION = 65000000001


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--restore-rate", type=float, default=1_000_000.0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with throwaway_database(ADMIN, prefix="bench_drain") as url:
        os.environ["INTEGRATIONS_DB_URL"] = url
        run(url, args.events, args.restore_rate, args.profile)


def run(url: str, count: int, restore_rate: float, profile: bool) -> None:
    from connectors.registry.db import get_engine, migrate, session_scope
    from connectors.registry.inbox import NewEvent, store_events
    from connectors.registry.models import Workflow
    from connectors.runtime.http.client import AppClient, ConnectionValues
    from connectors.runtime.http.rate_limit import CostBucket
    from connectors.sandbox import SandboxServer
    from connectors.sandbox.config import SandboxConfig
    from connectors.spec import Catalog
    from connectors.workflows.drain import drain_workflow
    from connectors.workflows.store import apply_workflows
    from connectors.workflows.validation import load_workflow

    migrate(url)
    catalog = Catalog.load()
    spec = load_workflow(ROOT / "include" / "workflows" / "eshopbox_stock_to_shopify.yaml", catalog)
    with session_scope(url) as session:
        apply_workflows(session, [spec])
    with session_scope(url) as session:
        workflow_id = session.query(Workflow.id).filter_by(key=spec.key).scalar()
    config = SandboxConfig.from_env(environ={}, shopify={"graphql_restore_rate": restore_rate})
    with SandboxServer(config) as sandbox:
        http = requests.Session()
        http.trust_env = False
        body = {"count": count, "sku_prefix": "BULK-", "start": 0, "pad": 6, "location_ids": [LOCATION]}
        http.post(f"{sandbox.url}/shopify/_sandbox/inventory_items/bulk", json=body, timeout=60).raise_for_status()
        stamp = "2026-11-20T10:10:00Z"
        events = [
            NewEvent(workflow_id, f"BULK-{n:06d}|GGN|{stamp}",
                     json.dumps({"sku": f"BULK-{n:06d}", "warehouseId": "GGN", "sellable": n % 97,
                                 "updatedAt": stamp}).encode())
            for n in range(count)
        ]  # fmt: skip
        with get_engine(url).begin() as connection:
            store_events(connection, events)
        bucket = CostBucket()

        def clients(app_ref: str, conn_id: str) -> AppClient:
            secrets = {"access_token": "shpat_sandbox_demo_token", "webhook_secret": "sandbox-shopify-webhook-secret"}
            values = ConnectionValues(conn_id, secrets, {"shop": "demo"})
            client = AppClient(catalog.get(app_ref), values, environment={"ADMIN_BASE_URL": f"{sandbox.url}/shopify"},
                               session=http)  # fmt: skip
            client.cost_bucket = bucket
            return client

        for label, run_id in (("cold mapping", "bench-1"), ("unchanged", "bench-2")):
            if label == "unchanged":  # the same levels again, as new versions of the records
                again = [NewEvent(e.workflow_id, e.dedupe_key + "-again", e.payload) for e in events]
                with get_engine(url).begin() as connection:
                    store_events(connection, again)
            profiler = cProfile.Profile() if profile else None
            started, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            summary = drain_workflow(workflow_id, run_id, clients, url=url)
            if profiler:
                profiler.disable()
            wall, used = time.perf_counter() - started, time.process_time() - cpu
            print(f"{label}: {count} events in {wall:.1f} s ({count / wall:.0f}/s), CPU {used:.1f} s "
                  f"({used / count * 1e6:.0f} µs/event); {summary.counts()}")  # fmt: skip
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
