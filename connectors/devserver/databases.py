"""Which databases `make run` uses, said once as environment variables and pinned into the Airflow home.

Airflow's metadata and the registry both go to one PostgreSQL: the embedded server by default, or the server the user
named with `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`. With only Airflow's URL given, the registry goes to a database
called `integrations` on that same server (not into Airflow's database: both keep an `alembic_version` table), so
pointing `make run` at another PostgreSQL takes one variable. `INTEGRATIONS_DB_URL`, when set, always wins.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from connectors.registry.db import DB_URL_VARIABLE

AIRFLOW_URL = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
AIRFLOW_ASYNC_URL = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"
REGISTRY_URL = DB_URL_VARIABLE
AIRFLOW_DATABASE = "airflow"
REGISTRY_DATABASE = "integrations"
_CFG_OPTIONS = {AIRFLOW_URL: "sql_alchemy_conn", AIRFLOW_ASYNC_URL: "sql_alchemy_conn_async"}


def wants_embedded(environ: Mapping[str, str]) -> bool:
    """No Airflow database named by the user: `make run` brings its own."""
    return not environ.get(AIRFLOW_URL)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def embedded_urls(sync_url: str, async_url: str, registry_url: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The embedded server's URLs; a registry URL the user set is kept."""
    return {
        AIRFLOW_URL: sync_url,
        AIRFLOW_ASYNC_URL: async_url,
        REGISTRY_URL: environ.get(REGISTRY_URL) or registry_url,
    }


def with_installed_driver(url: str) -> str:
    """`postgresql://` means psycopg 3 to SQLAlchemy 2.1, which is not installed: name psycopg2, which is."""
    parsed = make_url(url)
    if parsed.drivername not in ("postgresql", "postgres"):
        return url
    return parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def external_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """The user's URLs. Airflow derives its async URL itself when none is given (postgresql -> asyncpg); the
    registry defaults to `integrations` beside Airflow's database on a PostgreSQL server, else to its SQLite file."""
    airflow = with_installed_driver(environ[AIRFLOW_URL])
    urls = {AIRFLOW_URL: airflow}
    if environ.get(AIRFLOW_ASYNC_URL):
        urls[AIRFLOW_ASYNC_URL] = environ[AIRFLOW_ASYNC_URL]
    registry = environ.get(REGISTRY_URL)
    if not registry and is_postgres(airflow):
        registry = make_url(airflow).set(database=REGISTRY_DATABASE).render_as_string(hide_password=False)
    if registry:
        urls[REGISTRY_URL] = with_installed_driver(registry)
    return urls


def databases_to_create(urls: Mapping[str, str]) -> list[str]:
    """The synchronous PostgreSQL URLs, whose databases are created when missing."""
    return [url for key in (AIRFLOW_URL, REGISTRY_URL) if (url := urls.get(key)) and is_postgres(url)]


def export_lines(urls: Mapping[str, str]) -> str:
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in urls.items())


def write_env_file(path: Path, urls: Mapping[str, str]) -> None:
    """Atomically, readable by the owner only (an external URL may hold a password); its appearance means ready."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(export_lines(urls))
    partial.chmod(0o600)
    os.replace(partial, path)


def pin_airflow_database(cfg: Path, urls: Mapping[str, str]) -> None:
    """Write Airflow's URLs into `[database]` of the Airflow home's airflow.cfg (an option without a URL is removed),
    keeping every other line: `airflow ...` commands run with only AIRFLOW_HOME set then reach the same database.

    The file must exist: Airflow writes it on its first run with the secrets its components share (JWT key)."""
    values = {option: urls.get(variable) for variable, option in _CFG_OPTIONS.items()}
    pinned = [f"{option} = {value.replace('%', '%%')}" for option, value in values.items() if value]
    out: list[str] = []
    section = None
    seen = False
    for line in cfg.read_text().splitlines():
        header = re.fullmatch(r"\s*\[([^\]]+)\]\s*", line)
        if header:
            section = header.group(1).strip()
            out.append(line)
            if section == "database":
                out.extend(pinned)
                seen = True
            continue
        option = re.match(r"\s*([A-Za-z0-9_]+)\s*[=:]", line)
        if section == "database" and option and option.group(1) in values:
            continue
        out.append(line)
    if not seen:
        out.extend(["", "[database]", *pinned])
    cfg.write_text("\n".join(out) + "\n")
