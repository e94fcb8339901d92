"""The secrets scan (`tests.e2e.secrets_scan`) finds a secret in clear, inside base64 at any alignment, compressed,
in any log file or table row, and reports nothing when there is nothing."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from pathlib import Path

from sqlalchemy import JSON, Column, Integer, LargeBinary, MetaData, String, Table, create_engine

from tests.e2e.secrets_scan import Leak, base64_forms, connection_secrets, needles, scan

SECRET = "sandbox-client-secret"


def test_base64_forms_match_the_secret_inside_any_longer_encoded_text() -> None:
    cores = base64_forms(SECRET)["base64"]
    for prefix in ("", "a", "id:", "client_id:", '{"k": "x'):
        encoded = base64.b64encode(f'{prefix}{SECRET}"}}'.encode()).decode()
        assert any(core in encoded for core in cores), prefix
    assert not any(core in base64.b64encode(b"sandbox-client-secreT").decode() for core in cores)


def test_connection_secrets_are_the_fields_airflow_masks() -> None:
    connections = {
        "shop": {"extra": {"shop": "demo", "access_token": "shpat_1", "webhook_secret": "whs"}},
        "esb": {"password": "pw", "extra": {"client_id": "id", "refresh_token": "rt"}},
    }
    assert connection_secrets(connections) == {
        "shop.access_token": "shpat_1",
        "shop.webhook_secret": "whs",
        "esb.password": "pw",
        "esb.refresh_token": "rt",
    }


def test_scan_reports_logs_and_rows_holding_a_secret_in_any_form(tmp_path: Path) -> None:
    logs = tmp_path / "logs" / "dag_id=x" / "run_id=y"
    logs.mkdir(parents=True)
    (logs / "attempt=1.log").write_text('{"event": "calling", "auth": "Basic ' + base64.b64encode(
        f"sandbox-client-id:{SECRET}".encode()).decode() + '"}\n')  # fmt: skip
    (logs / "attempt=2.log.gz").write_bytes(gzip.compress(f"token {SECRET}".encode()))
    (logs / "attempt=3.log").write_text("nothing to see")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = create_engine(url)
    table = Table("xcom", MetaData(), Column("id", Integer, primary_key=True), Column("value", JSON),
                  Column("blob", LargeBinary), Column("note", String))  # fmt: skip
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [
            {"id": 1, "value": {"ok": True}, "blob": b"x", "note": "clean"},
            {"id": 2, "value": {"nested": [SECRET]}, "blob": None, "note": None},
            {"id": 3, "value": None, "blob": zlib.compress(json.dumps({"s": SECRET}).encode()), "note": None},
            {"id": 4, "value": None, "blob": None, "note": base64.urlsafe_b64encode(b"~~" + SECRET.encode()).decode()},
        ])  # fmt: skip
    engine.dispose()

    leaks = scan(tmp_path, [url], {"esb.client_secret": SECRET})
    where = {(leak.form, leak.where) for leak in leaks}
    assert where == {
        ("base64", "logs/dag_id=x/run_id=y/attempt=1.log"),
        ("clear", "logs/dag_id=x/run_id=y/attempt=2.log.gz"),
        ("clear", "db.xcom row 2 column value"),
        ("clear", "db.xcom row 3 column blob"),
        ("base64", "db.xcom row 4 column note"),
    }
    assert {leak.secret for leak in leaks} == {"esb.client_secret"}
    assert scan(tmp_path, [url], {"other": "not-in-there-anywhere"}) == []
    assert all(isinstance(leak, Leak) for leak in leaks)
    assert {form for _, form, _ in needles({"s": "tilde~~~~~~~~~~~~~secret"})} == {"clear", "base64", "base64url"}
