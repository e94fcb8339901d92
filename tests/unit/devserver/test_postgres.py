"""The embedded PostgreSQL of `make run`, started for real from the wheel's binaries in a temporary folder whose
path is too long for a Unix socket: data survives a stop and a start, and a stop leaves no server behind."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from connectors.devserver.postgres import EmbeddedPostgres, ensure_database, running_server_pid

ROOT = Path(__file__).resolve().parents[3]
SOCKET_PATH_LIMIT = 107  # sun_path is 108 bytes with the terminating NUL


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / ("a-long-airflow-home-" * 6) / "postgres"
    assert len(str(folder / ".s.PGSQL.5432")) > SOCKET_PATH_LIMIT
    return folder


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)


def scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_data_survives_a_clean_stop_and_a_new_start(data_dir: Path) -> None:
    with EmbeddedPostgres(data_dir) as server:
        assert len(str(server.socket_dir / ".s.PGSQL.5432")) <= SOCKET_PATH_LIMIT
        assert server.socket_dir != data_dir  # the package moved the socket to a short folder
        url = server.url("integrations")
        assert ensure_database(url) is True
        assert ensure_database(url) is False
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE events (id serial PRIMARY KEY, body text NOT NULL)"))
            connection.execute(text("INSERT INTO events (body) VALUES ('order 1'), ('order 2')"))
        engine.dispose()
        first_pid, socket_dir = server.pid, server.socket_dir

    assert gone(first_pid)
    assert running_server_pid(data_dir) is None
    assert not (data_dir / "postmaster.pid").exists()
    assert not socket_dir.exists()
    assert "database system is shut down" in (data_dir / "log").read_text()  # a clean shutdown, not a crash

    with EmbeddedPostgres(data_dir) as again:
        second_pid = again.pid
        assert second_pid != first_pid
        assert scalar(again.url("integrations"), "SELECT string_agg(body, ',' ORDER BY id) FROM events") == (
            "order 1,order 2"
        )
    assert gone(second_pid)


def start_command(data_dir: Path, env_file: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__DATABASE", "INTEGRATIONS_DB"))}
    command = [sys.executable, "-m", "connectors.devserver", "postgres", str(data_dir), "--env-file", str(env_file)]
    return subprocess.Popen([*command, *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip


def exported(env_file: Path) -> dict[str, str]:
    pairs = (shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in env_file.read_text().splitlines())
    return dict(pairs)


def test_the_command_serves_both_databases_until_sigterm(data_dir: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "database.env"
    command = start_command(data_dir, env_file)
    try:
        wait_until(lambda: env_file.exists() or command.poll() is not None, 60, "the database URLs")
        urls = exported(env_file)
        assert scalar(urls["INTEGRATIONS_DB_URL"], "SELECT current_database()") == "integrations"
        assert scalar(urls["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], "SELECT current_database()") == "airflow"

        async def async_database() -> object:  # the api-server's driver
            engine = create_async_engine(urls["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"])
            async with engine.connect() as connection:
                name = (await connection.execute(text("SELECT current_database()"))).scalar_one()
            await engine.dispose()
            return name

        assert asyncio.run(async_database()) == "airflow"
        pid = running_server_pid(data_dir)
        assert pid is not None
        command.send_signal(signal.SIGTERM)
        output, _ = command.communicate(timeout=60)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 0, output
    assert "PostgreSQL stopped" in output
    assert gone(pid)
    assert running_server_pid(data_dir) is None
    assert "received smart shutdown request" in (data_dir / "log").read_text()  # no client was left: no waiting


def test_a_stop_waits_for_clients_a_while_then_cuts_them_off(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    server.start()
    engine = create_engine(server.url("postgres"))
    lingering = engine.connect()  # an Airflow component that is slow to exit
    lingering.execute(text("SELECT 1"))
    started = time.monotonic()
    try:
        server.stop(wait_for_clients=1)
    finally:
        lingering.invalidate()
        engine.dispose()
    assert 1 <= time.monotonic() - started < 30
    assert running_server_pid(data_dir) is None
    log = (data_dir / "log").read_text()
    assert "received smart shutdown request" in log and "received fast shutdown request" in log


def test_the_command_stops_the_server_when_its_launcher_is_gone(data_dir: Path, tmp_path: Path) -> None:
    launcher = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    env_file = tmp_path / "database.env"
    command = start_command(data_dir, env_file, "--watch-pid", str(launcher.pid))
    try:
        wait_until(lambda: env_file.exists() or command.poll() is not None, 60, "the database URLs")
        pid = running_server_pid(data_dir)
        assert pid is not None
        assert launcher.stdin is not None
        launcher.stdin.close()  # the launcher ends, as when `make run` is killed with SIGKILL
        launcher.wait(timeout=10)
        output, _ = command.communicate(timeout=60)
    finally:
        for process in (launcher, command):
            if process.poll() is None:
                process.kill()
    assert command.returncode == 0, output
    assert gone(pid)
