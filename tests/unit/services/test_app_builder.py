"""The app builder's service: a draft saved as a new app version into the user's apps folder (immutable, atomic,
idempotent for the same text), and one of a draft's requests tried against the Shopify sandbox through the
runtime's client."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.services import ServiceError
from connectors.services.app_builder import save_app_version
from connectors.services.app_trial import BODY_EXCERPT, TrialResult, try_request
from connectors.spec import AppVersionSpec, Catalog
from tests.unit.sandbox.fixtures import LIMIT, SHOPIFY_TOKEN, Sandbox

ROOT = Path(__file__).resolve().parents[3]
ACME = """\
# Acme shop: the Shopify Admin API of one store, written in the app builder.
app:
  key: acme_shop
  name: Acme shop
  description: Orders of the Acme shop.
  category: cart
version: 1.0.0
base_url: "{{ properties.admin_url }}"
auth:
  type: api_key
  fields:
    access_token: {label: Admin API access token}
  headers:
    X-Shopify-Access-Token: "{{ auth.access_token }}"  # sent by the auth, never shown
properties:
  admin_url: {label: Admin API URL, required: true}
triggers:
  orders_updated:
    type: polling
    name: Order updated
    request: {url: /orders.json, params: {status: any, limit: 50}}
    records: orders
    id_field: id
    updated_at_field: updated_at
    window: {start_param: updated_at_min, end_param: updated_at_max, overlap_seconds: 60}
    pagination: {type: link_header}
  order_created:
    type: webhook
    name: Order created
    verify: {scheme: static_token, header: X-Token, value: "{{ auth.access_token }}"}
    dedupe_key: {header: X-Request-Id}
searches:
  find_orders:
    name: Find orders
    inputs:
      status: {default: any}
      limit: {type: integer, default: 3}
    request:
      url: /orders.json
      params: {status: "{{ inputs.status }}", limit: "{{ inputs.limit }}"}
    records: orders
