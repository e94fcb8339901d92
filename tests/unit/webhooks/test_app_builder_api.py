"""The app builder's routes (`POST /apps`, `POST /apps/try`) on the management API, served by uvicorn: a draft saved
into `INTEGRATIONS_APPS_PATH` is listed by `GET /apps` at once; a try goes to the Shopify sandbox with the
credentials of an Airflow connection (an `AIRFLOW_CONN_*` variable), never answering them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI

from connectors.webhooks.management_api import management_api
from tests.unit.sandbox.fixtures import SHOPIFY_TOKEN, Sandbox
from tests.unit.services.test_app_builder import ACME, ORDER, WRONG_TOKEN
from tests.unit.webhooks.conftest import HOST, Harness, ServerThread


def allow() -> None:
    return None


class Api:
    def __init__(self, url: str) -> None:
        self.url, self.http = url, requests.Session()
        self.http.trust_env = False

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=20, **kwargs)


@pytest.fixture
def apps_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-apps"
    folder.mkdir()
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(folder))
    return folder


@pytest.fixture
def api(start_receiver: Any, fake_airflow: Any, apps_folder: Path) -> Iterator[Api]:
    harness: Harness = start_receiver(fake_airflow, dispatch=False)
    app: FastAPI = management_api(harness.receiver, access=allow)  # who may: test_management_api.py (Airflow's)
    server = ServerThread(app).start()
    yield Api(f"http://{HOST}:{server.port}")
    server.stop()


def connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, conn_type: str, extra: dict[str, Any]) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": conn_type, "extra": extra}))


def test_a_saved_draft_is_listed_at_once_and_a_version_is_never_overwritten(api: Api, apps_folder: Path) -> None:
    assert "acme_shop@1.0.0" not in [app["ref"] for app in api("GET", "/apps").json()]

    created = api("POST", "/apps", json={"yaml": ACME})
    unchanged = api("POST", "/apps", json={"yaml": ACME})
    changed = api("POST", "/apps", json={"yaml": ACME.replace("name: Acme shop", "name: Acme store")})

    assert created.status_code == 201, created.text
    assert created.json() == {"ref": "acme_shop@1.0.0", "path": "acme_shop/1.0.0.yaml", "created": True}
    assert (apps_folder / "acme_shop" / "1.0.0.yaml").read_text() == ACME
    assert "acme_shop@1.0.0" in [app["ref"] for app in api("GET", "/apps").json()]
    assert api("GET", "/apps/acme_shop/1.0.0").json()["name"] == "Acme shop"
    assert unchanged.status_code == 200
    assert unchanged.json()["created"] is False
    assert changed.status_code == 409
    assert "immutable" in changed.json()["detail"]


def test_an_invalid_draft_is_refused_with_its_line(api: Api, apps_folder: Path) -> None:
    answer = api("POST", "/apps", json={"yaml": ACME.replace("version: 1.0.0", "version: one")})

    assert answer.status_code == 422
    assert [(p["path"], p["line"]) for p in answer.json()["problems"]] == [("version", 7)]
    assert list(apps_folder.iterdir()) == []


def test_without_an_apps_folder_saving_is_unavailable(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTEGRATIONS_APPS_PATH")

    answer = api("POST", "/apps", json={"yaml": ACME})

    assert answer.status_code == 503
    assert "INTEGRATIONS_APPS_PATH" in answer.json()["detail"]


def test_a_try_through_an_airflow_connection(api: Api, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox.control("shopify", "/orders", ORDER)
    connection(monkeypatch, "acme_main", "integrations_acme_shop", {"access_token": SHOPIFY_TOKEN,
                                                                    "admin_url": sandbox.admin})  # fmt: skip
    trial = {"yaml": ACME, "kind": "search", "key": "find_orders", "inputs": {"limit": 1}, "connection_id": "acme_main"}

    answer = api("POST", "/apps/try", json=trial)

    assert answer.status_code == 200, answer.text
    tried = answer.json()
    assert tried["status"] == 200 and tried["error"] is None
    assert tried["request"]["url"] == f"{sandbox.admin}/orders.json"
    assert tried["request"]["params"] == {"status": "any", "limit": 1}
    assert len(json.loads(tried["response"]["body"])["orders"]) == 1
    assert SHOPIFY_TOKEN not in answer.text


def test_a_wrong_secret_shows_the_401_and_not_the_secret(
    api: Api, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection(monkeypatch, "acme_main", "integrations_acme_shop", {"access_token": WRONG_TOKEN,
                                                                    "admin_url": sandbox.admin})  # fmt: skip
    trial = {"yaml": ACME, "kind": "search", "key": "find_orders", "connection_id": "acme_main"}

    answer = api("POST", "/apps/try", json=trial)

    assert answer.status_code == 200, answer.text
    tried = answer.json()
    assert tried["status"] == 401
    assert tried["error"]["type"] == "AuthExpiredError"
    assert "credentials refused" in tried["error"]["message"]
    assert WRONG_TOKEN not in answer.text


def test_another_apps_connection_and_an_unknown_one_are_refused(
    api: Api, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection(monkeypatch, "demo_shop", "integrations_shopify", {"access_token": SHOPIFY_TOKEN, "shop": "demo"})
    trial = {"yaml": ACME, "kind": "search", "key": "find_orders"}

    other = api("POST", "/apps/try", json={**trial, "connection_id": "demo_shop"})
    unknown = api("POST", "/apps/try", json={**trial, "connection_id": "nowhere_at_all"})

    assert other.status_code == 422
    assert "needs a connection of type 'integrations_acme_shop'" in other.json()["detail"]
    assert unknown.status_code == 404, unknown.text
    assert "no Airflow connection 'nowhere_at_all'" in unknown.json()["detail"]
