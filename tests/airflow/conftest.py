"""Airflow's metadata database, migrated once per test process (dag.test() needs it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.airflow.demo import configure_demo
from tests.unit.sandbox.fixtures import Sandbox


@pytest.fixture(scope="session")
def airflow_db() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"airflow db migrate failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


@pytest.fixture
def demo(sandbox: Sandbox, sqlite_registry: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The seed workflows applied, demo connections and variables pointing at the sandbox; ids by key."""
    return configure_demo(monkeypatch, sqlite_registry, sandbox.url)
