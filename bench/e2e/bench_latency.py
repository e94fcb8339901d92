"""Median time from a Shopify webhook to the Eshopbox order created, through the whole platform.

Starts what `make run` starts (embedded PostgreSQL, sandboxes, receiver in Airflow standalone), enables the order
workflow, then creates N orders in the Shopify sandbox, `--gap` seconds apart so each is a lone event (the run of
the previous one has finished): each sends a signed `orders/create` webhook; the clock stops when the order exists
in the Eshopbox sandbox.

    .venv/bin/python bench/e2e/bench_latency.py [--events 20] [--gap 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.platform import running_platform, wait_for

DAG = "wf.demo.shopify_order_to_eshopbox"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between one order done and the next sent")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as home, running_platform(Path(home)) as platform:
        wait_for(lambda: platform.api("GET", f"/dags/{DAG}").ok, 180, "the DAG", platform)
        platform.api("PATCH", f"/dags/{DAG}", json={"is_paused": False})
        latencies = []
        for number in range(args.events):
            time.sleep(args.gap)
            started = time.monotonic()
            created = platform.sandbox("shopify", "/orders", {"sku": "ESB-MUG-WHITE", "quantity": 1})
            order_id = str(created.get("order", created)["id"])
            wait_for(
                lambda order_id=order_id: any(
                    o["customerOrderNumber"] == order_id for o in platform.state("eshopbox")["orders"]
                ),
                120, f"order {order_id}", platform,
            )  # fmt: skip
            latencies.append(time.monotonic() - started)
            print(f"event {number + 1:2}: {latencies[-1]:.2f} s", flush=True)
        p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1]
        print(f"\n{args.events} webhooks -> Eshopbox orders: median {statistics.median(latencies):.2f} s, "
              f"p95 {p95:.2f} s, min {min(latencies):.2f} s, max {max(latencies):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
