"""Inventory sync at scale on `make run`'s topology (embedded PostgreSQL, Airflow standalone, sandboxes).

N SKUs changed in one past hour in the Eshopbox sandbox, each an inventory item in the Shopify sandbox (GraphQL
cost budget: 1,000-point bucket, `--restore-rate` points/s; Shopify's Standard plan restores 100/s, older docs
say 50). The seed workflow `eshopbox_stock_to_shopify` is backfilled over that hour with `airflow backfill create`,
then backfilled again (`--reprocess-behavior completed`). Reported: the run's wall time and its two tasks (poll,
process_events) beside what the declared budgets allow (Eshopbox: 10 requests/s for N/100 pages; Shopify:
ceil(N/250) `inventorySetQuantities` at 10 points each), task instances, 429s/THROTTLED, levels checked one by one,
and the second backfill's writes.

The SKU → inventory item mapping is found by the app's search at about one point per SKU: 100,000 SKUs cost
about 100,000 points (17 min at 100/s) once per connection. `--mapping cold` measures that path (use it with a
smaller N); the default `--mapping known` stores the mapping in the registry first, as a connection that synced
before has it.

    .venv/bin/python bench/inventory/sync.py [--skus 100000] [--restore-rate 100] [--mapping known|cold]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.platform import Platform, running_platform, wait_for  # noqa: E402

DAG_ID = "wf.demo.eshopbox_stock_to_shopify"
LOCATION = 65000000001
WINDOW = dt.datetime(2026, 11, 5, 3, tzinfo=dt.UTC)
BUCKET, MUTATION_COST, PER_CALL, PAGE, ESHOPBOX_RPS = 1000, 10, 250, 100, 10.0


def backfill(platform: Platform, *options: str) -> float:
    """Create the backfill of the window; returns when it was created (epoch seconds)."""
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "airflow"), "backfill", "create", "--dag-id", DAG_ID, "--from-date", WINDOW.isoformat(),
               "--to-date", (WINDOW + dt.timedelta(hours=1)).isoformat(), *options]  # fmt: skip
    env = {"AIRFLOW_HOME": str(platform.home), "PATH": str(bin_dir), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    for _ in range(60):  # the previous backfill of the DAG is marked ended a little after its last run
        started = time.time()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode == 0:
            return started
        if "AlreadyRunningBackfill" not in done.stderr:
            break
        time.sleep(5)
    raise SystemExit(done.stdout + done.stderr)


def window_run(platform: Platform, after: str | None = None) -> dict[str, Any] | None:
    for run in platform.api("GET", f"/dags/{DAG_ID}/dagRuns").json()["dag_runs"]:
        began = dt.datetime.fromisoformat(run["data_interval_start"].replace("Z", "+00:00"))
        if began == WINDOW and run["state"] in ("success", "failed") and (after is None or run["end_date"] > after):
            return run
    return None


def seconds(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def task_times(platform: Platform, run_id: str) -> dict[str, tuple[float, int]]:
    """Task id -> (duration, tries) of the run's task instances."""
    listed = platform.api("GET", f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    return {ti["task_id"]: (ti["duration"] or 0.0, ti["try_number"]) for ti in listed}


def seed_mapping(registry_url: str, skus: list[str], item_ids: list[int]) -> None:
    """What a connection that synced before holds: the SKU → inventory item mapping its searches found."""
    engine = create_engine(registry_url)
    now = dt.datetime.now(dt.UTC)
    rows = [{"key": sku, "value": json.dumps({"value": f"gid://shopify/InventoryItem/{item}"}), "at": now}
            for sku, item in zip(skus, item_ids, strict=True)]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO resolved_values (app, connection_id, search, key, value, resolved_at) VALUES "
                "('shopify', 'demo_shopify', 'find_inventory_items', :key, CAST(:value AS json), :at)"
            ),  # fmt: skip
            rows,
        )
    engine.dispose()


