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


def test_every_compose_service_setting_has_a_local_stand_in_for_the_celery_topology_test() -> None:
    """tests/e2e/celery_platform.py runs the compose file's own environment with its hosts replaced: no compose host
    name, container path or unset variable may be left over in what the processes get."""
    from tests.e2e.celery_platform import Addresses, compose_environment

    addresses = Addresses("postgresql+psycopg2://postgres@127.0.0.1:5432/af", "postgresql+psycopg2://postgres@127.0.0.1:5432/reg",
                          3, 18080, 18900, "fernet-key")  # fmt: skip
    settings = {**compose_environment(), **compose_environment("sandbox"), **compose_environment("airflow-worker")}
    localised = {name: addresses.localise(value) for name, value in settings.items()}
    leftovers = {name: value for name, value in localised.items()
                 if any(host in value for host in ("@postgres", "redis:6379/", "airflow-apiserver", "sandbox:8900",
                                                   "/opt/integrations", "${"))}  # fmt: skip
    assert leftovers == {}
    assert localised["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert localised["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql+psycopg2://postgres@127.0.0.1:5432/af"
    assert localised["INTEGRATIONS_DB_URL"].endswith("/reg")
    assert localised["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
