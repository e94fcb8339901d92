"""docker-compose.yaml is valid and has the topology users expect (checked offline with docker-compose)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed (.ci/run installs it)")
def test_compose_file_validates_offline() -> None:
    done = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env={"AIRFLOW_FERNET_KEY": "test-key", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert {
        "postgres", "redis", "sandbox", "airflow-init", "airflow-apiserver", "airflow-scheduler",
        "airflow-dag-processor", "airflow-worker", "airflow-triggerer",
    } <= set(services)  # fmt: skip
    worker = services["airflow-worker"]["environment"]
    assert worker["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert worker["INTEGRATIONS_DB_URL"].startswith("postgresql")
    assert worker["AIRFLOW__CORE__FERNET_KEY"] == "test-key"
