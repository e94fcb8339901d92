"""Connecting to the registry database and migrating it with Alembic."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

DB_URL_VARIABLE = "INTEGRATIONS_DB_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    """`INTEGRATIONS_DB_URL`, else a SQLite file in the Airflow home."""
    url = os.environ.get(DB_URL_VARIABLE)
    if url:
        return url
    home = Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow"))
    return f"sqlite:///{home / 'integrations.db'}"


def _sqlite_pragmas(dbapi_connection: object, _: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def upsert_many(
    connection: Any,
    table: Any,
    rows: Sequence[dict[str, Any]],
    index_elements: Sequence[str],
    updates: Callable[[Any], dict[str, Any]],
    where: Any = None,
) -> None:
    """Insert `rows`, updating those whose key exists (`updates(excluded)` gives the new values). On PostgreSQL in
    one statement whose one parameter is the rows as JSON (`json_populate_recordset`): an executemany of an
    INSERT .. ON CONFLICT goes row by row with psycopg2, and a multi-row VALUES costs more to compile than to run."""
    if not rows:
        return
    insert = insert_for(connection.dialect.name)
    if connection.dialect.name != "postgresql":
        statement = insert(table)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(index_elements), set_=updates(statement.excluded), where=where
            ),
            list(rows),
        )
        return
    from sqlalchemy import JSON, bindparam, column, func, literal_column, select

    names = list(rows[0])
    records = func.json_populate_recordset(literal_column(f"NULL::{table.name}"), bindparam("rows", type_=JSON))
    statement = insert(table).from_select(names, select(*map(column, names)).select_from(records))
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=list(index_elements), set_=updates(statement.excluded), where=where
        ),  # fmt: skip
        {"rows": [{name: _json_ready(value) for name, value in row.items()} for row in rows]},
    )


def _json_ready(value: Any) -> Any:
    """A column value as `json_populate_recordset` reads it back (times as ISO text)."""
    import datetime as dt

    return value.isoformat() if isinstance(value, dt.datetime) else value


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT, which has `on_conflict_do_nothing/do_update`: the registry's two databases. Imported
    here, not at the top: a worker parsing the DAG file imports this module and needs neither."""
    from sqlalchemy.dialects import postgresql, sqlite

    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the registry supports PostgreSQL and SQLite, not {dialect}")


def get_engine(url: str | None = None) -> Engine:
    """The engine of `url`, else of `database_url()` as it is now (not as it was at the first call)."""
    return engine_for(url or database_url())


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def _sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    session = _sessions(url or database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config  # imported when migrating only: every Airflow process imports this module

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the registry schema to `revision` (creating the SQLite file's folder if needed)."""
    url = url or database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    command.upgrade(alembic_config(url), revision)
