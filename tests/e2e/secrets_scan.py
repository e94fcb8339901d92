"""Secrets at rest: every file under the Airflow home's `logs/` (task, scheduler and DAG-processor logs) and every
row of every table of Airflow's metadata database (XComs, rendered fields, serialized DAGs, the audit log, ...) and of
the registry (events, action log, tokens, ...), searched for the test credentials in clear text and in base64.

Base64 is searched at its three alignments, standard and URL-safe alphabets: a secret inside a longer encoded value
(`Authorization: Basic base64(client_id:client_secret)`, a base64 JSON blob) is found wherever it sits. Compressed
column values (zlib, gzip) are searched decompressed, and `.gz` log files too.

    leaks = scan_platform(platform)                      # the platform's own credentials (demo connections, admin)
    assert not leaks, describe(leaks)
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import shlex
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONNECTIONS = ROOT / "include" / "connections" / "demo.json"
# Airflow masks connection extras whose name contains one of these (`airflow.sdk.execution_time.secrets_masker`)
SENSITIVE_WORDS = ("password", "secret", "token", "api_key", "apikey", "passphrase", "private_key", "authorization")
SHORTEST_NEEDLE = 12  # shorter encoded fragments would match by chance
ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class Leak:
    secret: str  # which credential, e.g. `demo_eshopbox.client_secret`
    form: str  # clear | base64 | base64url
    where: str  # a log file, or `<database>.<table> row N column C`


def describe(leaks: Iterable[Leak]) -> str:
    return "\n".join(f"{leak.secret} ({leak.form}) in {leak.where}" for leak in leaks)


def connection_secrets(connections: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The secret values of Airflow connections as `airflow connections import` takes them: `password` and every
    extra whose name Airflow itself treats as sensitive."""
    found: dict[str, str] = {}
    for conn_id, connection in connections.items():
        if connection.get("password"):
            found[f"{conn_id}.password"] = str(connection["password"])
        for name, value in (connection.get("extra") or {}).items():
            if value and any(word in name.lower() for word in SENSITIVE_WORDS):
                found[f"{conn_id}.{name}"] = str(value)
    return found


def platform_secrets(home: Path, connections_file: Path = DEMO_CONNECTIONS) -> dict[str, str]:
    """What the platform started by `include/demo/run.sh` in `home` must never write out: the connections' secrets,
    the Airflow admin password and the Fernet key."""
    found = connection_secrets(json.loads(connections_file.read_text()))
    passwords = home / "simple_auth_manager_passwords.json.generated"
    if passwords.exists():
        found |= {f"airflow user {user}": password for user, password in json.loads(passwords.read_text()).items()}
    if (home / "fernet.key").exists():
        found["fernet key"] = (home / "fernet.key").read_text().strip()
    return found


def base64_forms(secret: str) -> dict[str, set[str]]:
    """The characters every base64 encoding of a text containing `secret` contains, for each of the three byte
    alignments: the encoded characters that depend on the secret's bytes alone."""
    raw = secret.encode()
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw).decode()
        cores.add(encoded[math.ceil(8 * offset / 6) : (8 * (offset + len(raw))) // 6])
    cores = {core for core in cores if len(core) >= SHORTEST_NEEDLE}
    return {"base64": cores, "base64url": {c.replace("+", "-").replace("/", "_") for c in cores}}


def needles(secrets: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(secret name, form, text to look for) for every secret."""
    found: dict[str, tuple[str, str, str]] = {}
    for name, value in secrets.items():
        found.setdefault(value, (name, "clear", value))
        for form, cores in base64_forms(value).items():  # URL-safe cores without `-`/`_` are the standard ones
            found.update({core: (name, form, core) for core in sorted(cores) if core not in found})
    return list(found.values())


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | int | float):
        return ""
    if isinstance(value, memoryview | bytes | bytearray):
        raw = bytes(value)
        return raw.decode("latin-1") + "\0" + _decompressed(raw)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _decompressed(raw: bytes) -> str:
    for unpack in (zlib.decompress, gzip.decompress):
        try:
            return unpack(raw).decode("latin-1")
        except (zlib.error, OSError, EOFError, ValueError):
            continue
    return ""


def _hits(texts: list[str], wanted: list[tuple[str, str, str]]) -> Iterator[tuple[int, tuple[str, str, str]]]:
    """(index of the text, needle) for every needle found; one joined search per chunk, then the culprits."""
    joined = "\n".join(texts)
    for needle in wanted:
        if needle[2] in joined:
            yield from ((i, needle) for i, text in enumerate(texts) if needle[2] in text)


def scan_logs(log_dir: Path, wanted: list[tuple[str, str, str]]) -> list[Leak]:
    leaks = []
    files = sorted(p for p in log_dir.rglob("*") if p.is_file()) if log_dir.exists() else []
    for path in files:
        raw = path.read_bytes()
        text = _decompressed(raw) if path.suffix == ".gz" else raw.decode("latin-1")
        leaks += [Leak(n[0], n[1], str(path.relative_to(log_dir.parent))) for _, n in _hits([text], wanted)]
    return leaks


def scan_database(url: str, wanted: list[tuple[str, str, str]]) -> list[Leak]:
    """Every row of every table of the database at `url`, column by column."""
    engine = create_engine(url)
    database = Path(make_url(url).database or url).stem  # `airflow`, `integrations`, or a SQLite file's name
    leaks: list[Leak] = []
    try:
        with engine.connect() as connection:
            quote = engine.dialect.identifier_preparer.quote
            for table in sorted(inspect(connection).get_table_names()):
                result = connection.exec_driver_sql(f"SELECT * FROM {quote(table)}")
                columns, number = list(result.keys()), 0
                while rows := result.fetchmany(ROWS_PER_CHUNK):
                    cells = [[_text(value) for value in row] for row in rows]
                    for index, needle in _hits(["\0".join(cell) for cell in cells], wanted):
                        column = next(c for c, text in zip(columns, cells[index], strict=True) if needle[2] in text)
                        where = f"{database}.{table} row {number + index + 1} column {column}"
                        leaks.append(Leak(needle[0], needle[1], where))
                    number += len(rows)
    finally:
        engine.dispose()
    return leaks


def database_urls(home: Path) -> list[str]:
    """Airflow's and the registry's URLs as run.sh wrote them to `database.env`."""
    urls = []
    for line in (home / "database.env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        if name in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "INTEGRATIONS_DB_URL"):
            urls.append(shlex.split(value)[0])
    return urls


def scan(home: Path, urls: Iterable[str], secrets: Mapping[str, str]) -> list[Leak]:
    wanted = needles(secrets)
    leaks = scan_logs(home / "logs", wanted)
    for url in urls:
        leaks += scan_database(url, wanted)
    return leaks


def scan_platform(home: Path, extra_secrets: Mapping[str, str] | None = None) -> list[Leak]:
    """The logs and both databases of the platform run.sh started in `home`, for its secrets and `extra_secrets`."""
    return scan(home, database_urls(home), {**platform_secrets(home), **(extra_secrets or {})})
