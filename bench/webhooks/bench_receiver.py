"""Benchmark of the webhook receiver: signed Shopify webhooks stored and acknowledged per second, and latency.

    .venv/bin/python bench/webhooks/bench_receiver.py --requests 20000 --concurrency 32      # closed loop: capacity
    .venv/bin/python bench/webhooks/bench_receiver.py --requests 15000 --rate 500 --concurrency 256   # open loop
    .venv/bin/python bench/webhooks/bench_receiver.py --workers 2          # two uvicorn workers, one dispatcher lock
    .venv/bin/python bench/webhooks/bench_receiver.py --writer thread      # writer thread instead of the event loop
    .venv/bin/python bench/webhooks/bench_receiver.py --target http://127.0.0.1:8080/integrations \
        --secret <demo_shopify webhook_secret> --db-url sqlite:///.airflow/integrations.db   # a running api-server

Processes: the receiver (uvicorn, `--workers` processes, SQLite WAL registry in a temp folder with the seed
workflows), a fake Airflow REST API (answers a trigger after `--api-latency-ms`, like a real Airflow on SQLite),
and this process as the load generator (aiohttp; bodies and HMAC signatures computed before the clock starts;
its own garbage collector off while measuring). Every request carries a unique X-Shopify-Webhook-Id, so every
acknowledged request is one stored event; the script checks the count in the database afterwards.

Closed loop (default): `--concurrency` senders each send the next webhook when the last is answered — the
receiver's capacity. Open loop (`--rate`): webhook i is due at start + i/rate, as providers send them; latency
counts from the due time. Diagnostics (environment of the receiver): BENCH_PROFILE=<path> (cProfile of the event
loop thread), BENCH_GC_LOG=<path> (collector pauses > 5 ms), BENCH_STALLS=<path> (stack of the loop thread when
it stalls > 80 ms), BENCH_TRACE=<path> (per-request due time and latency, written by the generator).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import hmac
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECRET = "shpss_bench_webhook_secret"
CONNECTIONS = {"demo_shopify": {"access_token": "shpat_bench", "webhook_secret": SECRET, "shop": "demo"}}
ROUTE = "/webhooks/shopify/order_created/demo_shopify"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the receiver, as uvicorn builds it in each worker process ---------------------------------------------------


def create_bench_app() -> Any:
    """uvicorn factory: the receiver configured from BENCH_* variables (set by `main`)."""
    from connectors.webhooks import WebhookSettings, create_app
    from connectors.webhooks.connections import StaticConnections

    connections = json.loads(os.environ["BENCH_CONNECTIONS"])
    settings = WebhookSettings.from_env(
        connection_lookup=StaticConnections(connections),
        store_in_event_loop={"loop": True, "thread": False}.get(os.environ.get("BENCH_WRITER", "")),
        gc_freeze=os.environ.get("BENCH_GC_FREEZE", "1") == "1",
        sweep_interval_seconds=5.0,
        management_access=lambda: None,  # the benchmark reads GET /health without an Airflow login
    )
    if os.environ.get("BENCH_GC_LOG"):  # experiment: log collector pauses longer than 5 ms
        import gc as collector

        started: list[float] = []

        def watch(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                started[:] = [time.perf_counter()]
            elif started and (pause := time.perf_counter() - started[0]) > 0.005:
                with open(os.environ["BENCH_GC_LOG"], "a") as log:
                    log.write(f"gen{info['generation']} {1000 * pause:.0f} ms\n")

        collector.callbacks.append(watch)
    if os.environ.get("BENCH_SYNCHRONOUS"):  # --sqlite-synchronous: e.g. NORMAL, no fsync per commit (trade-off)
        from sqlalchemy import event

        from connectors.registry.db import database_url, get_engine

        def pragma(connection: Any, _: Any) -> None:
            connection.execute(f"PRAGMA synchronous={os.environ['BENCH_SYNCHRONOUS']}")

        event.listen(get_engine(database_url()), "connect", pragma)
    if os.environ.get("BENCH_PROFILE"):  # profile this worker's event-loop thread for BENCH_PROFILE_SECONDS
        import cProfile
        import threading

        profiler = cProfile.Profile()
        profiler.enable()
        path = f"{os.environ['BENCH_PROFILE']}.{os.getpid()}"
        seconds = float(os.environ.get("BENCH_PROFILE_SECONDS", "20"))
        threading.Timer(seconds, lambda: profiler.dump_stats(path)).start()
    app = create_app(settings)
    if os.environ.get("BENCH_STALLS"):
        return with_stall_watchdog(app, os.environ["BENCH_STALLS"])
    return app


def with_stall_watchdog(app: Any, path: str, threshold: float = 0.08) -> Any:
    """Wrap the ASGI app: a ticker on the event loop and a thread that writes the loop thread's stack to `path`
    whenever the loop has not ticked for `threshold` seconds (what blocks it)."""
    import asyncio
    import threading
    import traceback

    state: dict[str, Any] = {"tick": time.perf_counter(), "thread": None}

    async def ticker() -> None:
        state["thread"] = threading.get_ident()
        while True:
            state["tick"] = time.perf_counter()
            await asyncio.sleep(0.005)

    def watch() -> None:
        reported = 0.0
        while True:
            time.sleep(0.02)
            tick = state["tick"]
            late = time.perf_counter() - tick
            if late > threshold and state["thread"] is not None and tick != reported:
                reported = tick
                frame = sys._current_frames().get(state["thread"])
                stack = "".join(traceback.format_stack(frame, limit=14)) if frame else "?"
                with open(path, "a") as out:
                    out.write(f"--- loop late {1000 * late:.0f} ms\n{stack}\n")

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if "task" not in state:
            state["task"] = asyncio.get_running_loop().create_task(ticker())
            threading.Thread(target=watch, daemon=True).start()
        await app(scope, receive, send)

    return wrapped


# -- the fake Airflow API ------------------------------------------------------------------------------------------


def serve_fake_api(port: int, latency_ms: float) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.unit.webhooks.fake_airflow import FakeAirflow

    fake = FakeAirflow(port=port, username="bench", password="bench-password")
    fake.latency = latency_ms / 1000
    fake.start()
    while True:
        time.sleep(3600)


# -- setup -----------------------------------------------------------------------------------------------------------


def prepare_registry(folder: Path) -> str:
    from connectors.registry.db import migrate, session_scope
    from connectors.spec import Catalog
    from connectors.workflows.store import apply_workflows, load_workflow_files

    url = f"sqlite:///{folder / 'registry.db'}"
    migrate(url)
    specs = load_workflow_files(sorted((ROOT / "include" / "workflows").glob("*.yaml")), Catalog.load())
    with session_scope(url) as session:
        apply_workflows(session, specs)
    return url


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def make_deliveries(count: int, prefix: str, secret: str = SECRET) -> list[tuple[bytes, dict[str, str]]]:
    deliveries = []
    for n in range(count):
        order = {
            "id": 5_000_000_000 + n,
            "name": f"#{1000 + n}",
            "email": f"customer{n}@example.com",
            "created_at": "2026-11-28T10:00:00+05:30",
            "financial_status": "paid",
            "total_price": "998.00",
            "subtotal_price": "998.00",
            "total_tax": "152.24",
            "shipping_address": {
                "name": "Jane Doe",
                "address1": "12 MG Road",
                "city": "Gurugram",
                "province": "Haryana",
                "zip": "122002",
                "phone": "+919999999999",
            },  # fmt: skip
            "line_items": [
                {"sku": "TSHIRT-RED-M", "title": "T-shirt red M", "quantity": 1, "price": "499.00"},
                {"sku": "MUG-WHITE", "title": "Mug", "quantity": 1, "price": "499.00"},
            ],
        }
        body = json.dumps(order).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": f"{prefix}-{n}",
            "X-Shopify-Shop-Domain": "demo.myshopify.com",
            "X-Shopify-Triggered-At": "2026-11-28T10:00:00Z",
            "X-Shopify-Api-Version": "2024-10",
        }
        deliveries.append((body, headers))
    return deliveries


async def drive(
    url: str, deliveries: list[tuple[bytes, dict[str, str]]], concurrency: int, rate: float | None = None
) -> dict[str, Any]:
    """Closed loop (`rate` None): `concurrency` senders, each sending its next webhook when the last is answered.
    Open loop (`rate` per second): webhook i is due at start + i/rate whatever the answers, at most `concurrency`
    in flight; latency counts from the due time, so queueing in the generator is not hidden."""
    import aiohttp

    latencies: list[float] = []
    lags: list[float] = []  # how late the generator itself started each request
    trace: list[tuple[float, float]] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(body: bytes, headers: dict[str, str], due: float) -> None:
            lags.append(time.perf_counter() - due)
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
            latencies.append(time.perf_counter() - due)
            trace.append((due - started, latencies[-1]))
            statuses[response.status] = statuses.get(response.status, 0) + 1

        started = time.perf_counter()
        if rate is None:
            pending = iter(deliveries)

            async def sender() -> None:
                for body, headers in pending:
                    await send(body, headers, time.perf_counter())

            await asyncio.gather(*(sender() for _ in range(concurrency)))
        else:
            tasks = []
            for n, (body, headers) in enumerate(deliveries):
                due = started + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(body, headers, due)))
            await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    if os.environ.get("BENCH_TRACE"):
        with open(os.environ["BENCH_TRACE"], "w") as out:
            out.writelines(f"{at:.4f} {1000 * latency:.1f}\n" for at, latency in sorted(trace))
    latencies.sort()
    return {
        "requests": len(deliveries),
        "seconds": elapsed,
        "per_second": len(deliveries) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": 1000 * latencies[-1],
        "statuses": statuses,
        "generator_lag_max_ms": 1000 * max(lags),
    }


def cpu_seconds(pid: int) -> float:
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def count_events(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from connectors.registry.db import session_scope
    from connectors.registry.models import Event

    with session_scope(url) as session:
        rows = session.execute(select(Event.status, func.count()).group_by(Event.status)).all()
    return {str(getattr(status, "value", status)): count for status, count in rows}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "fake-api"])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32, help="most requests in flight")
    parser.add_argument("--rate", type=float, default=None, help="open loop: send this many webhooks a second")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--writer", choices=["auto", "loop", "thread"], default="auto")
    parser.add_argument("--no-gc-freeze", action="store_true", help="do not gc.freeze() the receiver's heap")
    parser.add_argument("--sqlite-synchronous", default=None, help="e.g. NORMAL: no fsync per commit")
    parser.add_argument("--api-latency-ms", type=float, default=25.0, help="fake Airflow: time to answer a trigger")
    parser.add_argument("--target", default=None, help="base URL of a running receiver (nothing is started)")
    parser.add_argument("--secret", default=SECRET, help="with --target: the connection's webhook_secret")
    parser.add_argument("--db-url", default=None, help="with --target: registry to count stored events in")
    parser.add_argument("--pid", type=int, default=None, help="with --target: receiver process, for its CPU time")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def start_processes(args: argparse.Namespace, folder: Path, url: str) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """The fake Airflow API and the receiver; returns the receiver's base URL and the processes."""
    api_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "INTEGRATIONS_DB_URL": url,
        "INTEGRATIONS_AIRFLOW_API_URL": f"http://127.0.0.1:{api_port}",
        "INTEGRATIONS_AIRFLOW_USERNAME": "bench",
        "INTEGRATIONS_AIRFLOW_PASSWORD": "bench-password",
        "BENCH_CONNECTIONS": json.dumps(CONNECTIONS),
        "BENCH_WRITER": "" if args.writer == "auto" else args.writer,
        "BENCH_GC_FREEZE": "0" if args.no_gc_freeze else "1",
        "BENCH_SYNCHRONOUS": args.sqlite_synchronous or "",
    }
    if args.workers > 1:
        env["INTEGRATIONS_WEBHOOK_DISPATCH_LOCK_FILE"] = str(folder / "dispatch.lock")
    python = sys.executable
    fake = subprocess.Popen(
        [python, __file__, "fake-api", "--port", str(api_port), "--api-latency-ms", str(args.api_latency_ms)], env=env
    )
    server = subprocess.Popen(
        [python, "-m", "uvicorn", "bench.webhooks.bench_receiver:create_bench_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
         "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    wait_port(api_port)
    wait_port(port)
    return f"http://127.0.0.1:{port}", [server, fake]


def main() -> None:
    args = parse_args()
    if args.command == "fake-api":
        serve_fake_api(args.port, args.api_latency_ms)
        return
    sys.path.insert(0, str(ROOT))
    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        if args.target:
            base, url, pid = args.target.rstrip("/"), args.db_url, args.pid
        else:
            url = prepare_registry(folder)
            base, processes = start_processes(args, folder, url)
            pid = processes[0].pid
        target = base + ROUTE
        before = count_events(url) if url else {}
        warm = asyncio.run(drive(target, make_deliveries(args.warmup, f"warmup-{time.time()}", args.secret), 32))
        assert warm["statuses"] == {200: args.warmup}, warm["statuses"]
        deliveries = make_deliveries(args.requests, f"bench-{time.time()}", args.secret)
        cpu_before, own_before = (cpu_seconds(pid) if pid else 0.0), time.process_time()
        gc.collect()
        gc.disable()  # no collector pauses in the load generator: they would show up as receiver latency
        try:
            result = asyncio.run(drive(target, deliveries, args.concurrency, args.rate))
        finally:
            gc.enable()
        cpu_used, own_used = (cpu_seconds(pid) - cpu_before if pid else None), time.process_time() - own_before
        report(args, base, url, before, result, cpu_used, own_used)
    finally:
        for process in processes:  # the receiver first: its dispatcher still talks to the fake API
            process.terminate()
            process.wait(15)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def report(
    args: argparse.Namespace,
    base: str,
    url: str | None,
    before: dict[str, int],
    result: dict[str, Any],
    cpu_used: float | None,
    own_used: float,
) -> None:
    import urllib.error
    import urllib.request

    if args.target:
        print(f"receiver: {base} (running already); cores: {os.cpu_count()}")
    else:
        mode = "bulk upsert"
        print(
            f"receiver: {args.workers} uvicorn worker(s), SQLite WAL, {mode}, writer {args.writer}, "
            f"gc.freeze {'off' if args.no_gc_freeze else 'on'}, synchronous {args.sqlite_synchronous or 'FULL'}; "
            f"cores: {os.cpu_count()}, load average before the run {os.getloadavg()[0]:.1f}"
        )
    shape = f"open loop at {args.rate:.0f}/s" if args.rate else "closed loop"
    print(f"load: {args.requests} signed Shopify webhooks, {shape}, at most {args.concurrency} in flight, unique ids")
    print(
        f"acknowledged+stored: {result['per_second']:.0f}/s ({result['requests']} in {result['seconds']:.1f} s); "
        f"latency p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms; statuses {result['statuses']}; "
        f"generator lag max {result['generator_lag_max_ms']:.1f} ms"
    )
    cpu = f"receiver {cpu_used:.1f} s ({1000 * cpu_used / args.requests:.2f} ms a webhook), " if cpu_used else ""
    print(f"CPU: {cpu}load generator {own_used:.1f} s, over {result['seconds']:.1f} s of wall time")
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=10) as answer:
            print(f"one worker's counters (GET /health): {json.loads(answer.read())}")
    except urllib.error.HTTPError as refused:  # --target: a receiver behind Airflow's login
        print(f"one worker's counters: GET /health answered {refused.code} (needs an Airflow login)")
    if url:
        events = count_events(url)
        stored = sum(events.values()) - sum(before.values()) - args.warmup
        print(f"events stored by the run: {stored}; registry by status: {events}")
        if stored != args.requests or result["statuses"] != {200: args.requests}:
            raise SystemExit("MISMATCH: not every webhook was acknowledged and stored exactly once")


if __name__ == "__main__":
    main()
