"""App definitions: every broken case reports its defect where it is; real and minimal definitions load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from connectors.spec import AppDefinitionError, AppVersionSpec, Catalog, load_app_version
from connectors.spec.catalog import APPS_PATH_VARIABLE, BUILTIN_APPS, definition_files

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(path for path in BROKEN.iterdir() if path.is_dir())
REAL_APPS = list(definition_files([BUILTIN_APPS]))

MINIMAL = """\
app:
  key: acme
  name: Acme
  category: cart
version: {version}
status: {status}
base_url: "https://{{{{ properties.shop }}}}.acme.test/api"
auth:
  type: session
  fields:
    username: {{secret: false}}
    password: {{}}
  login:
    method: POST
    url: /login
    json: {{user: "{{{{ auth.username }}}}", password: "{{{{ auth.password }}}}"}}
  token: {{from: json, path: data.token}}
  headers:
    Authorization: "Bearer {{{{ auth.token }}}}"
properties:
  shop: {{label: Shop, required: true}}
environment:
  REGION: {{default: eu}}
triggers:
  order_created:
    type: webhook
    name: Order created
    verify: {{scheme: static_token, header: X-Acme-Token, value: "{{{{ auth.password }}}}"}}
    dedupe_key: {{path: [id, updated_at]}}
  orders_updated:
    type: polling
    name: Orders updated
    request:
      url: /orders
      params: {{region: "{{{{ env.REGION }}}}", since: "{{{{ window.start }}}}"}}
    records: orders
    id_field: id
    pagination: {{type: cursor, cursor_path: next, param: cursor}}
searches:
  find_customer:
    name: Find customer
    inputs:
      email: {{required: true}}
    request: {{url: /customers, params: {{email: "{{{{ inputs.email }}}}"}}}}
actions:
  create_customer:
    name: Create customer
    inputs:
      email: {{required: true}}
      vip: {{type: boolean, default: false}}
    request:
      method: POST
      url: /customers
      json: {{email: "{{{{ inputs.email }}}}", vip: "{{{{ inputs.vip }}}}"}}
    search_first:
      search: find_customer
      inputs: {{email: "{{{{ inputs.email }}}}"}}