"""
WRONG_TOKEN = "shpat_not-the-right-token-5f0c"
ORDER = {"sku": "ESB-TEE-RED-M", "quantity": 1, "price": "499.00"}


@pytest.fixture
def apps_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-apps"
    folder.mkdir()
    monkeypatch.setenv("INTEGRATIONS_APPS_PATH", str(folder))
    return folder


def problems(error: ServiceError) -> list[tuple[str, int | None]]:
    return [(problem.message, problem.line) for problem in error.problems]


# -- saving ---------------------------------------------------------------------------------------------------------


def test_a_valid_draft_is_saved_as_sent_where_the_catalog_reads_it(apps_folder: Path) -> None:
    saved = save_app_version(ACME, Catalog.load())

    assert (saved.ref, saved.path, saved.created) == ("acme_shop@1.0.0", "acme_shop/1.0.0.yaml", True)
    assert (apps_folder / "acme_shop" / "1.0.0.yaml").read_text() == ACME  # comments kept
    assert [p.name for p in (apps_folder / "acme_shop").iterdir()] == ["1.0.0.yaml"]  # no temporary file left
    catalog = Catalog.load()
    assert catalog.get("acme_shop").ref == "acme_shop@1.0.0"
    assert catalog.sources["acme_shop@1.0.0"] == apps_folder / "acme_shop" / "1.0.0.yaml"


def test_the_same_text_again_is_unchanged_and_other_text_for_that_version_a_conflict(apps_folder: Path) -> None:
    save_app_version(ACME, Catalog.load())

    again = save_app_version(ACME, Catalog.load())
    with pytest.raises(ServiceError) as changed:
        save_app_version(ACME.replace("name: Acme shop", "name: Acme store"), Catalog.load())
    with pytest.raises(ServiceError) as stale:  # a catalog read before the first save: the file still decides
        save_app_version(ACME.replace("name: Acme shop", "name: Acme store"), Catalog.load([]))

    assert (again.created, again.path) == (False, "acme_shop/1.0.0.yaml")
    for refused in (changed.value, stale.value):
        assert refused.kind == "conflict"
        assert "acme_shop@1.0.0 exists already" in refused.message and "new version" in refused.message
    assert (apps_folder / "acme_shop" / "1.0.0.yaml").read_text() == ACME
    assert save_app_version(ACME.replace("1.0.0", "1.0.1"), Catalog.load()).created


def test_a_version_of_the_package_is_not_saved_again_and_no_machine_path_is_told(apps_folder: Path) -> None:
    shopify = (ROOT / "connectors" / "apps" / "shopify" / "1.0.0.yaml").read_text()

    with pytest.raises(ServiceError) as refused:
        save_app_version(shopify + "\n# mine now\n", Catalog.load())

    assert refused.value.kind == "conflict"
    assert "the package's apps: shopify/1.0.0.yaml" in refused.value.message
    assert str(ROOT) not in refused.value.message
    assert list(apps_folder.iterdir()) == []


def test_an_invalid_draft_answers_every_problem_with_its_line_and_writes_nothing(apps_folder: Path) -> None:
    with pytest.raises(ServiceError) as broken:
        save_app_version(ACME.replace("  category: cart", "  category: [cart"), Catalog.load())
    with pytest.raises(ServiceError) as wrong:
        save_app_version(ACME.replace("records: orders\n", "records: orders\n    colour: red\n", 1), Catalog.load())

    assert broken.value.kind == "invalid"
    assert broken.value.problems[0].message.startswith("invalid YAML")
    assert broken.value.problems[0].line is not None
    assert wrong.value.kind == "invalid"
    assert [(p.path, p.line) for p in wrong.value.problems] == [("triggers.orders_updated.colour", 23)]
    assert list(apps_folder.iterdir()) == []


def test_without_an_apps_folder_nothing_is_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTEGRATIONS_APPS_PATH", raising=False)

    with pytest.raises(ServiceError) as refused:
        save_app_version(ACME, Catalog.load())

    assert refused.value.kind == "unavailable"
    assert "set INTEGRATIONS_APPS_PATH" in refused.value.message
    assert not (ROOT / "connectors" / "apps" / "acme_shop").exists()


def test_a_save_that_would_break_the_catalog_is_undone(apps_folder: Path) -> None:
    catalog = Catalog.load()  # read before another file defined the same version
    (apps_folder / "acme_shop").mkdir(parents=True)
    (apps_folder / "acme_shop" / "1.0.0.yml").write_text(ACME.replace("name: Acme shop", "name: Acme (old)"))

    with pytest.raises(ServiceError) as refused:
        save_app_version(ACME, catalog)

    assert refused.value.kind == "invalid"
    assert "would not load" in refused.value.message
    assert [(p.file, p.message) for p in refused.value.problems] == [
        ("acme_shop/1.0.0.yml", "acme_shop@1.0.0 is also defined in acme_shop/1.0.0.yaml")
    ]
    assert not (apps_folder / "acme_shop" / "1.0.0.yaml").exists()
    assert Catalog.load().apps["acme_shop"]["1.0.0"].app.name == "Acme (old)"


# -- trying a request ---------------------------------------------------------------------------------------------


def client_for(sandbox: Sandbox, token: str) -> Any:
    """What the face passes: the runtime's client for the draft's spec and a connection's values."""

    def build(spec: AppVersionSpec, connection_id: str) -> AppClient:
        values = ConnectionValues(connection_id, {"access_token": token}, {"admin_url": sandbox.admin})
        return AppClient(spec, values)

    return build


def shop_types(conn_id: str) -> str | None:
    return {"acme_main": "integrations_acme_shop", "demo_shopify": "integrations_shopify", "plain": "http"}.get(conn_id)


def tried(sandbox: Sandbox, kind: str = "search", key: str = "find_orders", token: str = SHOPIFY_TOKEN,
          connection: str = "acme_main", **inputs: Any) -> TrialResult:  # fmt: skip
    return try_request(ACME, None, kind, key, inputs, connection, client_for(sandbox, token), shop_types)  # type: ignore[arg-type]


def test_a_search_is_sent_and_answered_with_its_status_and_body(sandbox: Sandbox) -> None:
    sandbox.control("shopify", "/orders", ORDER)

    result = tried(sandbox, status="any")

    assert result.error is None
    assert result.status == 200
    assert result.request is not None and result.response is not None
    assert (result.request.method, result.request.url) == ("GET", f"{sandbox.admin}/orders.json")
    assert result.request.params == {"status": "any", "limit": 3}
    assert "X-Shopify-Access-Token" not in result.request.headers
    orders = json.loads(result.response.body)["orders"]
    assert 0 < len(orders) <= 3 and not result.response.truncated
    assert result.response.headers["content-type"] == "application/json"
    assert result.duration_ms > 0
    assert SHOPIFY_TOKEN not in json.dumps(asdict(result))


def test_refused_credentials_answer_the_401_and_never_the_secret(sandbox: Sandbox) -> None:
    result = tried(sandbox, token=WRONG_TOKEN)

    assert result.status == 401
    assert result.error is not None
    assert (result.error.type, result.error.status) == ("AuthExpiredError", 401)
    assert "credentials refused" in result.error.message
    assert result.response is not None and "Invalid API key or access token" in result.response.body
    assert WRONG_TOKEN not in json.dumps(asdict(result))


