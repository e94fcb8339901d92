"""The sharded DAGs folder at 1,000 and 10,000 workflows.

    .venv/bin/python bench/factory/bench_shards.py files [--rows 1000 10000]   # per-file parse and serialize
    .venv/bin/python bench/factory/bench_shards.py live [--rows 1000]          # a running platform: apply -> visible

`files`: a temporary SQLite registry with N workflows (bench_factory.py's mix: 80 % webhook, 20 % polling, ten per
client); each of `dags/`'s 16 shard files is parsed as the DAG processor does (`DagBag`, then every DAG serialized) in
a child forked from one interpreter that has imported Airflow (bench_factory.py's zygote), and so is the one-file
factory (`all_workflows.py`) for comparison. Also a worker's parse of one DAG (`_AIRFLOW_PARSING_CONTEXT_DAG_ID`).

`live`: `make run`'s platform (tests/e2e/platform.py) with N workflows put in its registry; the time until Airflow
lists all N DAGs (the DAG processor's first pass over the shard files), then the time from `integrations workflows
apply` of one changed workflow (a new name) until the REST API shows its new DAG, and the dag-processor's own
per-file durations from its stats.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]

import bench_factory as factory  # noqa: E402

from connectors.registry.dag_ids import SHARDS, shard_file, shard_of  # noqa: E402

DAGS = ROOT / "dags"


def worker_dag(rows: int) -> str:
    middle = rows // 2 - (rows // 2) % 5  # a webhook workflow in the middle of the registry
    return f"wf.client{middle // 10:03d}.eshopbox_packed_to_shopify_fulfillment_{middle:05d}"


def files(rows: int, airflow_home: Path, one_file: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-shards-{rows}-") as tmp:
        url, insert_s = factory.make_registry(Path(tmp), rows)
        print(f"N={rows}: registry ready ({insert_s:.1f} s); parsing {SHARDS} shard files...", flush=True)
        jobs = [factory.make_job(DAGS / shard_file(index), url, rows, serialize=True) for index in range(SHARDS)]
        dag_id = worker_dag(rows)
        jobs.append(factory.make_job(DAGS / shard_file(shard_of(dag_id)), url, rows, serialize=False, dag_id=dag_id))
        if one_file:
            jobs.append(factory.make_job(factory.FACTORY_FILE, url, rows, serialize=True))
        results = factory.run_forked(airflow_home, jobs)
    shards, worker = results[:SHARDS], results[SHARDS]
    assert sum(result["dags"] for result in shards) == rows and worker["dags"] == 1
    totals = [result["parse"] + result["serialize"] for result in shards]
    summary: dict[str, Any] = {
        "rows": rows,
        "dags_per_file": [min(r["dags"] for r in shards), max(r["dags"] for r in shards)],
        "parse_max": max(r["parse"] for r in shards),
        "serialize_max": max(r["serialize"] for r in shards),
        "file_max": max(totals),
        "file_median": statistics.median(totals),
        "all_files": sum(totals),
        "cpu_all_files": sum(r["cpu_parse"] + r["cpu_serialize"] for r in shards),
        "worker_parse": worker["parse"],
    }
    if one_file:
        single = results[SHARDS + 1]
        summary["one_file"] = {"parse": single["parse"], "serialize": single["serialize"]}
    return summary


def live(rows: int) -> dict[str, Any]:
    from tests.e2e.platform import running_platform, wait_for

    home = Path(tempfile.mkdtemp(prefix="bench-shards-live-"))
    env = {"AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "300", "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
           "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30"}  # fmt: skip
    try:
        with running_platform(home, env) as platform:
            from connectors.registry.db import session_scope
            from connectors.workflows.store import apply_workflows

            started = time.monotonic()
            with session_scope(platform.registry_url) as session:
                apply_workflows(session, factory.workflow_specs(rows))
            stored = time.monotonic() - started

            def listed() -> int:
                answer = platform.api("GET", "/dags", params={"dag_id_pattern": "wf.client", "limit": 1}).json()
                return answer["total_entries"] if answer["total_entries"] >= rows else 0

            wait_for(listed, 3600, f"{rows} DAGs listed", platform)
            first_pass = time.monotonic() - started
            print(f"{rows} workflows stored in {stored:.1f} s; all listed by Airflow {first_pass:.1f} s after the "
                  "store began", flush=True)  # fmt: skip
            dag_id = worker_dag(rows)
            changed = home / "changed.yaml"
            spec = next(s for s in factory.workflow_specs(rows) if s.dag_id == dag_id)
            data = json.loads(spec.model_dump_json(by_alias=True, exclude_defaults=True))
            data["name"] = "Renamed to see the new DAG version"
            changed.write_text(json.dumps(data))
            command = [str(ROOT / ".venv" / "bin" / "integrations"), "workflows", "apply", str(changed),
                       "--allow-missing-connections"]  # fmt: skip
            env_apply = {**platform.environment(), "PATH": os.environ["PATH"]}
            applied_at = time.monotonic()
            done = subprocess.run(command, env=env_apply, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"apply failed:\n{done.stdout}\n{done.stderr}")
            wait_for(lambda: platform.api("GET", f"/dags/{dag_id}/details").json().get("description")
                     == data["name"], 600, "the renamed DAG", platform)  # fmt: skip
            visible = time.monotonic() - applied_at
            log = (home / "platform.log").read_text(errors="replace")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {"rows": rows, "stored_s": stored, "all_listed_s": first_pass, "change_visible_s": visible,
            "processor_log_lines": len(log.splitlines())}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["files", "live"])
    parser.add_argument("--rows", type=int, nargs="+", default=None)
    parser.add_argument("--no-one-file", action="store_true", help="files: skip the one-file comparison")
    args = parser.parse_args()
    if args.mode == "files":
        with tempfile.TemporaryDirectory(prefix="bench-shards-home-") as home:
            (Path(home) / "dags").mkdir()
            for rows in args.rows or [1000, 10000]:
                print(json.dumps(files(rows, Path(home), not args.no_one_file), indent=2), flush=True)
    else:
        for rows in args.rows or [1000]:
            print(json.dumps(live(rows), indent=2), flush=True)


if __name__ == "__main__":
    main()
