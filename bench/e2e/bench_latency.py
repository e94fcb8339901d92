"""Median time from a Shopify webhook to the Eshopbox order created, through the whole platform.

Starts what `make run` starts (embedded PostgreSQL, sandboxes, receiver in Airflow standalone), enables the order
workflow, then creates N orders in the Shopify sandbox, `--gap` seconds apart so each is a lone event (the run of
the previous one has finished): each sends a signed `orders/create` webhook; the clock stops when the order exists
in the Eshopbox sandbox.

    .venv/bin/python bench/e2e/bench_latency.py [--events 20] [--gap 3]

It also reports the CPU the platform spent per lone event, by process (Airflow's components, task processes,
PostgreSQL, the sandboxes), less what the same processes spend idle over the same time (measured first, for as
long): the cost of one event that has a DAG run of its own, the input of docs/scaling.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.platform import cpu_seconds, running_platform, wait_for

DAG = "wf.demo.shopify_order_to_eshopbox"


def cpu_by_process(root: int) -> dict[str, float]:
    """CPU seconds used so far by each kind of process under `root` (finished children counted in their parent)."""
    used: dict[str, float] = {}
    top = psutil.Process(root)
    for process in (top, *top.children(recursive=True)):
        with suppress(psutil.Error):
            words = " ".join(process.cmdline()).split()
            name = next((words[i + 1] for i, w in enumerate(words[:2]) if w.endswith("airflow")), None)
            if name is None:
                name = "postgres" if "postgres" in " ".join(words[:2]) else "sandbox" if "sandbox" in words else "other"
            used[name] = used.get(name, 0.0) + cpu_seconds(process)
    return used


def difference(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between one order done and the next sent")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as home, running_platform(Path(home)) as platform:
        wait_for(lambda: platform.api("GET", f"/dags/{DAG}").ok, 180, "the DAG", platform)
        platform.api("PATCH", f"/dags/{DAG}", json={"is_paused": False})
        time.sleep(10)  # the DAG's first run and parse settle
        idle_started, idle_before = time.monotonic(), cpu_by_process(platform.process.pid)
        time.sleep(args.events * (args.gap + 1.3))  # about as long as the events take
        idle = difference(cpu_by_process(platform.process.pid), idle_before)
        idle_rate = {name: used / (time.monotonic() - idle_started) for name, used in idle.items()}
        busy_started, busy_before = time.monotonic(), cpu_by_process(platform.process.pid)
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
        busy = difference(cpu_by_process(platform.process.pid), busy_before)
        seconds = time.monotonic() - busy_started
        per_event = {name: (used - idle_rate.get(name, 0.0) * seconds) / args.events for name, used in busy.items()}
        print("CPU per lone event (its own DAG run), ms, idle subtracted: " + ", ".join(
            f"{name} {1000 * used:.0f}" for name, used in sorted(per_event.items(), key=lambda kv: -kv[1])
        ) + f"; total {1000 * sum(per_event.values()):.0f}")  # fmt: skip
        p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1]
        print(f"\n{args.events} webhooks -> Eshopbox orders: median {statistics.median(latencies):.2f} s, "
              f"p95 {p95:.2f} s, min {min(latencies):.2f} s, max {max(latencies):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