def test_a_polling_trigger_sends_its_first_page_over_the_last_hour(sandbox: Sandbox) -> None:
    sandbox.control("shopify", "/orders", ORDER)

    result = tried(sandbox, kind="trigger", key="orders_updated")

    assert result.status == 200, result
    assert result.request is not None and result.response is not None
    assert set(result.request.params) == {"status", "limit", "updated_at_min", "updated_at_max"}
    assert len(json.loads(result.response.body)["orders"]) >= 1


def test_a_rate_limited_try_says_when_to_try_again(limited_sandbox: Sandbox) -> None:
    for _ in range(LIMIT):
        limited_sandbox.shopify("GET", "/shop.json")

    result = tried(limited_sandbox)

    assert result.status == 429
    assert result.error is not None
    assert (result.error.type, result.error.retry_after, result.error.retryable) == ("RateLimitedError", 2.0, True)
    assert limited_sandbox.rate_limited("shopify")[0] == 1  # tried once: no retries


def test_a_long_body_is_cut(sandbox: Sandbox) -> None:
    for _ in range(40):
        sandbox.control("shopify", "/orders", ORDER)

    result = tried(sandbox, kind="trigger", key="orders_updated")

    assert result.response is not None
    assert result.response.truncated and len(result.response.body) == BODY_EXCERPT


@pytest.mark.parametrize(
    ("kind", "key", "connection", "inputs", "kind_of_error", "says"),
    [
        ("search", "find_orders", "nowhere", {}, "not_found", "no Airflow connection 'nowhere' exists"),
        ("search", "find_orders", "demo_shopify", {}, "invalid", "acme_shop@1.0.0 needs a connection of type"),
        ("search", "find_orders", "plain", {}, "invalid", "acme_shop@1.0.0 needs a connection of type"),
        ("action", "create_order", "acme_main", {}, "invalid", "the draft has no action 'create_order'"),
        ("trigger", "order_created", "acme_main", {}, "invalid", "is a webhook trigger"),
        ("search", "find_orders", "acme_main", {"limit": "lots"}, "invalid", "'limit'"),
    ],
)
def test_what_cannot_be_tried_is_refused_before_anything_is_sent(
    sandbox: Sandbox, kind: str, key: str, connection: str, inputs: dict[str, Any], kind_of_error: str, says: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        tried(sandbox, kind=kind, key=key, connection=connection, **inputs)

    assert refused.value.kind == kind_of_error
    assert says in refused.value.message


def test_a_credential_the_draft_calls_plain_is_masked_all_the_same(sandbox: Sandbox) -> None:
    sandbox.control("shopify", "/orders", ORDER)
    leaky = ACME.replace("access_token: {label: Admin API access token}", "access_token: {secret: false}").replace(
        'params: {status: "{{ inputs.status }}"',
        'params: {echo: "{{ auth.access_token }}", status: "{{ inputs.status }}"',
    )

    result = try_request(leaky, None, "search", "find_orders", {}, "acme_main", client_for(sandbox, SHOPIFY_TOKEN),
                         shop_types)  # fmt: skip

    assert result.request is not None and result.request.params["echo"] == "***"
    assert SHOPIFY_TOKEN not in json.dumps(asdict(result))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (('base_url: "{{ properties.admin_url }}"', "base_url: https://collector.example.net"), "base_url"),
        (("properties:", "allowed_hosts: [https://collector.example.net]\nproperties:"), "allowed_hosts"),
    ],
)
def test_a_new_version_of_a_known_app_must_call_its_hosts(
    apps_folder: Path, sandbox: Sandbox, change: tuple[str, str], path: str
) -> None:
    save_app_version(ACME, Catalog.load())
    moved = ACME.replace("version: 1.0.0", "version: 1.1.0").replace(*change)
    catalog = Catalog.load()

    for attempt in (
        lambda: save_app_version(moved, catalog),
        lambda: try_request(
            moved,
            None,
            "search",
            "find_orders",
            {},
            "acme_main",
            client_for(sandbox, SHOPIFY_TOKEN),
            shop_types,
            catalog,
        ),  # fmt: skip
    ):
        with pytest.raises(ServiceError) as refused:
            attempt()
        assert refused.value.kind == "invalid" and [p.path for p in refused.value.problems] == [path]
        assert "a key of its own" in refused.value.message
    assert not (apps_folder / "acme_shop" / "1.1.0.yaml").exists()
    assert save_app_version(ACME.replace("version: 1.0.0", "version: 1.1.0"), catalog).created  # same hosts: saved
