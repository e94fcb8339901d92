"""The management API (`/integrations/api/v1/…`) through a real uvicorn server, mounted as the api-server mounts the
plugin beside Airflow's SimpleAuthManager: 401 without a login, 403 for a viewer on a write, the routes' answers for
a user allowed to edit DAGs, 422 with every problem on a bad workflow, the replay of a failed event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from ruamel.yaml import YAML
from sqlalchemy import select

from connectors.registry.action_log import record_step
from connectors.registry.db import session_scope
from connectors.registry.inbox import NewEvent, store_events
from connectors.registry.models import ActionOutcome, Event, EventStatus, Workflow
from connectors.spec import Catalog
from connectors.spec.catalog import BUILTIN_APPS
from tests.environment_app import environment_app
from tests.unit.webhooks.conftest import SHOPIFY_DAG, Harness

ROOT = Path(__file__).resolve().parents[3]
API = "/api/v1"
# SimpleAuthManager roles: viewer reads; user may also edit DAGs and trigger runs
USERS = {"admin": "admin-pw-0123456789", "viewer": "viewer-pw-0123456789", "editor": "editor-pw-0123456789"}
ROLES = {"admin": "admin", "viewer": "viewer", "editor": "user"}

READS = [
    ("GET", "/apps"),
    ("GET", "/apps/usage"),
    ("GET", "/apps/shopify"),
    ("GET", "/apps/shopify/1.0.0"),
    ("GET", "/apps/shopify/1.0.0/environment"),
    ("POST", "/apps/validate"),
    ("GET", "/workflows"),
    ("GET", f"/workflows/{SHOPIFY_DAG}"),
    ("POST", "/workflows/validate"),
    ("POST", "/workflows/dry-run"),
    ("POST", f"/workflows/{SHOPIFY_DAG}/dry-run"),
    ("GET", "/events"),
    ("GET", "/events/1"),
    ("GET", "/status"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
]
WRITES = [
    ("POST", "/workflows"),
    ("POST", f"/workflows/{SHOPIFY_DAG}/enable"),
    ("POST", f"/workflows/{SHOPIFY_DAG}/disable"),
    ("DELETE", f"/workflows/{SHOPIFY_DAG}"),
    ("POST", f"/workflows/{SHOPIFY_DAG}/upgrade"),
    ("POST", f"/workflows/{SHOPIFY_DAG}/rollback"),
    ("POST", "/events/1/replay"),
    ("POST", "/events/replay"),
    ("POST", "/apps"),
    ("POST", "/apps/try"),
    ("PUT", "/apps/shopify/1.0.0/environment"),
    ("POST", "/apps/shopify/1.0.0/environment/copy"),
]


@pytest.fixture(scope="session")
def api_passwords(tmp_path_factory: pytest.TempPathFactory, airflow_metadata_db: None) -> str:
    passwords = tmp_path_factory.mktemp("api-auth") / "passwords.json"
    passwords.write_text(json.dumps(USERS))
    return str(passwords)


@pytest.fixture
def airflow_auth(api_passwords: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """conftest's SimpleAuthManager set-up, with an `editor` of role `user` (may edit DAGs, not connections)."""
    config = {
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{user}:{ROLES[user]}" for user in USERS),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": api_passwords,
        "AIRFLOW__API_AUTH__JWT_SECRET": "tests-only-jwt-secret-" + "0" * 48,
    }
    for name, value in config.items():
        monkeypatch.setenv(name, value)
    return USERS


class Client:
    """The API as a logged-in user (or anonymous) sees it."""

    def __init__(self, harness: Harness, user: str | None) -> None:
        self.harness = harness
        self.headers = {}
        if user:
            login = {"username": user, "password": USERS[user]}
            answer = harness.http.post(harness.airflow_url + "/auth/token", json=login, timeout=10)
            assert answer.status_code == 201, answer.text
            self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.harness.base_url + API + path
        return self.harness.http.request(method, url, headers=self.headers, timeout=20, **kwargs)


