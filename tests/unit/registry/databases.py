"""Registry databases for tests: a temp SQLite file, and a fresh database on the machine's PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.registry.db import DB_URL_VARIABLE, migrate

POSTGRES_ADMIN = os.environ.get("INTEGRATIONS_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@contextmanager
def throwaway_database(admin_url: str = POSTGRES_ADMIN, prefix: str = "integrations_test") -> Iterator[str]:
    """A new, empty database on the PostgreSQL server `admin_url` reaches; its URL. Dropped afterwards, with any
    connection still open to it (the registry's cached engines are let go first)."""
    import psycopg2

    admin = admin_url.replace("postgresql+psycopg2://", "postgresql://")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from connectors.registry.db import engine_for

        engine_for.cache_clear()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def _postgres_database() -> Iterator[str]:
    import psycopg2

    try:
        with throwaway_database() as url:
            yield url
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN}: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty registry; also the process default through INTEGRATIONS_DB_URL."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'registry.db'}"])
    else:
        urls = _postgres_database()
    url = next(urls)
    migrate(url)
    monkeypatch.setenv(DB_URL_VARIABLE, url)
    yield url
    for _ in urls:  # run the generator's cleanup
        pass


@pytest.fixture
def sqlite_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    migrate(url)
    monkeypatch.setenv(DB_URL_VARIABLE, url)
    return url
