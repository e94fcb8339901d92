"""The `integrations apps` commands, run in-process with click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from connectors.cli import main
from connectors.spec.catalog import APPS_PATH_VARIABLE, BUILTIN_APPS, definition_files

BROKEN = Path(__file__).parent / "spec" / "broken"
REAL_APPS = list(definition_files([BUILTIN_APPS]))


@pytest.fixture(autouse=True)
def _builtin_catalog_only(monkeypatch) -> None:
    monkeypatch.delenv(APPS_PATH_VARIABLE, raising=False)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _plain_yaml(path: Path):
    """A definition as plain JSON data (what an editor validating against the schema sees)."""
    return json.loads(json.dumps(YAML(typ="safe").load(path), default=str))


def _definition(case: str) -> tuple[Path, dict]:
    [path] = (BROKEN / case).glob("*/*.yaml")
    return path, YAML(typ="safe").load(BROKEN / case / "expected.yaml")


def test_apps_list_lists_shopify() -> None:
    result = run("apps", "list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["APP", "VERSION", "STATUS", "CATEGORY", "NAME"]
    assert ["shopify", "1.0.0", "active", "cart", "Shopify"] in [line.split() for line in lines]
    assert {line.split()[0] for line in lines[1:]} >= {"shopify", "eshopbox", "delhivery", "http"}


def test_apps_show_shows_triggers() -> None:
    result = run("apps", "show", "shopify@1.0.0")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("shopify@1.0.0  Shopify (cart)")
    assert "auth: api_key; credentials: access_token, webhook_secret" in out
    triggers = out.split("triggers:\n", 1)[1].split("searches:\n", 1)[0]
    assert triggers.splitlines() == [
        "  order_created [webhook]  Order created",
        "  orders_updated [polling]  Order created or updated",
    ]


def test_apps_show_unknown_app_fails() -> None:
    result = run("apps", "show", "nosuchapp")

    assert result.exit_code == 1
    assert "unknown app 'nosuchapp'" in result.stderr


def test_apps_validate_real_apps() -> None:
    result = run("apps", "validate", str(BUILTIN_APPS))

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{len(REAL_APPS)} app versions valid"
    assert result.stderr == ""


def test_apps_validate_relative_path_to_real_apps(monkeypatch) -> None:
    monkeypatch.chdir(BUILTIN_APPS.parent.parent)

    result = run("apps", "validate", "connectors/apps")

    assert result.exit_code == 0, result.output


def test_apps_validate_broken_case_reports_file_line_path() -> None:
    path, expected = _definition("missing-verify-header")

    result = run("apps", "validate", str(path.parent))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:{expected['line']}: {expected['path']}: required key 'header' is missing"
    ]
    assert "valid" not in result.stdout


def test_apps_validate_whole_corpus_prints_one_line_per_error() -> None:
    cases = sorted(case.name for case in BROKEN.iterdir() if case.is_dir())
    definitions = [_definition(case) for case in cases]

    result = run("apps", "validate", *(str(path) for path, _ in definitions))

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(cases)
    for line, (path, expected) in zip(lines, definitions, strict=True):
        where = f"{path}:{expected['line']}: {expected['path'] or '<document>'}: "
        assert line.startswith(where), line
        assert expected["message"] in line


def test_apps_validate_mixed_files_fails_only_on_broken() -> None:
    path, _ = _definition("undeclared-property")

    result = run("apps", "validate", str(REAL_APPS[0]), str(path))

    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == [str(path)]


def test_apps_schema_is_json_schema_of_definitions() -> None:
    result = run("apps", "schema")

    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert {"app", "version", "auth", "triggers", "actions", "searches"} <= set(schema["properties"])
    assert schema["required"] == ["app", "version", "base_url", "auth"]
    # aliases, not the Python field names
    assert "json" in schema["$defs"]["RequestSpec"]["properties"]
    assert "json_body" not in schema["$defs"]["RequestSpec"]["properties"]
    assert "from" in schema["$defs"]["TokenSourceSpec"]["properties"]
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", REAL_APPS, ids=lambda path: path.parent.name)
def test_apps_schema_validates_real_app(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(run("apps", "schema").stdout))
    document = _plain_yaml(path)

    assert list(validator.iter_errors(document)) == []

    document["trigers"] = document.pop("triggers", {})
    assert [error.message for error in validator.iter_errors(document)] == [
        "Additional properties are not allowed ('trigers' was unexpected)"
    ]


def test_apps_schema_accepts_aliases_and_rejects_field_names() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(run("apps", "schema").stdout))
    document = _plain_yaml(next(path for path in REAL_APPS if path.parent.name == "shopify"))
    document["auth"] = {
        "type": "session",
        "fields": {"password": {}},
        "login": {"method": "POST", "url": "/login", "json": {"password": "{{ auth.password }}"}},
        "token": {"from": "json", "path": "token"},
        "headers": {"X-Token": "{{ auth.token }}"},
    }
    assert list(validator.iter_errors(document)) == []

    document["auth"]["token"] = {"from_": "json", "path": "token"}
    assert not validator.is_valid(document)


def test_apps_schema_output_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"

    result = run("apps", "schema", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(target.read_text()) == json.loads(run("apps", "schema").stdout)