@pytest.fixture
def harness(start_receiver, fake_airflow) -> Harness:
    started = start_receiver(fake_airflow, mounted=True, dispatch=False)
    started.receiver.health.max_age = 0
    return started


@pytest.fixture
def editor(harness: Harness) -> Client:
    return Client(harness, "editor")


@pytest.fixture
def viewer(harness: Harness) -> Client:
    return Client(harness, "viewer")


def test_trying_a_drafts_request_or_writing_an_environment_needs_connection_or_variable_edit_access(
    editor: Client, harness: Harness
) -> None:
    admin = Client(harness, "admin")
    trial = {"yaml": "app: {}", "kind": "search", "key": "x", "connection_id": "demo_shopify"}
    assert editor("POST", "/apps/try", json=trial).status_code == 403  # a user edits DAGs, not connections
    assert admin("POST", "/apps/try", json=trial).status_code == 422  # allowed: the draft is not
    values = {"values": {"NOT_DECLARED": 1}}
    assert editor("PUT", "/apps/shopify/1.0.0/environment", json=values).status_code == 403  # nor variables
    assert admin("PUT", "/apps/shopify/1.0.0/environment", json=values).status_code == 422


def shopify_definition(**changes: Any) -> dict[str, Any]:
    text = (ROOT / "include" / "workflows" / "shopify_order_to_eshopbox.yaml").read_text()
    return {**json.loads(json.dumps(YAML(typ="safe").load(text), default=str)), **changes}


def failed_event(db_url: str, key: str = "webhook-77", error: str = "PermanentError: request refused") -> int:
    with session_scope(db_url) as session:
        workflow = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert workflow is not None
        payload = json.dumps({"id": 77, "name": "#1077"}).encode()
        headers = {"x-shopify-topic": "orders/create", "x-shopify-webhook-id": key, "x-shopify-hmac-sha256": "c2ln"}
        (stored,) = store_events(session.connection(), [NewEvent(workflow.id, key, payload, headers)])
        record_step(session, workflow.id, key, "create_order", ActionOutcome.FAILED, status_code=422, error=error)
        event = session.get_one(Event, stored.event_id)
        event.status, event.error, event.attempts = EventStatus.FAILED, error, 3
        event.dag_run_id = "drain__1__20261130T100000000000"
        return event.id


# -- who may do what ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), READS + WRITES)
def test_every_route_refuses_a_caller_without_an_airflow_login(harness: Harness, method: str, path: str) -> None:
    anonymous = Client(harness, None)(method, path, json={})
    assert anonymous.status_code == 401, anonymous.text
    forged = harness.http.request(method, harness.base_url + API + path, headers={"Authorization": "Bearer x.y.z"})
    assert forged.status_code in (401, 403)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_a_viewer_may_not_change_anything(viewer: Client, harness: Harness, method: str, path: str) -> None:
    before = viewer("GET", "/workflows").json()
    answer = viewer(method, path, json={"to": "shopify@2.0.0", "workflow": SHOPIFY_DAG, "since": "1h"})
    assert answer.status_code == 403, answer.text
    assert viewer("GET", "/workflows").json() == before


def test_a_viewer_reads_apps_workflows_events_and_status(viewer: Client, harness: Harness) -> None:
    event_id = failed_event(harness.db_url)
    apps = viewer("GET", "/apps")
    assert apps.status_code == 200 and {"shopify@1.0.0", "eshopbox@1.0.0"} <= {a["ref"] for a in apps.json()}
    shown = viewer("GET", "/apps/shopify/1.0.0").json()
    assert shown["ref"] == "shopify@1.0.0" and any(t["key"] == "order_created" for t in shown["sections"]["triggers"])
    assert viewer("GET", "/apps/shopify/9.9.9").status_code == 404
    assert any(f["name"] == "access_token" and f["secret"] for f in shown["connection_form"])
    assert shown["connection_type"] == "integrations_shopify"
    used = {u["ref"]: u["dag_ids"] for u in viewer("GET", "/apps/usage", params={"app": "shopify"}).json()}
    assert SHOPIFY_DAG in used["shopify@1.0.0"] and all(ref.startswith("shopify@") for ref in used)
    workflows = viewer("GET", "/workflows").json()
    assert SHOPIFY_DAG in {w["dag_id"] for w in workflows}
    one = viewer("GET", f"/workflows/{SHOPIFY_DAG}").json()
    assert one["definition"]["key"] == "shopify_order_to_eshopbox" and one["can_roll_back"] is False
    assert viewer("GET", f"/workflows/{one['id']}").json()["dag_id"] == SHOPIFY_DAG
    assert viewer("GET", "/workflows/wf.demo.nothing").status_code == 404
    status = viewer("GET", "/status")
    assert status.status_code == 200 and status.json()["inbox"]["failed"] == 1
    assert viewer("GET", "/events", params={"status": "failed"}).json()[0]["id"] == event_id


