"""The platform as `make run` starts it (include/demo/run.sh): sandboxes, registry, Airflow standalone with the
webhook receiver, in a temporary home on free ports. Used by the end-to-end tests and the latency benchmark."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests

from tests.servers.process import free_port

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


@dataclass
class Platform:
    home: Path
    airflow_url: str
    sandbox_url: str
    password: str
    process: subprocess.Popen[bytes]

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.trust_env = False
        self._token: str | None = None

    @property
    def receiver(self) -> str:
        return f"{self.airflow_url}/integrations"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._token is None:
            answer = self.http.post(f"{self.airflow_url}/auth/token",
                                    json={"username": "admin", "password": self.password}, timeout=30)  # fmt: skip
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {self._token}"}
        return self.http.request(method, f"{self.airflow_url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def sandbox(self, vendor: str, path: str, body: Any = None, method: str = "POST", **params: Any) -> Any:
        response = self.http.request(method, f"{self.sandbox_url}/{vendor}/_sandbox{path}", json=body,
                                     params=params, timeout=30)  # fmt: skip
        response.raise_for_status()
        return response.json()

    def state(self, vendor: str) -> dict[str, Any]:
        return self.sandbox(vendor, "/state", method="GET")

    @property
    def registry_url(self) -> str:
        """The registry's URL as run.sh chose it: it writes its database URLs to `database.env` in the home."""
        for line in (self.home / "database.env").read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            if name == "INTEGRATIONS_DB_URL":
                return shlex.split(value)[0]
        return f"sqlite:///{self.home / 'integrations.db'}"

    def log_tail(self, lines: int = 60) -> str:
        log = self.home / "platform.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def wait_for(check: Callable[[], T | None], timeout: float, what: str, platform: Platform | None = None) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except requests.RequestException:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            tail = platform.log_tail() if platform else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")
        time.sleep(0.25)


@contextmanager
def running_platform(home: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[Platform]:
    """Start include/demo/run.sh in `home` (with `extra_env`, e.g. connections or sandbox limits); stop every
    process it started on exit."""
    port, sandbox_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INTEGRATIONS", "_AIRFLOW"))},
        "AIRFLOW_HOME": str(home),
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
        "INTEGRATIONS_WEBHOOK_SWEEP_SECONDS": "2",
        "NO_PROXY": "127.0.0.1,localhost",
        **(extra_env or {}),
    }
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "platform.log", "wb") as log:
        process = subprocess.Popen(
            [str(ROOT / "include" / "demo" / "run.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    password_file = home / "simple_auth_manager_passwords.json.generated"
    platform = Platform(home, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}", "", process)
    try:
        wait_for(lambda: password_file.exists() and password_file.stat().st_size > 0, 120, "the password", platform)
        platform.password = json.loads(password_file.read_text())["admin"]
        wait_for(
            lambda: platform.http.get(f"{platform.airflow_url}/api/v2/monitor/health", timeout=5).ok,
            240, "Airflow's api-server", platform,
        )  # fmt: skip
        yield platform
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
