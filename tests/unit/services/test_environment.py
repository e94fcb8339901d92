"""App-version environments in the service layer: show never gives a secret back, set types values and refuses
unknown names and wrong types with their paths (nothing written), `***` keeps a secret, copy skips what the target
does not declare. The values live in a dict here, as the faces keep them in Airflow Variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.services import Problem, ServiceError
from connectors.services.environment import (
    app_version,
    copy_environment,
    set_environment,
    show_environment,
)
from connectors.spec import AppVersionSpec, Catalog
from tests.environment_app import environment_app

SECRET = "pk_live_9f8e7d6c"


class Store:
    """Environment values by app version, and every write with its description."""

    def __init__(self, **stored: dict[str, Any]) -> None:
        self.stored = stored
        self.writes: list[tuple[str, dict[str, Any], str]] = []

    def read(self, app_ref: str) -> dict[str, Any]:
        return dict(self.stored.get(app_ref, {}))

    def write(self, app_ref: str, values: dict[str, Any], description: str) -> None:
        self.writes.append((app_ref, values, description))
        self.stored[app_ref] = dict(values)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    folder = tmp_path_factory.mktemp("apps") / "partner"
    folder.mkdir()
    extra = "  LEGACY_FLAG: {type: boolean}\n  LEGACY_LIMIT: {type: integer}"
    (folder / "1.0.0.yaml").write_text(environment_app("1.0.0", extra))
    (folder / "2.0.0.yaml").write_text(environment_app("2.0.0", "  RETRIES: {type: integer}"))
    return Catalog.load([folder.parent])


@pytest.fixture
def v1(catalog: Catalog) -> AppVersionSpec:
    return catalog.get("partner@1.0.0")


@pytest.fixture
def v2(catalog: Catalog) -> AppVersionSpec:
    return catalog.get("partner@2.0.0")


def by_name(values: list[Any]) -> dict[str, Any]:
    return {value.name: value for value in values}


def test_show_lists_every_declared_variable_and_never_a_secret(v1: AppVersionSpec) -> None:
    store = Store(**{"partner@1.0.0": {"BASE_URL": "https://beta.partner.test", "PARTNER_KEY": SECRET}})
    shown = show_environment(v1, store.read)
    assert [value.name for value in shown] == ["BASE_URL", "PARTNER_KEY", "PAGE_SIZE", "LEGACY_FLAG", "LEGACY_LIMIT"]
    values = by_name(shown)
    assert (values["BASE_URL"].value, values["BASE_URL"].is_set, values["BASE_URL"].required) == (
        "https://beta.partner.test", True, True)  # fmt: skip
    assert values["BASE_URL"].description == "Beta or live"
    key = values["PARTNER_KEY"]
    assert (key.secret, key.is_set, key.value) == (True, True, None) and SECRET not in repr(shown)
    size = values["PAGE_SIZE"]
    assert (size.type, size.default, size.is_set, size.value) == ("integer", 50, False, None)
    assert show_environment(v1, Store().read)[1].is_set is False


def test_set_types_values_merges_them_and_answers_the_environment_after(v1: AppVersionSpec) -> None:
    store = Store(**{"partner@1.0.0": {"BASE_URL": "https://beta.partner.test"}})
    after = set_environment(v1, {"PAGE_SIZE": "100", "LEGACY_FLAG": "yes", "PARTNER_KEY": SECRET}, store.read,
                            store.write)  # fmt: skip
    ((ref, written, description),) = store.writes
    assert ref == "partner@1.0.0" and description == "Environment of partner@1.0.0 (secret: PARTNER_KEY)"
    assert written == {"BASE_URL": "https://beta.partner.test", "PAGE_SIZE": 100, "LEGACY_FLAG": True,
                       "PARTNER_KEY": SECRET}  # fmt: skip
    values = by_name(after)
    assert values["PAGE_SIZE"].value == 100 and values["PARTNER_KEY"].value is None and values["PARTNER_KEY"].is_set
    assert SECRET not in repr(after)


def test_a_secret_sent_as_the_mask_or_null_keeps_its_stored_value(v1: AppVersionSpec) -> None:
    stored = {"BASE_URL": "https://beta.partner.test", "PARTNER_KEY": SECRET, "PAGE_SIZE": 20}
    store = Store(**{"partner@1.0.0": stored})
    form = {value.name: "***" if value.secret else value.value for value in show_environment(v1, store.read)}
    set_environment(v1, {**form, "BASE_URL": "https://live.partner.test"}, store.read, store.write)
    assert store.stored["partner@1.0.0"] == {"BASE_URL": "https://live.partner.test", "PARTNER_KEY": SECRET,
                                             "PAGE_SIZE": 20}  # fmt: skip
    set_environment(v1, {"PARTNER_KEY": None, "PAGE_SIZE": None}, store.read, store.write)
    assert store.stored["partner@1.0.0"] == {"BASE_URL": "https://live.partner.test", "PARTNER_KEY": SECRET}
    set_environment(v1, {"PARTNER_KEY": "pk_live_rotated"}, store.read, store.write)
    assert store.stored["partner@1.0.0"]["PARTNER_KEY"] == "pk_live_rotated"


def test_unknown_names_and_wrong_types_are_refused_with_their_paths_and_nothing_written(v2: AppVersionSpec) -> None:
    store = Store()
    with pytest.raises(ServiceError) as refused:
        set_environment(v2, {"PAGE_SIZ": "10", "PAGE_SIZE": "lots", "RETRIES": "2.5", "BASE_URL": "x"}, store.read,
                        store.write)  # fmt: skip
    error = refused.value
    assert error.kind == "invalid" and store.writes == []
    assert error.message == (
        "partner@2.0.0 declares no PAGE_SIZ (declared: BASE_URL, PAGE_SIZE, PARTNER_KEY, RETRIES); environment of "
        "partner@2.0.0: 'PAGE_SIZE': 'lots' is not of type integer; 'RETRIES': '2.5' is not of type integer"
    )
    assert error.problems == [
        Problem("<request>", "environment.PAGE_SIZ",
                "not declared by partner@2.0.0 (declared: BASE_URL, PAGE_SIZE, PARTNER_KEY, RETRIES)"),
        Problem("<request>", "environment.PAGE_SIZE", "'lots' is not of type integer"),
        Problem("<request>", "environment.RETRIES", "'2.5' is not of type integer"),
    ]  # fmt: skip


def test_a_secret_of_the_wrong_type_is_refused_without_saying_it(tmp_path: Path) -> None:
    folder = tmp_path / "partner"
    folder.mkdir()
    text = environment_app("3.0.0", "  PIN: {type: integer, secret: true}")
    (folder / "3.0.0.yaml").write_text(text)
    spec = Catalog.load([tmp_path]).get("partner@3.0.0")
    with pytest.raises(ServiceError) as refused:
        set_environment(spec, {"PIN": "pin-7f3a9"}, Store().read, Store().write)
    assert "pin-7f3a9" not in str(refused.value) and "pin-7f3a9" not in repr(refused.value.problems)
    assert refused.value.problems[0].path == "environment.PIN"
    assert refused.value.problems[0].message == "the value is not of type integer"


def test_complete_refuses_a_required_variable_left_without_a_value(v2: AppVersionSpec) -> None:
    store = Store()
    with pytest.raises(ServiceError) as refused:
        set_environment(v2, {"PAGE_SIZE": 10}, store.read, store.write, complete=True)
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("environment.BASE_URL", "is required but has no value")]  # fmt: skip
    assert store.writes == []
    set_environment(v2, {"BASE_URL": "https://beta.partner.test"}, store.read, store.write, complete=True)
    assert store.stored["partner@2.0.0"] == {"BASE_URL": "https://beta.partner.test"}


def test_copy_writes_what_the_target_declares_and_skips_the_rest(v1: AppVersionSpec, v2: AppVersionSpec) -> None:
    source = {"BASE_URL": "https://beta.partner.test", "PARTNER_KEY": SECRET, "PAGE_SIZE": 100, "LEGACY_FLAG": True,
              "LEGACY_LIMIT": 3}  # fmt: skip
    store = Store(**{"partner@1.0.0": source, "partner@2.0.0": {"RETRIES": 4, "PAGE_SIZE": 10}})
    copied, skipped = copy_environment(v1, v2, store.read, store.write)
    assert (copied, skipped) == (["BASE_URL", "PAGE_SIZE", "PARTNER_KEY"], ["LEGACY_FLAG", "LEGACY_LIMIT"])
    assert store.stored["partner@2.0.0"] == {"BASE_URL": "https://beta.partner.test", "PARTNER_KEY": SECRET,
                                             "PAGE_SIZE": 100, "RETRIES": 4}  # fmt: skip
    assert store.stored["partner@1.0.0"] == source
    assert copy_environment(v2, v1, Store().read, store.write) == ([], [])


def test_copy_refuses_a_value_the_target_types_otherwise(v1: AppVersionSpec, v2: AppVersionSpec) -> None:
    store = Store(**{"partner@2.0.0": {"PAGE_SIZE": "many"}})
    with pytest.raises(ServiceError) as refused:
        copy_environment(v2, v1, store.read, store.write)
    assert refused.value.problems == [
        Problem("environment of partner@2.0.0", "environment.PAGE_SIZE", "'many' is not of type integer")]  # fmt: skip
    assert store.writes == []


def test_an_app_version_is_named_with_its_version_and_an_unknown_one_is_not_found(catalog: Catalog) -> None:
    assert app_version(catalog, "partner@2.0.0").ref == "partner@2.0.0"
    with pytest.raises(ServiceError) as no_version:
        app_version(catalog, "partner")
    assert no_version.value.kind == "invalid" and "partner@1.0.0" in no_version.value.message
    with pytest.raises(ServiceError) as unknown:
        app_version(catalog, "partner@9.0.0")
    assert unknown.value.kind == "not_found" and "9.0.0" in unknown.value.message
