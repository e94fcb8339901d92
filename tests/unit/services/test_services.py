"""The service layer on its own (no click, no HTTP): typed answers, one error type with problems and their paths."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select

from connectors.registry.action_log import record_step
from connectors.registry.db import session_scope
from connectors.registry.inbox import NewEvent, store_events
from connectors.registry.models import ActionOutcome, Event, EventStatus, Workflow
from connectors.services import Problem, ServiceError, apps, events, status, workflows
from connectors.services.events import WakeResult
from connectors.spec import Catalog
from tests.unit.registry.test_registry import LEGACY_STOCK, apply_workflow_files

ROOT = Path(__file__).resolve().parents[3]
SHOPIFY_ORDER = ROOT / "include" / "workflows" / "shopify_order_to_eshopbox.yaml"
SHOPIFY_DAG = "wf.demo.shopify_order_to_eshopbox"


def definition(path: Path = SHOPIFY_ORDER) -> dict:
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text()), default=str))


class Wakes:
    def __init__(self, woken: bool = True) -> None:
        self.calls: list[tuple[str, int, str]] = []
        self.woken = woken

    def __call__(self, dag_id: str, event_id: int, note: str) -> WakeResult:
        self.calls.append((dag_id, event_id, note))
        return WakeResult(f"drain__{event_id}__x", self.woken, "triggered: ok" if self.woken else "unavailable: down")


# -- apps ---------------------------------------------------------------------------------------------------------


def test_apps_are_listed_and_shown_with_their_sections(catalog: Catalog) -> None:
    listed = apps.list_apps(catalog)
    assert {"shopify@1.0.0", "shopify@2.0.0", "eshopbox@1.0.0"} <= {app.ref for app in listed}
    shown = apps.show_app(catalog, "shopify@1.0.0")
    assert shown.auth_type and "order_created" in {item.key for item in shown.sections["triggers"]}
    assert shown.definition["app"]["key"] == "shopify"
    with pytest.raises(ServiceError) as unknown:
        apps.show_app(catalog, "nosuchapp")
    assert unknown.value.kind == "not_found" and "unknown app 'nosuchapp'" in unknown.value.message


def test_a_draft_app_is_validated_from_yaml_with_lines_and_from_an_object_with_paths() -> None:
    text = (ROOT / "connectors" / "apps" / "shopify" / "1.0.0.yaml").read_text()
    assert apps.validate_app_draft(yaml_text=text).valid
    broken = text.replace("\nauth:", "\nauthentication:", 1)
    checked = apps.validate_app_draft(yaml_text=broken)
    assert not checked.valid
    paths = {problem.path: problem for problem in checked.problems}
    assert "authentication" in paths and paths["authentication"].line is not None
    as_object = YAML(typ="safe").load(broken)
    from_json = apps.validate_app_draft(definition=json.loads(json.dumps(as_object, default=str)))
    assert {p.path for p in from_json.problems} == set(paths)
    assert all(p.line is None and p.file == "<request>" for p in from_json.problems)
    assert apps.validate_app_draft(yaml_text="- a list").problems[0].message.startswith("the document must be")


def test_app_files_are_validated_like_the_command_line() -> None:
    checked = apps.validate_app_files([ROOT / "connectors" / "apps" / "shopify"])
    assert checked.valid and checked.checked == 3


# -- workflows ----------------------------------------------------------------------------------------------------


def test_a_workflow_object_gets_the_problems_a_file_gets_with_their_paths(catalog: Catalog) -> None:
    good = definition()
    assert workflows.validate_workflow_definition(catalog, good)[1] == []
    bad = definition()
    bad["steps"][0]["inputs"]["no_such_input"] = "x"
    bad["trigger"]["app"] = "shopify@9.9.9"
    _, problems = workflows.validate_workflow_definition(catalog, bad)
    assert {p.path for p in problems} >= {"trigger.app", "steps[0].inputs.no_such_input"}
    assert all(isinstance(p, Problem) and p.line is None for p in problems)
    missing = {k: v for k, v in good.items() if k != "trigger"}
    _, problems = workflows.validate_workflow_definition(catalog, missing)
    assert [(p.path, p.message) for p in problems] == [("trigger", "required key 'trigger' is missing")]


def test_yaml_text_keeps_lines(catalog: Catalog) -> None:
    text = SHOPIFY_ORDER.read_text().replace("app: shopify@1.0.0", "app: shopify@9.9.9")
    _, problems = workflows.validate_workflow_definition(catalog, yaml_text=text)
    (problem,) = problems
    assert problem.path == "trigger.app" and problem.line == 7


def test_apply_creates_updates_and_refuses_all_or_nothing(sessions, catalog: Catalog) -> None:
    new = {**definition(), "key": "second_order_flow"}
    created = workflows.apply_workflow_definition(sessions, catalog, new)
    assert [(a.change, a.dag_id) for a in created.applied] == [("created", "wf.demo.second_order_flow")]
    again = workflows.apply_workflow_definition(sessions, catalog, new)
    assert again.applied[0].change == "unchanged"
    bad = {**new, "steps": [{**new["steps"][0], "action": "no_such_action"}]}
    with pytest.raises(ServiceError) as refused:
        workflows.apply_workflow_definition(sessions, catalog, bad)
    assert refused.value.kind == "invalid" and refused.value.message.startswith("nothing applied: ")
    assert any(p.path.startswith("steps[0]") for p in refused.value.problems)


def test_connection_checks_reach_the_service(sessions, catalog: Catalog) -> None:
    types = {"demo_shopify": "integrations_shopify", "demo_eshopbox": "integrations_shopify"}
    _, problems = workflows.validate_workflow_definition(catalog, definition(), connection_types=types.get)
    assert [p.path for p in problems] == ["steps[0].connection"]


def test_life_cycle_enable_disable_delete(sessions) -> None:
    assert not workflows.set_enabled(sessions, SHOPIFY_DAG, False).enabled
    assert workflows.show_workflow(sessions, SHOPIFY_DAG).enabled is False
    assert workflows.set_enabled(sessions, "demo/shopify_order_to_eshopbox", True).enabled
    deleted = workflows.delete_workflow(sessions, SHOPIFY_DAG)
    assert deleted.dag_id == SHOPIFY_DAG
    with pytest.raises(ServiceError) as gone:
        workflows.show_workflow(sessions, SHOPIFY_DAG)
    assert gone.value.kind == "not_found"


def test_upgrade_dry_run_then_upgrade_then_rollback(sessions, catalog: Catalog, sqlite_registry: str) -> None:
    apply_workflow_files(sqlite_registry, [LEGACY_STOCK])
    ref = "demo/eshopbox_stock_to_shopify_rest"
    dry = workflows.upgrade_workflows(sessions, catalog, "shopify@2.0.0", reference=ref, dry_run=True)
    assert dry.ok and not dry.applied and "input renamed available -> quantity" in " ".join(dry.outcomes[0].changes)
    assert workflows.show_workflow(sessions, ref).revision == 1
    done = workflows.upgrade_workflows(sessions, catalog, "shopify@2.0.0", reference=ref)
    assert done.applied and done.outcomes[0].revision == 2
    back = workflows.rollback_workflow(sessions, ref)
    assert "shopify@1.0.0" in back.pins
    with pytest.raises(ServiceError, match="unknown version '9.0.0' of app 'shopify'"):
        workflows.upgrade_workflows(sessions, catalog, "shopify@9.0.0", reference=ref)
    with pytest.raises(ServiceError) as neither:
        workflows.upgrade_workflows(sessions, catalog, "shopify@2.0.0")
    assert neither.value.kind == "invalid"


def test_rollback_without_an_upgrade_is_a_conflict(sessions) -> None:
    with pytest.raises(ServiceError) as nothing:
        workflows.rollback_workflow(sessions, SHOPIFY_DAG)
    assert nothing.value.kind == "conflict"


# -- events -------------------------------------------------------------------------------------------------------


def store_failed(url: str, key: str, error: str = "PermanentError: refused", headers: dict | None = None) -> int:
    with session_scope(url) as session:
        workflow = session.scalar(select(Workflow).where(Workflow.key == "shopify_order_to_eshopbox"))
        assert workflow is not None
        payload = json.dumps({"id": 77, "name": "#1077"}).encode()
        (stored,) = store_events(session.connection(), [NewEvent(workflow.id, key, payload, headers or {})])
        record_step(session, workflow.id, key, "create_order", ActionOutcome.FAILED, status_code=422, error=error)
        event = session.get_one(Event, stored.event_id)
        event.status, event.error, event.attempts = EventStatus.FAILED, error, 3
        return event.id


def test_events_are_listed_filtered_and_shown_without_secret_headers(sessions, sqlite_registry: str) -> None:
    headers = {"x-shopify-topic": "orders/create", "x-shopify-hmac-sha256": "c2lnbmF0dXJl"}
    event_id = store_failed(sqlite_registry, "webhook-77", headers=headers)
    (listed,) = events.list_events(sessions, workflow=SHOPIFY_DAG, status="failed")
    assert (listed.id, listed.status, listed.dag_id) == (event_id, "failed", SHOPIFY_DAG)
    assert events.list_events(sessions, status="done") == []
    assert events.list_events(sessions, since=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)) == []
    shown = events.show_event(sessions, event_id)
    assert shown.payload == {"id": 77, "name": "#1077"}
    assert shown.headers == {"x-shopify-topic": "orders/create", "x-shopify-hmac-sha256": "***"}
    assert [(s.step_key, s.outcome, s.status_code) for s in shown.steps] == [("create_order", "failed", 422)]
    with pytest.raises(ServiceError) as bad_status:
        events.list_events(sessions, status="lost")
    assert bad_status.value.kind == "invalid"


def test_replay_of_a_failed_event_requeues_and_wakes(sessions, sqlite_registry: str) -> None:
    event_id = store_failed(sqlite_registry, "webhook-78")
    wakes = Wakes()
    done = events.replay_event(sessions, event_id, wakes)
    assert done.wake is not None and done.wake.woken and wakes.calls[0][:2] == (SHOPIFY_DAG, event_id)
    assert events.show_event(sessions, event_id).status == "received"
    with pytest.raises(ServiceError) as missing:
        events.replay_event(sessions, 999999, wakes)
    assert missing.value.kind == "not_found"


def test_bulk_replay_leaves_unknown_outcomes_out_and_dry_run_changes_nothing(sessions, sqlite_registry: str) -> None:
    plain = store_failed(sqlite_registry, "webhook-1")
    unknown = store_failed(sqlite_registry, "webhook-2", error="OutcomeUnknownError: timed out after sending")
    since = events.received_since("1h")
    wakes = Wakes()
    dry = events.replay_failed_events(sessions, SHOPIFY_DAG, since, wakes, dry_run=True)
    assert (dry.replayed, dry.left_out, wakes.calls) == ([plain], [unknown], [])
    assert events.show_event(sessions, plain).status == "failed"
    done = events.replay_failed_events(sessions, SHOPIFY_DAG, since, wakes)
    assert done.replayed == [plain] and done.wake is not None and len(wakes.calls) == 1
    assert events.show_event(sessions, unknown).status == "failed"


def test_since_is_an_iso_time_or_a_duration() -> None:
    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    assert events.received_since("2h", now) == dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)
    assert events.received_since("2026-11-30T13:00+05:30") == dt.datetime(2026, 11, 30, 7, 30, tzinfo=dt.UTC)
    with pytest.raises(ServiceError, match="invalid --since"):
        events.received_since("yesterday")


# -- status -------------------------------------------------------------------------------------------------------


def test_status_is_the_health_reading_typed() -> None:
    reading = {"status": "degraded", "problems": ["Airflow scheduler is unhealthy"], "warnings": [],
               "airflow": {"scheduler": {"status": "unhealthy"}}, "inbox": None, "circuits": []}  # fmt: skip
    shown = status.platform_status(lambda: reading)
    assert not shown.ok and shown.as_dict() == reading
