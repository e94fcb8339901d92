"""`python -m connectors.devserver postgres|stop-postgres|pin-airflow-cfg|watchdog`: the steps of include/demo/run.sh
that need Python. Each command imports only what it uses: the watchdog stays small in memory."""

from __future__ import annotations

import os
import signal
import threading
from contextlib import suppress
from pathlib import Path

import click

CLIENTS_GRACE_SECONDS = 10  # Airflow's components take a few seconds to exit after a Ctrl-C


@click.group()
def main() -> None:
    """Helpers of `make run`."""


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@main.command("postgres")
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path), help="Also write the export lines here.")
@click.option("--watch-pid", type=int, help="Stop the server when this process (the launcher) is gone.")
def postgres(data_dir: Path, env_file: Path | None, watch_pid: int | None) -> None:
    """Start PostgreSQL on DATA_DIR with the `airflow` and `integrations` databases, print their URLs as `export`
    lines, and keep it until SIGTERM/SIGINT (or WATCH_PID exits); then stop it cleanly.

    When AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is set no server is started: the URLs printed are the user's (the
    registry's defaulting to an `integrations` database on the same PostgreSQL), and the command returns."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from connectors.devserver import databases
    from connectors.devserver.postgres import EmbeddedPostgres, ensure_database

    if watch_pid is not None:
        # Out of the launcher's process group: a Ctrl-C or a group SIGTERM stops Airflow first, and the launcher's
        # exit trap stops this server after it, so no component loses its database while shutting down.
        with suppress(OSError):
            os.setsid()
    stop = _stop_on_signals()
    server = None
    try:
        if databases.wants_embedded(os.environ):
            server = EmbeddedPostgres(data_dir)
            server.start()
            click.echo(f"PostgreSQL (pid {server.pid}) on {server.data_dir}, socket in {server.socket_dir}", err=True)
            urls = databases.embedded_urls(
                server.url(databases.AIRFLOW_DATABASE),
                server.url(databases.AIRFLOW_DATABASE, driver="asyncpg"),
                server.url(databases.REGISTRY_DATABASE),
                os.environ,
            )
        else:
            urls = databases.external_urls(os.environ)
        for url in databases.databases_to_create(urls):
            try:
                if ensure_database(url):
                    click.echo(f"created database {make_url(url).database}", err=True)
            except SQLAlchemyError as exc:  # e.g. no CREATEDB right: the migrations will say what is missing
                click.echo(f"warning: could not check or create the database of {make_url(url)}: {exc}", err=True)
        click.echo(databases.export_lines(urls), nl=False)
        if env_file is not None:
            databases.write_env_file(env_file, urls)
        if server is None:
            return
        while not stop.wait(1.0):
            if watch_pid is not None and not _alive(watch_pid):
                break
    finally:
        if server is not None:
            server.stop(wait_for_clients=CLIENTS_GRACE_SECONDS)
            click.echo("PostgreSQL stopped", err=True)


@main.command("stop-postgres")
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
def stop_postgres(data_dir: Path) -> None:
    """Stop a server left running on DATA_DIR (its launcher was killed); nothing when none runs."""
    from connectors.devserver.postgres import EmbeddedPostgres, running_server_pid

    if running_server_pid(data_dir) is None:
        return
    server = EmbeddedPostgres(data_dir)
    server.start()  # attaches to the running server
    server.stop()
    click.echo(f"stopped the PostgreSQL server on {data_dir}")


@main.command("pin-airflow-cfg")
@click.argument("cfg", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def pin_airflow_cfg(cfg: Path) -> None:
    """Write the Airflow database URLs of this environment into CFG's [database] section."""
    from connectors.devserver.databases import pin_airflow_database

    pin_airflow_database(cfg, os.environ)


@main.command("watchdog")
@click.argument("airflow_url")
@click.option("--every", default=5.0, show_default=True, help="Seconds between health checks.")
def watchdog(airflow_url: str, every: float) -> None:
    """Print a `!!` line when a component behind AIRFLOW_URL turns unhealthy, and an `ok` line when it recovers."""
    from connectors.devserver.watchdog import watch

    watch(airflow_url.rstrip("/"), every, lambda line: click.echo(line, err=True))


if __name__ == "__main__":
    main()
