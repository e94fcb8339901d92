"""The registry on SQLite and on PostgreSQL: schema, inbox dedupe, action log, token store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import inspect, select

from connectors.registry.action_log import logged_step, record_step
from connectors.registry.db import get_engine, session_scope
from connectors.registry.inbox import EventOutcome, NewEvent, finish_events, pending_events, store_events
from connectors.registry.models import ActionOutcome, Event, EventStatus, StoredToken, Workflow
from connectors.registry.tokens import DatabaseTokenStore
from connectors.runtime.auth.token_store import TokenSet
from connectors.spec import Catalog
from connectors.workflows.store import apply_workflows, load_workflow_files

WORKFLOWS = Path(__file__).resolve().parents[3] / "include" / "workflows"
FIXTURE_WORKFLOWS = Path(__file__).resolve().parents[2] / "fixtures" / "workflows"
# the stock workflow as it was on shopify@1.0.0 (REST, `sku_map`): the example of upgrading 1.x -> 2.x -> 3.x
LEGACY_STOCK = FIXTURE_WORKFLOWS / "eshopbox_stock_to_shopify_rest.yaml"


def apply_workflow_files(url: str, paths: Iterable[Path]) -> dict[str, int]:
    """Validate and apply workflow files to the registry at `url`; the ids of every stored workflow by key."""
    specs = load_workflow_files(sorted(paths), Catalog.load())
    with session_scope(url) as session:
        apply_workflows(session, specs)
        return {row.key: row.id for row in session.scalars(select(Workflow))}


def apply_seed_workflows(url: str) -> dict[str, int]:
    return apply_workflow_files(url, WORKFLOWS.glob("*.yaml"))


def test_migration_creates_every_table(registry_url: str) -> None:
    tables = set(inspect(get_engine(registry_url)).get_table_names())
    assert {"workflows", "workflow_steps", "events", "action_log", "tokens", "alembic_version"} <= tables


def test_applying_twice_keeps_one_row_and_revision(registry_url: str) -> None:
    first = apply_seed_workflows(registry_url)
    second = apply_seed_workflows(registry_url)
    assert first == second and len(first) == len(list(WORKFLOWS.glob("*.yaml")))
    with session_scope(registry_url) as session:
        row = session.get_one(Workflow, first["eshopbox_packed_to_shopify_fulfillment"])
        assert row.revision == 1
        assert [step.key for step in row.steps] == ["fulfillment_order", "fulfillment"]
        assert row.dag_id == "wf.demo.eshopbox_packed_to_shopify_fulfillment"


def test_inbox_dedupes_per_workflow(registry_url: str) -> None:
    ids = apply_seed_workflows(registry_url)
    packed, delivered = ids["eshopbox_packed_to_shopify_fulfillment"], ids["eshopbox_delivered_to_shopify_event"]
    with session_scope(registry_url) as session:
        first, again, other = store_events(
            session.connection(),
            [
                NewEvent(packed, "SHP1:packed:t1", b"{}", {"x-topic": "shipment"}),
                NewEvent(packed, "SHP1:packed:t1", b"{}"),
                NewEvent(delivered, "SHP1:packed:t1", b"{}"),
            ],
        )
        (later,) = store_events(session.connection(), [NewEvent(packed, "SHP1:packed:t1", b"{}")])
    assert first.new and not again.new and other.new and not later.new
    assert again.event_id == first.event_id == later.event_id != other.event_id
    with session_scope(registry_url) as session:
        assert pending_events(session, packed, ["SHP1:packed:t1"]) == {"SHP1:packed:t1": first.event_id}
        finish_events(session.connection(), [EventOutcome(first.event_id, EventStatus.DONE)])
    with session_scope(registry_url) as session:
        assert pending_events(session, packed, ["SHP1:packed:t1"]) == {}
        assert session.get_one(Event, first.event_id).status is EventStatus.DONE


def test_action_log_keeps_one_row_per_step_and_counts_attempts(registry_url: str) -> None:
    workflow = apply_seed_workflows(registry_url)["shopify_order_to_eshopbox"]
    with session_scope(registry_url) as session:
        record_step(session, workflow, "evt-1", "create_order", ActionOutcome.FAILED, status_code=503, error="down")
    with session_scope(registry_url) as session:
        record_step(session, workflow, "evt-1", "create_order", ActionOutcome.SUCCEEDED, result={"id": 7})
    with session_scope(registry_url) as session:
        entry = logged_step(session, workflow, "evt-1", "create_order")
        assert entry is not None
        assert (entry.outcome, entry.attempts, entry.result, entry.error) == (
            ActionOutcome.SUCCEEDED,
            2,
            {"value": {"id": 7}},
            None,
        )


def test_a_step_logged_done_is_not_undone_by_a_late_failure(registry_url: str) -> None:
    workflow = apply_seed_workflows(registry_url)["shopify_order_to_eshopbox"]
    with session_scope(registry_url) as session:
        record_step(session, workflow, "evt-1", "create_order", ActionOutcome.SUCCEEDED, result={"id": 7})
    with session_scope(registry_url) as session:  # a second sender of the same step fails afterwards
        record_step(session, workflow, "evt-1", "create_order", ActionOutcome.FAILED, status_code=503, error="down")
    with session_scope(registry_url) as session:
        entry = logged_step(session, workflow, "evt-1", "create_order")
        assert entry is not None and (entry.outcome, entry.result) == (ActionOutcome.SUCCEEDED, {"value": {"id": 7}})


def test_token_store_encrypts_and_serialises_refreshes(registry_url: str) -> None:
    key = Fernet.generate_key()
    store = DatabaseTokenStore(key, registry_url)
    order: list[str] = []

    def refresh(name: str) -> None:
        with store.lock("shopify@1.0.0:acme"):
            order.append(f"{name}-in")
            time.sleep(0.2)
            store.save("shopify@1.0.0:acme", TokenSet(f"access-{name}", refresh_token=f"refresh-{name}"))
            order.append(f"{name}-out")

    threads = [threading.Thread(target=refresh, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])
    loaded = store.load("shopify@1.0.0:acme")
    assert loaded is not None and loaded.access_token == f"access-{order[-1][0]}"
    with session_scope(registry_url) as session:
        ciphertext = session.get_one(StoredToken, "shopify@1.0.0:acme").ciphertext
    assert ciphertext is not None and b"access-" not in ciphertext and b"refresh-" not in ciphertext


def test_token_store_serialises_across_processes_through_the_database(registry_url: str) -> None:
    key = Fernet.generate_key()
    one, two = DatabaseTokenStore(key, registry_url), DatabaseTokenStore(key, registry_url)
    entered = threading.Event()
    released = threading.Event()

    def hold() -> None:
        with one.lock("k"):
            entered.set()
            released.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    started = time.monotonic()
    threading.Timer(0.5, released.set).start()
    with two.lock("k"):  # a different store object: only the database lock can make it wait
        waited = time.monotonic() - started
    holder.join()
    assert waited >= 0.4


def test_migration_0003_keeps_the_inbox_and_the_action_log(registry_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from connectors.registry.db import alembic_config, migrate

    apply_seed_workflows(registry_url)
    command.downgrade(alembic_config(registry_url), "0002")  # the per-event design, an event in each of its statuses
    engine = get_engine(registry_url)
    with engine.begin() as connection:
        workflow = connection.execute(text("SELECT min(id) FROM workflows")).scalar_one()
        for key, status in [("a", "triggered"), ("b", "succeeded"), ("c", "running"), ("d", "failed")]:
            connection.execute(
                text(
                    "INSERT INTO events (workflow_id, dedupe_key, payload, headers, received_at, status, "
                    "updated_at) VALUES (:w, :k, :p, '{}', :t, :s, :t)"
                ),  # fmt: skip
                {"w": workflow, "k": key, "p": b"{}", "t": "2026-11-30 10:00:00", "s": status},
            )
        connection.execute(
            text(
                "INSERT INTO action_log (workflow_id, event_key, step_key, outcome, attempts, created_at, "
                "updated_at) VALUES (:w, 'b', 'create_order', 'failed', 1, :t, :t)"
            ),  # fmt: skip
            {"w": workflow, "t": "2026-11-30 10:00:00"},
        )
    migrate(registry_url)
    with session_scope(registry_url) as session:
        statuses = dict(session.execute(select(Event.dedupe_key, Event.status)).all())
        assert statuses == {"a": "received", "b": "done", "c": "received", "d": "failed"}
        record_step(session, workflow, "b", "create_order", ActionOutcome.SUCCEEDED, result={"id": 1})
    with session_scope(registry_url) as session:  # the upsert found the row by its unique key: one row, 2 attempts
        entry = logged_step(session, workflow, "b", "create_order")
        assert entry is not None and entry.attempts == 2


def test_token_store_reads_rows_written_before_a_key_rotation(registry_url: str) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    DatabaseTokenStore(old, registry_url).save("k", TokenSet("access-1", refresh_token="refresh-1"))
    rotated = DatabaseTokenStore(f"{new},{old}", registry_url)  # Airflow's `new,old` key list
    loaded = rotated.load("k")
    assert loaded is not None and loaded.refresh_token == "refresh-1"
    rotated.save("k", loaded)  # rewritten under the new key
    after = DatabaseTokenStore(new, registry_url).load("k")
    assert after is not None and after.access_token == "access-1"
