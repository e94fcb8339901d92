"""Which URLs `make run` uses, and how they are pinned into airflow.cfg for commands run by hand."""

from __future__ import annotations

from pathlib import Path

from connectors.devserver.databases import (
    AIRFLOW_ASYNC_URL,
    AIRFLOW_URL,
    REGISTRY_URL,
    databases_to_create,
    embedded_urls,
    export_lines,
    external_urls,
    pin_airflow_database,
    wants_embedded,
    write_env_file,
)

SYNC = "postgresql+psycopg2://postgres@/airflow?host=/tmp/pg"
ASYNC = "postgresql+asyncpg://postgres@/airflow?host=/tmp/pg"
REGISTRY = "postgresql+psycopg2://postgres@/integrations?host=/tmp/pg"


def test_embedded_unless_airflow_has_a_database() -> None:
    assert wants_embedded({})
    assert wants_embedded({REGISTRY_URL: "postgresql://elsewhere/reg"})  # the registry alone moves, Airflow does not
    assert not wants_embedded({AIRFLOW_URL: "postgresql://db.example/airflow"})


def test_embedded_urls_keep_a_registry_the_user_set() -> None:
    assert embedded_urls(SYNC, ASYNC, REGISTRY, {}) == {
        AIRFLOW_URL: SYNC,
        AIRFLOW_ASYNC_URL: ASYNC,
        REGISTRY_URL: REGISTRY,
    }
    mine = "postgresql://me@db/registry"
    assert embedded_urls(SYNC, ASYNC, REGISTRY, {REGISTRY_URL: mine})[REGISTRY_URL] == mine


def test_an_external_airflow_database_brings_the_registry_beside_it() -> None:
    airflow = "postgresql+psycopg2://app:p%40ss@db.example:5433/airflow?sslmode=require"
    assert external_urls({AIRFLOW_URL: airflow}) == {
        AIRFLOW_URL: airflow,  # no async URL: Airflow derives postgresql+asyncpg from it
        REGISTRY_URL: "postgresql+psycopg2://app:p%40ss@db.example:5433/integrations?sslmode=require",
    }
    both = {
        AIRFLOW_URL: airflow,
        AIRFLOW_ASYNC_URL: "postgresql+asyncpg://x@db/airflow",
        REGISTRY_URL: "sqlite:///r.db",
    }
    assert external_urls(both) == both
    assert external_urls({AIRFLOW_URL: "sqlite:////tmp/airflow.db"}) == {AIRFLOW_URL: "sqlite:////tmp/airflow.db"}


def test_a_bare_postgresql_url_gets_the_installed_driver() -> None:
    assert external_urls({AIRFLOW_URL: "postgresql://app@db/airflow"}) == {
        AIRFLOW_URL: "postgresql+psycopg2://app@db/airflow",
        REGISTRY_URL: "postgresql+psycopg2://app@db/integrations",
    }
    assert external_urls({AIRFLOW_URL: SYNC, REGISTRY_URL: "postgres://app@db/reg"})[REGISTRY_URL] == (
        "postgresql+psycopg2://app@db/reg"
    )


def test_only_postgresql_databases_are_created() -> None:
    assert databases_to_create({AIRFLOW_URL: SYNC, AIRFLOW_ASYNC_URL: ASYNC, REGISTRY_URL: REGISTRY}) == [
        SYNC,
        REGISTRY,
    ]
    assert databases_to_create({AIRFLOW_URL: SYNC, REGISTRY_URL: "sqlite:///r.db"}) == [SYNC]


def test_the_env_file_is_shell_and_private(tmp_path: Path) -> None:
    urls = {AIRFLOW_URL: SYNC, REGISTRY_URL: "postgresql://u:it's@db/x"}
    write_env_file(tmp_path / "database.env", urls)
    written = tmp_path / "database.env"
    assert written.read_text() == export_lines(urls)
    assert "export INTEGRATIONS_DB_URL='postgresql://u:it'\"'\"'s@db/x'" in written.read_text()
    assert written.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["database.env"]


AIRFLOW_CFG = """[core]
# sql_alchemy_conn in a comment of another section stays
dags_folder = /dags

[database]
# The SQLAlchemy connection string to the metadata database.
sql_alchemy_conn = sqlite:////home/airflow.db

# sql_alchemy_conn_async =
sql_alchemy_conn_async = postgresql+asyncpg://old/airflow
sql_alchemy_pool_size = 5

[logging]
base_log_folder = /logs
"""


def test_pinning_replaces_the_database_options_and_keeps_the_rest(tmp_path: Path) -> None:
    cfg = tmp_path / "airflow.cfg"
    cfg.write_text(AIRFLOW_CFG)
    pin_airflow_database(cfg, {AIRFLOW_URL: "postgresql://u:50%25@db/airflow"})
    lines = cfg.read_text().splitlines()
    assert lines[4:7] == ["[database]", "sql_alchemy_conn = postgresql://u:50%%25@db/airflow",
                          "# The SQLAlchemy connection string to the metadata database."]  # fmt: skip
    assert "sqlite" not in cfg.read_text()
    assert "postgresql+asyncpg://old/airflow" not in cfg.read_text()  # stale: Airflow derives it again
    for kept in ("# sql_alchemy_conn_async =", "sql_alchemy_pool_size = 5", "base_log_folder = /logs", "[core]"):
        assert kept in lines

    pin_airflow_database(cfg, {AIRFLOW_URL: SYNC, AIRFLOW_ASYNC_URL: ASYNC})
    assert [line for line in cfg.read_text().splitlines() if line.startswith("sql_alchemy_conn")] == [
        f"sql_alchemy_conn = {SYNC}",
        f"sql_alchemy_conn_async = {ASYNC}",
    ]


def test_pinning_adds_a_database_section_when_there_is_none(tmp_path: Path) -> None:
    cfg = tmp_path / "airflow.cfg"
    cfg.write_text("[core]\ndags_folder = /dags\n")
    pin_airflow_database(cfg, {AIRFLOW_URL: SYNC})
    assert cfg.read_text() == f"[core]\ndags_folder = /dags\n\n[database]\nsql_alchemy_conn = {SYNC}\n"
