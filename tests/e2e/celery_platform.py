"""docker-compose.yaml's topology run as processes on this machine: the same services and the same environment.

There is no Docker engine here, so each service of the compose file becomes a process started with the compose
file's own `x-airflow-common` environment, its hosts replaced by this machine's: `postgres` by the PostgreSQL on
127.0.0.1:5432 (two throwaway databases: Airflow's metadata with the Celery results, and the registry), `redis` by
the Redis on 127.0.0.1:6379 (a database of its own, flushed), `airflow-apiserver:8080` and `sandbox:8900` by free
ports, `/opt/integrations` by this checkout. The compose file is read, not copied: a variable added there reaches
these processes, and `airflow-init` runs its own script.

    api-server (with the receiver) · scheduler · dag-processor · triggerer · N Celery workers · sandboxes
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml
from cryptography.fernet import Fernet

from tests.e2e.platform import ROOT, Platform, cpu_seconds, wait_for
from tests.servers.process import free_port
from tests.unit.registry.databases import POSTGRES_ADMIN, throwaway_database

COMPOSE = ROOT / "docker-compose.yaml"
BIN = ROOT / ".venv" / "bin"
REDIS_URL = "redis://127.0.0.1:6379"
_DEFAULTED = re.compile(r"\$\{(?P<name>\w+):(?P<kind>[-?])(?P<text>[^}]*)\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def compose_environment(service: str | None = None) -> dict[str, str]:
    """The environment of a service of docker-compose.yaml (else `x-airflow-common`'s), `${VAR:-default}` taking
    its default."""
    document = compose()
    env = document["services"][service]["environment"] if service else document["x-airflow-common"]["environment"]
    return {name: _DEFAULTED.sub(lambda m: m["text"] if m["kind"] == "-" else m[0], str(value))
            for name, value in env.items()}  # fmt: skip


@dataclass
class Addresses:
    """Where this machine's processes stand in for the compose file's hosts."""

    metadata_url: str  # postgresql+psycopg2://... (Airflow's metadata and the Celery result backend)
    registry_url: str
    redis_db: int
    api_port: int
    sandbox_port: int
    fernet_key: str

    def localise(self, value: str) -> str:
        postgres_root = self.metadata_url.rsplit("/", 1)[0]
        value = value.replace("postgresql+psycopg2://airflow:airflow@postgres/airflow", self.metadata_url)
        value = value.replace("postgresql+psycopg2://airflow:airflow@postgres/integrations", self.registry_url)
        value = value.replace("@postgres/", "@" + postgres_root.split("@", 1)[1] + "/")
        value = re.sub(r"redis://:?@?redis:6379/\d+", f"{REDIS_URL}/{self.redis_db}", value)
        value = value.replace("http://airflow-apiserver:8080", f"http://127.0.0.1:{self.api_port}")
        value = value.replace("http://sandbox:8900", f"http://127.0.0.1:{self.sandbox_port}")
        value = re.sub(r"\$\{AIRFLOW_FERNET_KEY:\?[^}]*\}", self.fernet_key, value)
        return value.replace("/opt/integrations", str(ROOT))


@dataclass
class CeleryPlatform(Platform):
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    components_by_name: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    registry: str = ""

    @property
    def registry_url(self) -> str:
        return self.registry

    def log_tail(self, lines: int = 40) -> str:
        tails = []
        for log in sorted(self.home.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(tails)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds (user + system) each component has used so far, its finished children included."""
        used = {}
        for name, process in self.components_by_name.items():
            with suppress(psutil.NoSuchProcess):
                top = psutil.Process(process.pid)
                used[name] = sum(map(cpu_seconds, (top, *top.children(recursive=True))))
        return used

    def worker_names(self) -> list[str]:
        return [f"worker{number}" for number in range(1, len(self.workers) + 1)]

    def kill_worker(self, number: int) -> list[int]:
        """`kill -9` a Celery worker and every process under it (its pool and the tasks they supervise), as a
        machine dies; the pids killed."""
        worker = psutil.Process(self.workers[number - 1].pid)
        victims = [worker, *worker.children(recursive=True)]
        for process in victims:
            with suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(victims, timeout=30)
        return [process.pid for process in victims]


def _start(home: Path, name: str, command: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    with open(home / f"{name}.log", "ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def _run_init(home: Path, env: Mapping[str, str], addresses: Addresses) -> None:
    """The `airflow-init` service's own script, localised."""
    script = addresses.localise(compose()["services"]["airflow-init"]["command"][1])
    script = script.replace("/tmp/variables.json", str(home / "variables.json"))
    with open(home / "airflow-init.log", "ab") as log:
        subprocess.run(["bash", "-c", script], cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                       check=True, timeout=600)  # fmt: skip


def _flush_redis(db: int) -> None:
    import redis

    redis.Redis.from_url(f"{REDIS_URL}/{db}").flushdb()


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def running_celery_platform(home: Path, workers: int = 2, extra_env: Mapping[str, str] | None = None,
                            concurrency: int = 4) -> Iterator[CeleryPlatform]:  # fmt: skip
    """The compose topology with `workers` Celery workers; every process is stopped and the databases dropped on
    exit. `extra_env` reaches every process (connections, sandbox limits, Airflow settings)."""
    home.mkdir(parents=True, exist_ok=True)
    started: dict[str, subprocess.Popen[bytes]] = {}  # by log name (`airflow-scheduler`, `airflow-worker-1`, ...)

    def start(name: str, command: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        started[name] = _start(home, name, command, env)
        return started[name]

    with ExitStack() as stack:
        metadata = stack.enter_context(throwaway_database(POSTGRES_ADMIN, "airflow_celery"))
        registry = stack.enter_context(throwaway_database(POSTGRES_ADMIN, "integrations_celery"))
        addresses = Addresses(metadata, registry, random.randint(1, 15), free_port(), free_port(),
                              Fernet.generate_key().decode())  # fmt: skip
        _flush_redis(addresses.redis_db)
        stack.callback(_flush_redis, addresses.redis_db)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "INTEGRATIONS", "_AIRFLOW"))},
            **{name: addresses.localise(value) for name, value in compose_environment().items()},
            "AIRFLOW_HOME": str(home),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(addresses.api_port),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),  # compose: the ./logs volume every service shares
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "connectors.devserver.hostname.from_environment",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "INTEGRATIONS_WEBHOOK_SWEEP_SECONDS": "2",
            "NO_PROXY": "127.0.0.1,localhost",
            **(extra_env or {}),
        }
        stack.callback(lambda: _stop(list(started.values())))
        sandbox_env = {**env, **{k: addresses.localise(v) for k, v in compose_environment("sandbox").items()}}
        port = str(addresses.sandbox_port)
        serve = [str(BIN / "integrations"), "sandbox", "serve", "--host", "127.0.0.1", "--port", port]
        start("sandbox", serve, sandbox_env)
        _run_init(home, env, addresses)
        services = compose()["services"]
        airflow = str(BIN / "airflow")
        api = start("airflow-apiserver", [airflow, *services["airflow-apiserver"]["command"].split()], env)
        for name in ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
            start(name, [airflow, *services[name]["command"].split()], env)
        worker_env = {**env, **{k: addresses.localise(v) for k, v in compose_environment("airflow-worker").items()}}
        for number in range(1, workers + 1):
            command = [airflow, *services["airflow-worker"]["command"].split(), "--celery-hostname",
                       f"worker{number}@%h", "--concurrency", str(concurrency), "--skip-serve-logs"]  # fmt: skip
            own = {**worker_env, "INTEGRATIONS_HOSTNAME": f"worker{number}"}
            start(f"airflow-worker-{number}", command, own)
        started_workers = [started[f"airflow-worker-{number}"] for number in range(1, workers + 1)]
        platform = CeleryPlatform(
            home, f"http://127.0.0.1:{addresses.api_port}", f"http://127.0.0.1:{addresses.sandbox_port}",
            env["INTEGRATIONS_AIRFLOW_PASSWORD"], api, workers=started_workers, env=env, registry=registry,
            components_by_name=dict(started),
        )  # fmt: skip
        wait_for(lambda: platform.http.get(f"{platform.airflow_url}/api/v2/monitor/health", timeout=5).ok,
                 240, "Airflow's api-server", platform)  # fmt: skip
        for number in range(1, workers + 1):
            log = home / f"airflow-worker-{number}.log"
            wait_for(lambda log=log: " ready." in log.read_text(errors="replace"), 180,
                     f"Celery worker {number}", platform)  # fmt: skip
        yield platform