# -- workflows ------------------------------------------------------------------------------------------------------


def test_an_editor_creates_updates_and_is_refused_a_bad_workflow_with_its_problems(editor: Client) -> None:
    new = shopify_definition(key="orders_again")
    body = {"definition": new, "allow_missing_connections": True}
    created = editor("POST", "/workflows", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["dag_id"] == "wf.demo.orders_again" and created.json()["change"] == "created"
    updated = editor("POST", "/workflows", json={**body, "definition": {**new, "name": "Orders, again"}})
    assert updated.status_code == 200 and updated.json()["change"] == "updated"
    assert updated.json()["workflow"]["revision"] == 2

    bad = {**new, "trigger": {**new["trigger"], "app": "shopify@9.9.9"}, "colour": "blue"}
    refused = editor("POST", "/workflows", json={**body, "definition": bad})
    assert refused.status_code == 422, refused.text
    answer = refused.json()
    assert answer["detail"].startswith("nothing applied")
    assert {p["path"] for p in answer["problems"]} == {"colour"}
    assert "unknown key 'colour'" in answer["problems"][0]["message"]
    refused = editor("POST", "/workflows", json={**body, "definition": {**new, "trigger": bad["trigger"]}})
    assert [p["path"] for p in refused.json()["problems"]] == ["trigger.app"]
    assert editor("GET", "/workflows/wf.demo.orders_again").json()["name"] == "Orders, again"


def test_validation_answers_problems_without_storing(editor: Client) -> None:
    text = (ROOT / "include" / "workflows" / "shopify_order_to_eshopbox.yaml").read_text()
    broken = text.replace("key: create_order", "key: create_order\n    colour: blue", 1)
    checked = editor("POST", "/workflows/validate", json={"yaml": broken, "allow_missing_connections": True})
    assert checked.status_code == 200
    (problem,) = checked.json()["problems"]
    assert (problem["path"], problem["line"]) == ("steps[0].colour", 12)
    fine = editor("POST", "/workflows/validate", json={"definition": shopify_definition(key="never_stored"),
                                                        "allow_missing_connections": True})  # fmt: skip
    assert fine.json()["valid"] is True
    assert editor("GET", "/workflows/wf.demo.never_stored").status_code == 404
    neither = editor("POST", "/workflows/validate", json={})
    assert neither.json()["valid"] is False


def test_a_draft_app_is_validated_with_its_lines(viewer: Client) -> None:
    text = (ROOT / "connectors" / "apps" / "shopify" / "1.0.0.yaml").read_text()
    assert viewer("POST", "/apps/validate", json={"yaml": text}).json() == {
        "valid": True, "checked": 1, "problems": [], "warnings": []}  # fmt: skip
    broken = viewer("POST", "/apps/validate", json={"yaml": text.replace("\nauth:", "\nauthentication:", 1)}).json()
    assert not broken["valid"] and any(p["path"] == "authentication" and p["line"] for p in broken["problems"])


def test_enable_disable_delete(editor: Client, harness: Harness) -> None:
    disabled = editor("POST", f"/workflows/{SHOPIFY_DAG}/disable")
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert editor("POST", f"/workflows/{SHOPIFY_DAG}/enable").json()["enabled"] is True
    deleted = editor("DELETE", f"/workflows/{SHOPIFY_DAG}")
    assert deleted.status_code == 200 and deleted.json()["dag_id"] == SHOPIFY_DAG
    assert editor("GET", f"/workflows/{SHOPIFY_DAG}").status_code == 404
    assert editor("DELETE", f"/workflows/{SHOPIFY_DAG}").status_code == 404


def test_upgrade_dry_run_upgrade_and_rollback(editor: Client) -> None:
    legacy = ROOT / "tests" / "fixtures" / "workflows" / "eshopbox_stock_to_shopify_rest.yaml"
    stored = editor("POST", "/workflows", json={"yaml": legacy.read_text(), "allow_missing_connections": True})
    assert stored.status_code == 201, stored.text
    dag_id = stored.json()["dag_id"]
    nothing_to_undo = editor("POST", f"/workflows/{dag_id}/rollback")
    assert nothing_to_undo.status_code == 409 and "no earlier definition" in nothing_to_undo.json()["detail"]

    dry = editor("POST", f"/workflows/{dag_id}/upgrade", json={"to": "shopify@2.0.0", "dry_run": True}).json()
    assert dry["ok"] and not dry["applied"]
    assert "step set_available: input renamed available -> quantity" in dry["outcomes"][0]["changes"]
    assert editor("GET", f"/workflows/{dag_id}").json()["revision"] == 1
    done = editor("POST", f"/workflows/{dag_id}/upgrade", json={"to": "shopify@2.0.0"}).json()
    assert done["applied"] and done["outcomes"][0]["revision"] == 2
    assert editor("GET", f"/workflows/{dag_id}").json()["can_roll_back"] is True
    back = editor("POST", f"/workflows/{dag_id}/rollback")
    assert back.status_code == 200 and "shopify@1.0.0" in back.json()["pins"]
    unknown = editor("POST", f"/workflows/{dag_id}/upgrade", json={"to": "shopify@9.0.0"})
    assert unknown.status_code == 422 and "unknown version '9.0.0'" in unknown.json()["detail"]
    assert editor("POST", f"/workflows/{dag_id}/upgrade", json={"to": "not a ref"}).status_code == 422


# -- events ---------------------------------------------------------------------------------------------------------


def test_an_event_is_shown_with_its_steps_and_no_secret_header(viewer: Client, harness: Harness) -> None:
    event_id = failed_event(harness.db_url)
    shown = viewer("GET", f"/events/{event_id}")
    assert shown.status_code == 200
    event = shown.json()
    assert event["payload"] == {"id": 77, "name": "#1077"} and event["status"] == "failed"
    assert event["dag_run_id"] == "drain__1__20261130T100000000000" and event["dag_id"] == SHOPIFY_DAG
    assert event["headers"]["x-shopify-topic"] == "orders/create"
    assert event["headers"]["x-shopify-hmac-sha256"] == "***" and "c2ln" not in shown.text
    (step,) = event["steps"]
    assert (step["step_key"], step["outcome"], step["status_code"]) == ("create_order", "failed", 422)
    assert viewer("GET", "/events/999999").status_code == 404
    assert viewer("GET", "/events", params={"workflow": SHOPIFY_DAG, "dag_run_id": "drain__2__x"}).json() == []
    assert viewer("GET", "/events", params={"since": "1h"}).json()[0]["id"] == event_id
    assert viewer("GET", "/events", params={"since": "yesterday"}).status_code == 422
    assert viewer("GET", "/events", params={"status": "lost"}).status_code == 422


def test_replay_of_a_failed_event_wakes_its_workflow(editor: Client, harness: Harness) -> None:
    event_id = failed_event(harness.db_url)
    replayed = editor("POST", f"/events/{event_id}/replay")
    assert replayed.status_code == 200, replayed.text
    answer = replayed.json()
    assert answer["dag_id"] == SHOPIFY_DAG and answer["wake"]["woken"] is True
    (request,) = harness.fake.requests
    assert request.dag_id == SHOPIFY_DAG and request.body["conf"] == {"woken_by_event": event_id}
    assert answer["wake"]["run_id"] == request.body["dag_run_id"]
    assert harness.event(event_id).status is EventStatus.RECEIVED
    assert editor("POST", "/events/999999/replay").status_code == 404


def test_an_event_a_run_holds_is_not_replayed(editor: Client, harness: Harness) -> None:
    event_id = failed_event(harness.db_url)
    with session_scope(harness.db_url) as session:
        session.get_one(Event, event_id).status = EventStatus.RUNNING
    held = editor("POST", f"/events/{event_id}/replay")
    assert held.status_code == 409 and "being processed" in held.json()["detail"]


def test_bulk_replay_dry_run_then_replay_leaving_unknown_outcomes_out(editor: Client, harness: Harness) -> None:
    plain = failed_event(harness.db_url, "webhook-1")
    unknown = failed_event(harness.db_url, "webhook-2", "OutcomeUnknownError: timed out after sending")
    body = {"workflow": SHOPIFY_DAG, "since": "1h"}
    dry = editor("POST", "/events/replay", json={**body, "dry_run": True}).json()
    assert (dry["replayed"], dry["left_out"], dry["wake"]) == ([plain], [unknown], None)
    assert {e["id"] for e in dry["failed"]} == {plain, unknown} and harness.fake.requests == []
    done = editor("POST", "/events/replay", json=body).json()
    assert done["replayed"] == [plain] and done["wake"]["woken"] is True
    assert harness.event(unknown).status is EventStatus.FAILED
    everything = editor("POST", "/events/replay", json={**body, "include_unknown_outcomes": True}).json()
    assert everything["replayed"] == [unknown]
    assert editor("POST", "/events/replay", json={**body, "since": "later"}).status_code == 422
    assert editor("POST", "/events/replay", json={**body, "workflow": "wf.demo.none"}).status_code == 404


# -- its description ------------------------------------------------------------------------------------------------


def test_the_api_describes_itself_with_airflows_security(viewer: Client) -> None:
    schema = viewer("GET", "/openapi.json").json()
    assert schema["servers"] == [{"url": "/integrations/api/v1"}]
    paths = schema["paths"]
    assert {"/apps", "/apps/{app}/{version}", "/apps/validate", "/workflows", "/workflows/{workflow}",
            "/workflows/validate", "/workflows/{workflow}/enable", "/workflows/{workflow}/disable",
            "/workflows/{workflow}/upgrade", "/workflows/{workflow}/rollback", "/events", "/events/{event_id}",
            "/events/{event_id}/replay", "/events/replay", "/status"} <= set(paths)  # fmt: skip
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("security"), f"{method.upper()} {path} has no security"
    assert "422" in paths["/workflows"]["post"]["responses"]
    docs = viewer("GET", "/docs")
    assert docs.status_code == 200 and "/integrations/api/v1/openapi.json" in docs.text


# -- dry run --------------------------------------------------------------------------------------------------------

PACKED = {"externalShipmentID": "SHP-7", "customerOrderNumber": "1001", "status": "packed", "trackingID": "AWB-1",
          "courierName": "Delhivery"}  # fmt: skip


def test_a_viewer_dry_runs_a_draft_on_a_sample_and_sees_no_credential(viewer: Client) -> None:
    text = (ROOT / "include" / "workflows" / "eshopbox_packed_to_shopify_fulfillment.yaml").read_text()
    body = {"yaml": text, "allow_missing_connections": True, "sample": PACKED}
    ran = viewer("POST", "/workflows/dry-run", json=body)
    assert ran.status_code == 200, ran.text
    report = ran.json()
    assert report["would_run"] is True and report["sample"] == {"source": "given", "payload": PACKED}
    condition = {"field": "status", "operator": "equals", "value": "packed", "holds": True, "actual": "packed",
                 "missing": False}  # fmt: skip
    assert report["conditions"]["all"] == [condition]
    search, action = report["steps"]
    shop = "https://demo.myshopify.com/admin/api/2024-10"
    assert search["request"]["url"] == f"{shop}/orders/1001/fulfillment_orders.json"
    assert search["request"]["headers"] == {}
    assert action["pending"].startswith("needs the output of step fulfillment_order")
    assert "shpat_access_token_abc" not in ran.text and "X-Shopify-Access-Token" not in ran.text
    filtered = viewer("POST", "/workflows/dry-run", json={**body, "sample": {**PACKED, "status": "dispatched"}}).json()
    assert filtered["would_run"] is False and filtered["steps"][0]["request"] == search["request"]


def test_a_stored_workflow_is_dry_run_on_its_newest_event(viewer: Client, harness: Harness) -> None:
    declared = viewer("POST", f"/workflows/{SHOPIFY_DAG}/dry-run")  # no event yet: the trigger's declared sample
    assert declared.status_code == 200, declared.text
    assert declared.json()["sample"]["source"] == "declared"
    nothing = viewer("POST", "/workflows/wf.demo.delhivery_delivered_to_eshopbox/dry-run")  # it declares none
    assert nothing.status_code == 422, nothing.text
    assert nothing.json()["problems"][0]["path"] == "sample"
    assert nothing.json()["detail"].startswith("no sample event: ")
    event_id = failed_event(harness.db_url)  # payload {"id": 77, "name": "#1077"}
    ran = viewer("POST", f"/workflows/{SHOPIFY_DAG}/dry-run")
    assert ran.status_code == 200, ran.text
    assert ran.json()["sample"] == {"source": f"event {event_id}", "payload": {"id": 77, "name": "#1077"}}
    (step,) = ran.json()["steps"]
    assert step["request"] is None and "created_at" in step["error"]  # the sample lacks what the mapping reads
    by_reference = viewer("POST", "/workflows/dry-run", json={"workflow": SHOPIFY_DAG, "sample": {"id": 5}})
    assert by_reference.status_code == 200 and by_reference.json()["sample"]["source"] == "given"


def test_a_dry_run_of_an_invalid_draft_or_an_unknown_workflow_is_refused(viewer: Client) -> None:
    bad = shopify_definition(colour="blue")
    refused = viewer("POST", "/workflows/dry-run", json={"definition": bad, "allow_missing_connections": True,
                                                          "sample": {"id": 1}})  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert [p["path"] for p in refused.json()["problems"]] == ["colour"]
    assert viewer("POST", "/workflows/wf.demo.nothing/dry-run", json={"sample": {}}).status_code == 404
    assert viewer("POST", "/workflows/dry-run", json={"workflow": "wf.demo.nothing"}).status_code == 404


# -- app-version environments ---------------------------------------------------------------------------------------

VAULT_SECRET = "vk_live_5e4d3c2b1a"


@pytest.fixture
def vault(start_receiver, fake_airflow, tmp_path: Path, airflow_metadata_db: None) -> Client:
    """The API over a catalog with the vault app's two versions (one with a secret), their Variables cleared (the
    metadata database is this process's), as an admin (writing an environment needs variable edit access)."""
    from airflow.models import Variable

    for version in ("1_0_0", "2_0_0"):
        Variable.delete(f"integrations_env__vault__{version}")
    folder = tmp_path / "apps" / "vault"
    folder.mkdir(parents=True)
    (folder / "1.0.0.yaml").write_text(
        environment_app("1.0.0", "  LEGACY_FLAG: {type: boolean}", "vault", "SIGNING_KEY")
    )
    (folder / "2.0.0.yaml").write_text(environment_app("2.0.0", key="vault", secret="SIGNING_KEY"))
    catalog = Catalog.load([BUILTIN_APPS, tmp_path / "apps"])
    return Client(start_receiver(fake_airflow, mounted=True, dispatch=False, catalog=catalog), "admin")


def stored_environment(version: str) -> dict[str, Any] | None:
    from airflow.models import Variable

    raw = Variable.get(f"integrations_env__vault__{version.replace('.', '_')}", default_var=None)
    return None if raw is None else json.loads(raw)


def test_an_admin_shows_sets_and_copies_an_environment_and_never_sees_a_secret(vault: Client) -> None:
    answers: list[requests.Response] = []
    empty = vault("GET", "/apps/vault/1.0.0/environment")
    assert empty.status_code == 200, empty.text
    assert [(v["name"], v["is_set"], v["default"]) for v in empty.json()] == [
        ("BASE_URL", False, None), ("SIGNING_KEY", False, None), ("PAGE_SIZE", False, 50),
        ("LEGACY_FLAG", False, None)]  # fmt: skip

    values = {"BASE_URL": "https://beta.vault.test", "SIGNING_KEY": VAULT_SECRET, "PAGE_SIZE": "100"}
    answers.append(vault("PUT", "/apps/vault/1.0.0/environment", json={"values": {**values, "LEGACY_FLAG": True}}))
    assert answers[-1].status_code == 200, answers[-1].text
    after = {v["name"]: v for v in answers[-1].json()}
    assert after["PAGE_SIZE"]["value"] == 100 and after["LEGACY_FLAG"]["value"] is True
    assert (after["SIGNING_KEY"]["is_set"], after["SIGNING_KEY"]["value"], after["SIGNING_KEY"]["secret"]) == (
        True, None, True)  # fmt: skip
    assert stored_environment("1.0.0") == {**values, "PAGE_SIZE": 100, "LEGACY_FLAG": True}

    # the studio's form sends back what it was shown: the secret as *** keeps it
    form = {v["name"]: "***" if v["secret"] else v["value"] for v in after.values()}
    answers.append(vault("PUT", "/apps/vault/1.0.0/environment", json={"values": {**form, "PAGE_SIZE": 20}}))
    assert answers[-1].status_code == 200, answers[-1].text
    assert stored_environment("1.0.0") == {**values, "PAGE_SIZE": 20, "LEGACY_FLAG": True}
    answers.append(vault("GET", "/apps/vault/1.0.0/environment"))

    answers.append(vault("POST", "/apps/vault/2.0.0/environment/copy", json={"from_version": "1.0.0"}))
    assert answers[-1].status_code == 200, answers[-1].text
    assert answers[-1].json() == {"copied": ["BASE_URL", "PAGE_SIZE", "SIGNING_KEY"], "skipped": ["LEGACY_FLAG"]}
    assert stored_environment("2.0.0") == {**values, "PAGE_SIZE": 20}
    answers.append(vault("GET", "/apps/vault/2.0.0/environment"))
    assert {v["name"]: v["value"] for v in answers[-1].json()}["SIGNING_KEY"] is None
    assert all(VAULT_SECRET not in answer.text for answer in answers)


def test_an_environment_is_refused_with_its_problems_and_an_unknown_version_is_not_found(vault: Client) -> None:
    refused = vault("PUT", "/apps/vault/2.0.0/environment", json={"values": {"PAGE_SIZ": 1, "PAGE_SIZE": "lots",
                                                                             "SIGNING_KEY": VAULT_SECRET}})  # fmt: skip
    assert refused.status_code == 422, refused.text
    problems = {p["path"]: p["message"] for p in refused.json()["problems"]}
    assert problems == {
        "environment.PAGE_SIZ": "not declared by vault@2.0.0 (declared: BASE_URL, PAGE_SIZE, SIGNING_KEY)",
        "environment.PAGE_SIZE": "'lots' is not of type integer",
    }
    assert "declares no PAGE_SIZ" in refused.json()["detail"] and VAULT_SECRET not in refused.text
    assert stored_environment("2.0.0") is None
    assert vault("GET", "/apps/vault/9.9.9/environment").status_code == 404
    assert vault("PUT", "/apps/vault/9.9.9/environment", json={"values": {}}).status_code == 404
    missing = vault("POST", "/apps/vault/2.0.0/environment/copy", json={"from_version": "0.1.0"})
    assert missing.status_code == 404 and "0.1.0" in missing.json()["detail"]
    assert stored_environment("2.0.0") is None
