"""The registry database: workflows and their steps, the events inbox, the action log, stored tokens."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from connectors.registry.dag_ids import dag_id_for


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: DateTime(timezone=True)}


class Workflow(Base):
    """One client's workflow: trigger, conditions, ordered steps. One enabled row is one DAG."""

    __tablename__ = "workflows"
    __table_args__ = (UniqueConstraint("client", "key", name="uq_workflows_client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    trigger_app: Mapped[str] = mapped_column(String(100))
    trigger_version: Mapped[str] = mapped_column(String(40))
    trigger_connection: Mapped[str] = mapped_column(String(250))
    trigger_key: Mapped[str] = mapped_column(String(100))
    trigger_parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    schedule: Mapped[str | None] = mapped_column(String(100))
    start_date: Mapped[dt.datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    previous_definition: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # before the last upgrade, for rollback
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    steps: Mapped[list[WorkflowStep]] = relationship(
        back_populates="workflow", order_by="WorkflowStep.position", cascade="all, delete-orphan"
    )

    @property
    def dag_id(self) -> str:
        return dag_id_for(self.client, self.key)


class WorkflowStep(Base):
    """One step: an action (optionally searching first) or a search whose result later steps use."""

    __tablename__ = "workflow_steps"
    __table_args__ = (UniqueConstraint("workflow_id", "key", name="uq_workflow_steps_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(100))
    app: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    connection: Mapped[str] = mapped_column(String(250))
    kind: Mapped[str] = mapped_column(String(10))  # action | search
    operation: Mapped[str] = mapped_column(String(100))  # the action or search key
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)

    workflow: Mapped[Workflow] = relationship(back_populates="steps")


class EventStatus(enum.StrEnum):
    """`received` waits for a run (again, after a retryable failure, from `not_before`); `running` is claimed by
    one run under a lease; `done`, `filtered` and `failed` are final (a failed event can be replayed)."""

    RECEIVED = "received"
    RUNNING = "running"
    DONE = "done"
    FILTERED = "filtered"
    FAILED = "failed"


class Event(Base):
    """The inbox: one trigger occurrence, stored before it is acknowledged. `id` is the event id; `dedupe_key`
    identifies the occurrence within its workflow (the app's delivery id, or a polled record's id and version)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("workflow_id", "dedupe_key", name="uq_events_dedupe"),
        Index("ix_events_queue", "workflow_id", "status", "id"),
        Index("ix_events_dag_run_id", "dag_run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(250))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[EventStatus] = mapped_column(
        Enum(EventStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=EventStatus.RECEIVED,
        index=True,
    )
    dag_run_id: Mapped[str | None] = mapped_column(String(250))  # the run that claimed it last
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far
    not_before: Mapped[dt.datetime | None]  # a retryable failure waits until then
    lease_until: Mapped[dt.datetime | None]  # a `running` event whose lease ended is claimable again
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Drain(Base):
    """One DAG run draining a workflow's events, as the dispatcher needs to see it: started (it has begun
    claiming), alive (`heartbeat_at`), finished (it will claim no more), and what it did."""

    __tablename__ = "drains"

    dag_run_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    revision: Mapped[int | None]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StoredRateBudget(Base):
    """A request-rate budget shared by every process calling one (app, connection): the theoretical
    arrival time of the next request (GCRA), in epoch seconds. A GraphQL cost budget (key `<app>/<connection>/cost`)
    also keeps the bucket's size and restore rate (points per second) the app last reported; NULL until then."""

    __tablename__ = "rate_budgets"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float, default=0.0)
    maximum: Mapped[float | None] = mapped_column(Float)
    restore_rate: Mapped[float | None] = mapped_column(Float)


class Circuit(Base):
    """A circuit breaker per (app, connection): tripped when a call to the app failed after all its retries, no
    run calls the app before `open_until`; then one run probes (`probe_until`), and an answer closes it (deletes
    the row)."""

    __tablename__ = "circuits"

    app: Mapped[str] = mapped_column(String(100), primary_key=True)
    connection_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # trips in a row, for the backoff
    open_until: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # the first trip of this outage
    probe_until: Mapped[dt.datetime | None]  # half-open: one run probes, the others wait until then


class PushedValue(Base):
    """What an action with an `identity` last set through one connection, per identity (item and location):
    the same values are not sent again. Keyed by app, not version: a store holds one level whatever version
    set it."""

    __tablename__ = "pushed_values"

    app: Mapped[str] = mapped_column(String(100), primary_key=True)
    connection_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    action: Mapped[str] = mapped_column(String(100), primary_key=True)
    identity: Mapped[str] = mapped_column(String(500), primary_key=True)
    value: Mapped[dict[str, Any]]
    workflow_id: Mapped[int | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(500))
    pushed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ResolvedValue(Base):
    """A value an app's search found for a key (an item id for a SKU), per connection, so each key is searched
    once; forgotten when the app later calls it unknown."""

    __tablename__ = "resolved_values"

    app: Mapped[str] = mapped_column(String(100), primary_key=True)
    connection_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    search: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    value: Mapped[dict[str, Any]]  # {"value": ...}: any JSON value
    resolved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ActionOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FOUND = "found"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class ActionLogEntry(Base):
    """One row per (workflow, dedupe key, step): the outcome and the response; the basis of idempotency."""

    __tablename__ = "action_log"
    __table_args__ = (UniqueConstraint("workflow_id", "dedupe_key", "step_key", name="uq_action_log_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(250))  # the event's, so a re-delivered occurrence is skipped
    step_key: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[ActionOutcome] = mapped_column(
        Enum(ActionOutcome, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status_code: Mapped[int | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StoredToken(Base):
    """Obtained OAuth2/session tokens per (app version, connection), Fernet-encrypted."""

    __tablename__ = "tokens"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
