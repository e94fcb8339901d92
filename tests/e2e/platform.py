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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil
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
    spawned: list[subprocess.Popen[bytes]] = field(default_factory=list)  # stopped with the platform

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.trust_env = False
        self._token: str | None = None

    @property
    def receiver(self) -> str:
        return f"{self.airflow_url}/integrations"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Airflow's REST API (`/api/v2`), as the admin."""
        return self._as_admin(method, f"{self.airflow_url}/api/v2{path}", **kwargs)

    def management(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The integrations management API (`/integrations/api/v1`), as the admin."""
        return self._as_admin(method, f"{self.receiver}/api/v1{path}", **kwargs)

    def _as_admin(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if self._token is None:
            answer = self.http.post(f"{self.airflow_url}/auth/token",
                                    json={"username": "admin", "password": self.password}, timeout=30)  # fmt: skip
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {self._token}"}
        return self.http.request(method, url, headers=headers, timeout=30, **kwargs)

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

    # -- faults: stopping and starting parts of the platform (chaos tests) ----------------------------------------

    def environment(self) -> dict[str, str]:
        """The environment run.sh gave `airflow standalone` (databases, Fernet key, receiver settings): what its
        components, and a component restarted by hand, run with."""
        standalone = self.components("standalone")
        if not standalone:
            raise RuntimeError("airflow standalone is not running")
        return standalone[0].environ()

    def components(self, name: str) -> list[psutil.Process]:
        """The running processes of one of standalone's components (`api-server`, `scheduler`, `triggerer`, ...),
        restarted ones included. Airflow retitles some of them (`airflow api_server -- host:...`)."""
        spellings = (name, name.replace("-", "_"))
        pids = {self.process.pid, *(p.pid for p in self.spawned)}
        found = []
        for process in psutil.process_iter(["pid", "cmdline"]):
            try:
                words = " ".join(process.info["cmdline"] or []).split()
                ours = process.pid in pids or any(parent.pid in pids for parent in process.parents())
            except psutil.Error:
                continue
            command = next((words[i + 1] for i, w in enumerate(words[:2]) if w.endswith("airflow")), None)
            if ours and command in spellings:
                found.append(process)
        return found

    def spawn(self, name: str, command: list[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start `command` with the platform's environment (or `env`), logging to `<home>/<name>.log`; it is stopped
        with the platform."""
        with open(self.home / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=dict(env or self.environment()), stdout=log, stderr=subprocess.STDOUT
            )
        self.spawned.append(process)
        return process

    def stop_api_server(self, timeout: float = 60) -> None:
        """SIGTERM Airflow's api-server (and with it the receiver mounted in it) and wait until it has exited."""
        servers = self.components("api-server")
        if not servers:
            raise RuntimeError("the api-server is not running")
        for server in servers:
            server.terminate()
        wait_for(lambda: not any(map(_alive, servers)), timeout, "the api-server to exit", self)
        self._token = None

    def start_api_server(self, timeout: float = 240) -> None:
        """Start Airflow's api-server again, as standalone starts it, and wait until it answers."""
        env = self.environment()
        self.spawn("api-server", [str(Path(env["PATH"].split(os.pathsep)[0]) / "airflow"), "api-server"], env)
        wait_for(lambda: self.http.get(f"{self.airflow_url}/api/v2/monitor/health", timeout=5).ok,
                 timeout, "the restarted api-server", self)  # fmt: skip

    def restart_database(self, while_down: Callable[[], None] | None = None) -> None:
        """Stop the embedded PostgreSQL (Airflow's metadata and the registry) with a fast shutdown, which cuts every
        client off, run `while_down`, and start it again on the same data directory."""
        from connectors.devserver.postgres import EmbeddedPostgres

        server = EmbeddedPostgres(self.home / "postgres")
        server.start()  # attaches to the running server
        server.stop()
        try:
            if while_down is not None:
                while_down()
        finally:
            server.start()

    def log_tail(self, lines: int = 60) -> str:
        log = self.home / "platform.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def cpu_seconds(process: psutil.Process) -> float:
    """CPU seconds (user + system) a process has used, with its children that have exited (they count in their
    parent); 0 for one gone already. Summed over the live processes of a tree, every process counts once."""
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system + times.children_user + times.children_system


def _alive(process: psutil.Process) -> bool:
    """Running and not a zombie (standalone does not reap a component that exits)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


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
        for spawned in platform.spawned:
            spawned.terminate()
        for spawned in platform.spawned:
            try:
                spawned.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spawned.kill()
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
