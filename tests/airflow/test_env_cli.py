"""`integrations env set|show|copy`: typed values per app version in Airflow Variables, secrets never shown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.cli import main
from tests.environment_app import environment_app

pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture
def partner_apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from airflow.models import Variable

    for version in ("1_0_0", "2_0_0"):  # Airflow's metadata database is shared by this process's tests
        Variable.delete(f"integrations_env__partner__{version}")
    folder = tmp_path / "apps" / "partner"
    folder.mkdir(parents=True)
    (folder / "1.0.0.yaml").write_text(environment_app("1.0.0", "  LEGACY_FLAG: {type: boolean}"))
    (folder / "2.0.0.yaml").write_text(environment_app("2.0.0"))
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(tmp_path / "apps"))
    yield


def stored(version: str) -> dict[str, object]:
    from airflow.models import Variable

    return json.loads(Variable.get(f"integrations_env__partner__{version.replace('.', '_')}"))


def test_set_show_and_copy(partner_apps: None) -> None:
    runner = CliRunner()
    done = runner.invoke(main, ["env", "set", "partner@1.0.0", "BASE_URL=https://beta.partner.test",
                                "PARTNER_KEY=pk_live_9f8e7d6c", "PAGE_SIZE=100", "LEGACY_FLAG=true"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert stored("1.0.0") == {"BASE_URL": "https://beta.partner.test", "PARTNER_KEY": "pk_live_9f8e7d6c",
                               "PAGE_SIZE": 100, "LEGACY_FLAG": True}  # fmt: skip
    shown = runner.invoke(main, ["env", "show", "partner@1.0.0"]).output
    assert "PARTNER_KEY [string secret] = ***" in shown and "pk_live_9f8e7d6c" not in shown
    assert "PAGE_SIZE [integer] = 100" in shown and 'BASE_URL [string required] = "https://beta.partner.test"' in shown

    copied = runner.invoke(main, ["env", "copy", "partner@1.0.0", "partner@2.0.0"])
    assert "skipped LEGACY_FLAG (not declared there)" in copied.output
    assert stored("2.0.0") == {"BASE_URL": "https://beta.partner.test", "PARTNER_KEY": "pk_live_9f8e7d6c",
                               "PAGE_SIZE": 100}  # fmt: skip


def test_wrong_type_or_unknown_name_is_refused_and_nothing_written(partner_apps: None) -> None:
    runner = CliRunner()
    wrong = runner.invoke(main, ["env", "set", "partner@2.0.0", "PAGE_SIZE=lots"])
    assert wrong.exit_code == 1 and "'PAGE_SIZE': 'lots' is not of type integer" in wrong.output
    unknown = runner.invoke(main, ["env", "set", "partner@2.0.0", "PAGE_SIZ=10"])
    assert unknown.exit_code == 1 and "declares no PAGE_SIZ" in unknown.output
    from airflow.models import Variable

    assert Variable.get("integrations_env__partner__2_0_0", default_var=None) is None


def test_secret_environment_values_are_masked_by_airflow_once_a_task_builds_its_client(
    partner_apps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk._shared.secrets_masker import redact

    from connectors.hooks import app as app_hooks

    app_hooks.catalog.cache_clear()
    values = {"BASE_URL": "https://live.partner.test", "PARTNER_KEY": "pk_secret_5b4a3c2d"}
    monkeypatch.setenv("AIRFLOW_VAR_INTEGRATIONS_ENV__PARTNER__2_0_0", json.dumps(values))  # as a task reads it
    connection = {"conn_type": "integrations_partner", "extra": {"token": "partner-token-77"}}
    monkeypatch.setenv("AIRFLOW_CONN_PARTNER_LIVE", json.dumps(connection))
    assert "pk_secret_5b4a3c2d" in redact("key pk_secret_5b4a3c2d")  # not known to Airflow yet
    client = app_hooks.AppHook("partner@2.0.0", "partner_live").get_client()
    assert client.base_url == "https://live.partner.test" and client.env["PARTNER_KEY"] == "pk_secret_5b4a3c2d"
    assert redact("key pk_secret_5b4a3c2d, token partner-token-77") == "key ***, token ***"
    app_hooks.catalog.cache_clear()