def writes(registry_url: str) -> tuple[int, Any]:
    engine = create_engine(registry_url)
    with engine.connect() as connection:
        found = connection.execute(text(
            "SELECT count(*), max(a.updated_at) FROM action_log a JOIN workflows w ON w.id = a.workflow_id "
            "WHERE w.key = 'eshopbox_stock_to_shopify' AND a.outcome = 'succeeded'"
        )).one()  # fmt: skip
    engine.dispose()
    return found[0], found[1]


def measure(platform: Platform, count: int, restore_rate: float, mapping: str) -> dict[str, Any]:
    assert platform.api("PATCH", f"/dags/{DAG_ID}", json={"is_paused": False}).ok
    shape = {"count": count, "sku_prefix": "BULK-", "start": 0, "pad": 6}
    made = platform.sandbox("shopify", "/inventory_items/bulk", {**shape, "location_ids": [LOCATION]})
    changed_at = (WINDOW + dt.timedelta(minutes=30)).isoformat()
    body = {**shape, "warehouse_id": "GGN", "sellable": "random", "updated_at": changed_at}
    stock: dict[str, int] = platform.sandbox("eshopbox", "/inventory/bulk", body)["sellable"]
    skus = sorted(stock)
    if mapping == "known":
        seed_mapping(platform.registry_url, [f"BULK-{n:06d}" for n in range(count)], made["inventory_item_ids"])
    throttled = platform.state("shopify")["rate_limited"]

    created = backfill(platform)
    first = wait_for(lambda: window_run(platform), 4 * 3600, "the backfill run", platform)
    levels = platform.sandbox("shopify", "/inventory_levels", method="GET", location_id=LOCATION)
    wrong = [sku for sku in skus if levels.get(sku) != stock[sku]]
    tasks = task_times(platform, first["dag_run_id"])
    logged, last = writes(platform.registry_url)

    print(f"first run: {first['state']}, {seconds(first['start_date'], first['end_date']):.1f} s, tasks {tasks}, "
          f"{len(wrong)} levels wrong or missing", flush=True)  # fmt: skip
    backfill(platform, "--reprocess-behavior", "completed")
    again = wait_for(lambda: window_run(platform, after=first["end_date"]), 3600, "the second run", platform)
    logged_again, last_again = writes(platform.registry_url)
    calls = math.ceil(count / PER_CALL)
    return {
        "skus": count,
        "mapping": mapping,
        "restore_rate": restore_rate,
        "run_state": first["state"],
        "backfill_created_to_run_end_s": round(dt.datetime.fromisoformat(first["end_date"]).timestamp() - created, 1),
        "run_s": round(seconds(first["start_date"], first["end_date"]), 1),
        "poll_s": round(tasks.get("poll", (0, 0))[0], 1),
        "process_events_s": round(tasks.get("process_events", (0, 0))[0], 1),
        "task_instances": len(tasks),
        "tries": {task: tries for task, (_, tries) in tasks.items()},
        "eshopbox_budget_s": round(count / PAGE / ESHOPBOX_RPS, 1),
        "shopify_calls": calls,
        "shopify_budget_s": round(max(0.0, calls * MUTATION_COST - BUCKET) / restore_rate, 1),
        "levels_wrong_or_missing": len(wrong),
        "throttled": platform.state("shopify")["rate_limited"] - throttled,
        "writes_first": logged,
        "second_run_state": again["state"],
        "second_run_s": round(seconds(again["start_date"], again["end_date"]), 1),
        "writes_second": logged_again - logged if last_again != last or logged_again != logged else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--restore-rate", type=float, default=100.0)
    parser.add_argument("--mapping", choices=["known", "cold"], default="known")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-inventory-"))
    env = {"SANDBOX_SHOPIFY_GRAPHQL_RESTORE_RATE": str(args.restore_rate),
           "SANDBOX_ESHOPBOX_API_REQUESTS_PER_SECOND": str(ESHOPBOX_RPS),
           "SANDBOX_ESHOPBOX_API_BURST": str(int(ESHOPBOX_RPS))}  # fmt: skip
    try:
        with running_platform(home, env) as platform:
            print(json.dumps(measure(platform, args.skus, args.restore_rate, args.mapping), indent=2))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
