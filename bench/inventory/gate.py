"""Benchmark of a polled inventory window: storing it in the inbox (PostgreSQL) and the data-quality gate.

    .venv/bin/python bench/inventory/gate.py                          # 100,000 rows
    .venv/bin/python bench/inventory/gate.py --rows 20000 --postgres postgresql+psycopg2://postgres@host/postgres

Generates a window of N Eshopbox stock records ({sku, warehouseId, sellable, updatedAt}), about 2% of them an
older version of another row's (SKU, warehouse) (superseded in the window) and about 0.5% each with a null SKU, a
negative quantity, a non-integer quantity (2.5 or "n/a") and a SKU missing from the SKU map. Then, in one process:

  * store: `store_polled_records` into a throwaway PostgreSQL database (created, migrated and dropped by the
    script): the first poll of the window (every record new), then the same window polled again (every record
    stored already and still pending: the overlap of consecutive windows);
  * gate: `quality_gate` (pandas diff + Great Expectations suite) on the pending events, cold (the process's
    first call: Great Expectations imported and set up) and warm (the next calls; median of `--repeat`), with
    the SKU map and without it (a workflow resolving SKUs in the target app);
  * set aside: `set_aside` (the gate, then the superseded and failing events finished in the inbox);
  * the window polled a third time: only the events still pending come back.

Prints the figures and checks the counts (rows set aside, pending after the gate) against the generated rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from tests.unit.registry.databases import POSTGRES_ADMIN, throwaway_database  # noqa: E402

WINDOW_START = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


def window(rows: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, int]]:
    """The records, the SKU map, and how many rows of each kind were generated."""
    rng = random.Random(seed)
    superseded = rows // 50
    unique = rows - superseded
    records: list[dict[str, Any]] = []
    sku_map: dict[str, int] = {}
    expected = {"superseded": superseded, "null sku": 0, "negative": 0, "not integer": 0, "unmapped": 0}
    for n in range(unique):
        sku = f"ESB-SKU-{n:07d}"
        record: dict[str, Any] = {
            "sku": sku,
            "warehouseId": "GGN" if n % 3 else "BLR",
            "sellable": rng.randint(0, 500),
            # unique per row: records without a SKU differ by their version only
            "updatedAt": (WINDOW_START + dt.timedelta(seconds=rng.randint(600, 3500), microseconds=n)).isoformat(),
            "channel": "shopify",
        }
        kind = n % 200
        if kind == 1:
            record["sku"] = None
            expected["null sku"] += 1
        elif kind == 2:
            record["sellable"] = -rng.randint(1, 9)
            expected["negative"] += 1
        elif kind == 3:
            record["sellable"] = 2.5 if n % 400 == 3 else "n/a"
            expected["not integer"] += 1
        elif kind == 4:
            expected["unmapped"] += 1
        if kind != 4 and record["sku"] is not None:
            sku_map[sku] = 44_000_000_000 + n
        records.append(record)
    identified = [n for n in range(unique) if records[n]["sku"] is not None]
    for n in rng.sample(identified, superseded):  # an older version of another row, earlier in the window
        older = {**records[n], "sellable": rng.randint(0, 500)}
        older["updatedAt"] = (WINDOW_START + dt.timedelta(seconds=n % 600, microseconds=n % 1_000_000)).isoformat()
        records.append(older)
    rng.shuffle(records)
    return records, sku_map, expected


def timed(function: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="records in the window (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="warm gate calls, median reported (default 3)")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="admin URL; a database is created and dropped")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    records, sku_map, expected = window(args.rows, args.seed)
    print(f"window: {len(records):,} records; generated: {expected}")
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores; PostgreSQL at {args.postgres.rsplit('@', 1)[-1]}"
    )

    import_s, _ = timed(__import__, "connectors.workflows.polled_records")
    from connectors.registry.db import DB_URL_VARIABLE, migrate, session_scope
    from connectors.registry.models import Event, EventStatus, Workflow
    from connectors.spec import Catalog
    from connectors.workflows.polled_records import store_polled_records
    from connectors.workflows.spec import QualitySpec

    trigger = Catalog.load().get("eshopbox@1.0.0").triggers["inventory_changed"]
    quality = QualitySpec(sku_field="sku", location_field="warehouseId", quantity_field="sellable", sku_map="sku_map")
    params = {"sku_map": sku_map}

    with throwaway_database(args.postgres, prefix="bench_gate") as url:
        migrate(url)
        os.environ[DB_URL_VARIABLE] = url
        with session_scope() as session:
            workflow = Workflow(client="bench", key="stock", name="bench", trigger_app="eshopbox",
                                trigger_version="1.0.0", trigger_connection="bench",
                                trigger_key="inventory_changed")  # fmt: skip
            session.add(workflow)
            session.flush()
            workflow_id = workflow.id

        store_first, pending = timed(store_polled_records, workflow_id, trigger, records)
        store_again, pending_again = timed(store_polled_records, workflow_id, trigger, records)
        assert len(pending) == len(records) and [i for i, _ in pending_again] == [i for i, _ in pending]
        print(f"store (PostgreSQL): first poll {store_first:.2f} s ({len(pending):,} new, all pending); "
              f"same window again {store_again:.2f} s ({len(pending_again):,} stored already, pending)")  # fmt: skip

        logging.getLogger("connectors.workflows.quality").setLevel(logging.ERROR)  # no line per row kept aside
        gx_import_s = float(
            subprocess.run(
                [sys.executable, "-c", "import time; t = time.perf_counter(); import great_expectations.expectations; "
                 "print(time.perf_counter() - t)"],
                env={**os.environ, "GX_ANALYTICS_ENABLED": "false"}, capture_output=True, text=True, check=True,
            ).stdout
        )  # fmt: skip
        gate_import_s, quality_module = timed(__import__, "connectors.workflows.quality")
        from connectors.workflows.quality import quality_gate, set_aside

        cold, report = timed(quality_gate, pending, quality, params, trigger.updated_at_field)
        warm = [timed(quality_gate, pending, quality, params, trigger.updated_at_field)[0] for _ in range(args.repeat)]
        no_map = [timed(quality_gate, pending, quality, {}, trigger.updated_at_field) for _ in range(args.repeat)]
        failed = len(report.failed)
        bad = expected["null sku"] + expected["negative"] + expected["not integer"] + expected["unmapped"]
        print(f"import connectors.workflows.quality (pandas): {gate_import_s:.2f} s")
        print(f"quality_gate, {len(pending):,} rows: cold {cold:.2f} s (first call: Great Expectations imported "
              f"and set up; the import alone, in another interpreter: {gx_import_s:.2f} s), "
              f"warm {statistics.median(warm):.2f} s (median of {args.repeat}: "
              f"{', '.join(f'{s:.2f}' for s in warm)}), warm without a SKU map "
              f"{statistics.median(s for s, _ in no_map):.2f} s")  # fmt: skip
        print(f"  {len(report.passed):,} to push, {len(report.superseded):,} superseded, {failed:,} kept aside "
              f"({len(no_map[0][1].failed):,} without the SKU map)")  # fmt: skip
        assert len(report.superseded) == expected["superseded"] and failed == bad, (report.superseded, failed, bad)
        assert len(no_map[0][1].failed) == bad - expected["unmapped"]

        aside_s, kept_aside = timed(set_aside, pending, quality, params, trigger.updated_at_field)
        third_s, pending_third = timed(store_polled_records, workflow_id, trigger, records)
        print(f"set_aside (gate + {kept_aside:,} events finished): {aside_s:.2f} s; "
              f"window polled again: {third_s:.2f} s, {len(pending_third):,} still pending")  # fmt: skip
        assert kept_aside == expected["superseded"] + bad and len(pending_third) == len(pending) - kept_aside
        with session_scope() as session:
            from sqlalchemy import func, select

            counts = dict(session.execute(select(Event.status, func.count()).group_by(Event.status)).all())
        assert counts.get(EventStatus.FILTERED) == expected["superseded"] and counts.get(EventStatus.FAILED) == bad
        print(f"inbox by status: { {str(k): v for k, v in counts.items()} }; base imports {import_s:.2f} s")
    del quality_module


if __name__ == "__main__":
    main()
