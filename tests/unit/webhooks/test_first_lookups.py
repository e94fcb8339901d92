"""The first connection lookups of a burst run at once, in a process that has not imported Airflow yet: each
gets its connection (importing in parallel once left the receiver answering 503 to everything until a restart)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FRESH_PROCESS = """
import sys, threading
from concurrent.futures import ThreadPoolExecutor
from connectors.spec import Catalog
from connectors.webhooks.connections import airflow_connections

assert "airflow.models.connection" not in sys.modules
spec = Catalog.load().get("shopify@1.0.0")
start = threading.Barrier(16)

def lookup(_):
    start.wait()
    return airflow_connections(spec, "burst_shop")

with ThreadPoolExecutor(16) as pool:
    found = list(pool.map(lookup, range(16)))
print(sum(1 for values in found if values is not None and values.credentials.get("access_token") == "tok-12345"))
"""


def test_sixteen_first_lookups_at_once_each_find_the_connection(tmp_path: Path) -> None:
    connection = {"conn_type": "integrations_shopify", "extra": {"shop": "demo", "access_token": "tok-12345"}}
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW_CONN_BURST_SHOP": json.dumps(connection),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS], env=env, capture_output=True, text=True,
                          timeout=180, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "16"
