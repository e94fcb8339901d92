"""`integrations db ...`, and the registry session every command uses: migrated first, or refused saying why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from connectors.registry.db import DB_URL_VARIABLE, alembic_config, database_url, get_engine, migrate, session_scope


@click.group()
def db() -> None:
    """The registry database."""


@db.command("migrate")
def db_migrate() -> None:
    """Create or upgrade the registry schema (SQLite in the Airflow home, or INTEGRATIONS_DB_URL)."""
    migrate()
    click.echo(f"registry database at {database_url().split('@')[-1]} is up to date")


VERSIONS = "alembic_version"  # the table where Alembic keeps the schema revision


@contextmanager
def registry_session() -> Iterator[Session]:
    """A session on the registry once its schema is this version's. A database that was never migrated (no tables)
    gets the schema now; any other is refused saying what to run, instead of failing on a missing table."""
    from alembic.script import ScriptDirectory

    url = database_url()
    where = url.split("@")[-1]  # no credentials
    if url.startswith("sqlite:///"):  # a file in a folder that does not exist yet is a database never migrated
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with get_engine(url).connect() as connection:
        tables = sorted(inspect(connection).get_table_names())
        current = connection.scalar(text(f"SELECT version_num FROM {VERSIONS}")) if VERSIONS in tables else None
    script = ScriptDirectory.from_config(alembic_config(url))
    head = script.get_current_head()
    if current is None and not tables:
        migrate(url)
        click.echo(f"registry database at {where} had no schema: created it (integrations db migrate)", err=True)
    elif current is None:
        raise click.ClickException(
            f"the database at {where} has tables ({', '.join(tables[:5])}) but no registry schema: check "
            f"{DB_URL_VARIABLE}; `integrations db migrate` creates the schema"
        )
    elif current not in {revision.revision for revision in script.walk_revisions()}:
        raise click.ClickException(
            f"the registry database at {where} has schema revision {current}, which this version does not know "
            "(a newer version migrated it)"
        )
    elif current != head:
        raise click.ClickException(
            f"the registry database at {where} has schema revision {current}; this version needs {head}: "
            "run `integrations db migrate`"
        )
    from connectors.hooks.dag_parsing import parse_changed_workflows

    with session_scope(url) as session:
        yield parse_changed_workflows(session)