"""


def write_app(folder: Path, version: str = "1.0.0", status: str = "active", extra: str = "") -> Path:
    """Write a valid `acme` definition to `<folder>/acme/<version>.yaml`."""
    path = folder / "acme" / f"{version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MINIMAL.format(version=version, status=status) + textwrap.dedent(extra))
    return path


def _definition(case: Path) -> Path:
    files = list(case.glob("*/*.yaml"))
    assert len(files) == 1, f"{case.name}: expected exactly one <key>/<version>.yaml, found {files}"
    return files[0]


def test_corpus_has_many_distinct_cases() -> None:
    assert len(CASES) >= 18
    definitions = [_definition(case).read_text() for case in CASES]
    assert len(set(definitions)) == len(definitions)
    expectations = [(case / "expected.yaml").read_text() for case in CASES]
    assert len(set(expectations)) == len(expectations)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_broken_definition_reports_its_one_defect(case: Path) -> None:
    expected = YAML(typ="safe").load(case / "expected.yaml")
    path = _definition(case)

    with pytest.raises(AppDefinitionError) as caught:
        load_app_version(path)

    issues = caught.value.issues
    assert len(issues) == 1, f"each case has exactly one defect, got:\n{caught.value}"
    [issue] = issues
    assert issue.file == str(path)
    assert issue.path == expected["path"]
    assert issue.line == expected["line"]
    assert expected["message"] in issue.message
    assert str(issue).startswith(f"{path}:{expected['line']}:")
    assert str(issue) in str(caught.value)


@pytest.mark.parametrize("path", REAL_APPS, ids=lambda path: f"{path.parent.name}@{path.stem}")
def test_real_app_validates(path: Path) -> None:
    spec = load_app_version(path)
    assert spec.ref == f"{path.parent.name}@{path.stem}"


def test_real_apps_are_found() -> None:
    assert {path.parent.name for path in REAL_APPS} >= {"shopify", "eshopbox", "delhivery", "http"}


def test_minimal_definition_loads(tmp_path: Path) -> None:
    spec = load_app_version(write_app(tmp_path))

    assert spec.ref == "acme@1.0.0"
    assert spec.auth.type == "session"
    assert spec.auth.token.from_ == "json"  # the `from` alias
    assert spec.auth.login.json_body == {"user": "{{ auth.username }}", "password": "{{ auth.password }}"}
    assert spec.triggers["orders_updated"].pagination.type == "cursor"
    assert spec.actions["create_customer"].inputs["vip"].default is False
    assert spec.actions["create_customer"].search_first.search == "find_customer"
    assert spec.retry.max_attempts == 5  # defaults fill what the file leaves out


def test_loaded_models_are_immutable(tmp_path: Path) -> None:
    spec = load_app_version(write_app(tmp_path))

    with pytest.raises(ValidationError, match="frozen"):
        spec.version = "2.0.0"
    with pytest.raises(ValidationError, match="frozen"):
        spec.app.key = "other"
    with pytest.raises(ValidationError, match="frozen"):
        spec.auth.token.path = "token"
    with pytest.raises(ValidationError, match="frozen"):
        spec.actions["create_customer"].request.url = "/elsewhere"
    assert spec.version == "1.0.0"
    assert AppVersionSpec.model_config["frozen"] is True


def test_apps_path_adds_folders_and_versions_live_side_by_side(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_app(first, "1.2.0")
    write_app(second, "1.10.0")
    write_app(second, "2.0.0", status="deprecated", extra="deprecation: {sunset: 2030-01-01, replacement: 1.10.0}\n")

    monkeypatch.delenv(APPS_PATH_VARIABLE, raising=False)
    assert "acme" not in Catalog.load().apps

    monkeypatch.setenv(APPS_PATH_VARIABLE, f"{first}:{second}")
    catalog = Catalog.load()

    assert "shopify" in catalog.apps  # the built-in apps are still there
    assert [spec.version for spec in catalog.versions("acme")] == ["1.2.0", "1.10.0", "2.0.0"]
    assert catalog.sources["acme@1.2.0"] == first / "acme" / "1.2.0.yaml"
    assert catalog.sources["acme@1.10.0"] == second / "acme" / "1.10.0.yaml"
    assert catalog.get("acme").version == "1.10.0"  # the newest *active* version, compared numerically
    assert catalog.get("acme@2.0.0").status == "deprecated"
    assert catalog.get("acme@1.2.0").version == "1.2.0"
    with pytest.raises(KeyError, match="unknown version '9.9.9'"):
        catalog.get("acme@9.9.9")


def test_same_version_in_two_folders_is_an_error(tmp_path: Path, monkeypatch) -> None:
    write_app(tmp_path / "first")
    duplicate = write_app(tmp_path / "second")
    monkeypatch.setenv(APPS_PATH_VARIABLE, f"{tmp_path / 'first'}:{tmp_path / 'second'}")

    with pytest.raises(AppDefinitionError) as caught:
        Catalog.load()

    [issue] = caught.value.issues
    assert issue.file == str(duplicate)
    assert "acme@1.0.0 is also defined in" in issue.message


def test_catalog_collects_issues_from_every_broken_file(tmp_path: Path) -> None:
    good = write_app(tmp_path)
    broken = [_definition(BROKEN / "unknown-top-level-key").parent, _definition(BROKEN / "undeclared-env-var")]

    with pytest.raises(AppDefinitionError) as caught:
        Catalog.load([good, *broken])

    assert sorted(issue.path for issue in caught.value.issues) == [
        "trigers",
        "triggers.orders_updated.request.params.region",
    ]
