"""A workflow whose step is a bulk action (e.g. Shopify `inventorySetQuantities`): a claimed batch of events is
pushed as items, many per request, each event ending with its own item's outcome.

Per batch: events whose step the action log has as done end `done` without a request; each event's inputs are
rendered; inputs the app finds itself (`resolve`) come from the registry's cache or, for keys not seen before, from
the app's search, many keys per call; with an `identity`, items whose values equal what was last pushed through the
connection end `filtered` (unchanged) unless the run reconciles; the rest go in requests of at most `max_items`.
Each request's outcomes are recorded (events, action log, pushed values) in one transaction before the next is
sent, so a run stopped halfway keeps what it pushed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from connectors.registry.action_log import LoggedStep, done_for, record_steps
from connectors.registry.circuits import ConnectionKey
from connectors.registry.inbox import ClaimedEvent, EventOutcome, finish_events
from connectors.registry.models import ActionOutcome, EventStatus, utcnow
from connectors.registry.sync_state import (
    Target,
    forget_resolved,
    pushed_values,
    record_pushed,
    remember_resolved,
    resolved_values,
)
from connectors.runtime.bulk import ItemOutcome, item_values, resolve_keys, run_bulk_action
from connectors.runtime.errors import HttpError, IntegrationError, OutcomeUnknownError
from connectors.runtime.http.client import AppClient
from connectors.runtime.keys import joined_key
from connectors.runtime.mapping import render_mapping
from connectors.runtime.templating import TemplateError
from connectors.spec import AppDefinitionError, Catalog
from connectors.spec.actions import ActionSpec
from connectors.workflows.circuit_breaker import BatchBreakers
from connectors.workflows.engine import ClientFactory, step_context
from connectors.workflows.spec import StepSpec, WorkflowSpec

log = logging.getLogger(__name__)


def bulk_action_of(spec: WorkflowSpec, catalog: Catalog) -> ActionSpec | None:
    """The bulk action a workflow's step runs, when it does (a bulk step is the workflow's only step)."""
    step = spec.steps[-1]
    if step.kind != "action":
        return None
    try:
        action = catalog.get(step.app).actions.get(step.operation)
    except (KeyError, AppDefinitionError):
        return None
    return action if action is not None and action.bulk is not None else None


@dataclass
class Item:
    event: ClaimedEvent
    inputs: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    identity: str | None = None
    cached: set[str] = field(default_factory=set)  # inputs whose value came from the resolve cache
    resent: bool = False


@dataclass
class PushTotals:
    """This run's items so far, for the progress lines."""

    pushed: int = 0
    unchanged: int = 0
    failed: int = 0
    requests: int = 0
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class GiveBack:
    """The app is down: these events go back untried until `until`."""

    events: list[ClaimedEvent]
    until: dt.datetime
    reason: str


@dataclass
class BulkBatch:
    """What the drain needs to push one batch."""

    engine: Engine
    spec: WorkflowSpec
    workflow_id: int
    dag_run_id: str
    clients: ClientFactory
    breakers: BatchBreakers
    backoff: Callable[[int, float | None], dt.timedelta]
    max_attempts: int
    reconcile: bool
    record: Callable[[EventOutcome], None]
    totals: PushTotals


def push_batch(run: BulkBatch, ready: Sequence[tuple[ClaimedEvent, Any]]) -> GiveBack | None:
    """Push the events that passed their conditions (event, trigger data); returns what must wait when the app
    failed."""
    step = run.spec.steps[-1]
    client = run.clients(step.app, step.connection)
    action = client.spec.actions[step.operation]
    assert action.bulk is not None
    target = Target(client.spec.app.key, step.connection)
    finished: list[tuple[EventOutcome, LoggedStep | None]] = []
    with run.engine.connect() as connection:
        done = done_for(connection, run.workflow_id, step.key, [event.dedupe_key for event, _ in ready])
    items: list[Item] = []
    for event, data in ready:
        if event.dedupe_key in done:
            finished.append((EventOutcome(event.id, EventStatus.DONE), None))
            continue
        try:
            items.append(Item(event, dict(render_mapping(step.inputs, step_context(run.spec, data, {})))))
        except TemplateError as exc:
            finished.append(_failed(event, f"TemplateError: {exc}"))
    try:
        items = _resolve(run, client, action, target, items, finished)
    except IntegrationError as exc:  # a search failed: nothing was written
        return _call_failed(run, step, items, len(items) if _permanent(exc) else 0, exc, finished)
    items = _checked(client, step, items, finished)
    items = _changed(run, action, target, items, finished)
    _save(run, step, target, finished, {})
    queue = list(items)
    while queue:
        chunk, queue = queue[: action.bulk.max_items], queue[action.bulk.max_items :]
        try:
            call = run_bulk_action(client, step.operation, [item.values for item in chunk])
        except IntegrationError as exc:
            if _permanent(exc):
                _call_failed(run, step, chunk, len(chunk), exc, finished)
                continue
            return _call_failed(run, step, chunk + queue, len(chunk), exc, finished)
        run.breakers.answered()
        pushed: dict[str, dict[str, Any]] = {}
        stale: list[Item] = []
        for item, outcome in zip(chunk, call.outcomes, strict=True):
            if outcome.error is None:
                finished.append(_done(item, outcome, call.request))
                if item.identity is not None:
                    pushed[item.identity] = _pushed_value(action, item.values)
            elif _is_stale(action, item, outcome):
                stale.append(item)
            else:
                finished.append(_item_failed(item, outcome))
        try:
            queue += _re_resolve(run, client, action, target, stale, finished)
        except IntegrationError as exc:  # searching again failed: those items end with both reasons
            finished += [_failed(item.event, f"the app no longer knows its id, and searching again failed: "
                                             f"{type(exc).__name__}: {exc}") for item in stale]  # fmt: skip
        run.totals.requests += call.requests
        _save(run, step, target, finished, pushed)
        _progress(step, len(chunk), call.requests, run.totals)
    return None


def _failed(event: ClaimedEvent, reason: str) -> tuple[EventOutcome, LoggedStep]:
    return EventOutcome(event.id, EventStatus.FAILED, reason), LoggedStep(
        event.dedupe_key, ActionOutcome.FAILED, error=reason
    )


def _done(item: Item, outcome: ItemOutcome, request: dict[str, Any]) -> tuple[EventOutcome, LoggedStep]:
    logged = LoggedStep(
        item.event.dedupe_key, ActionOutcome.SUCCEEDED, outcome.status_code, outcome.result,
        {**request, "item": item.values},
    )  # fmt: skip
    return EventOutcome(item.event.id, EventStatus.DONE), logged


def _item_failed(item: Item, outcome: ItemOutcome) -> tuple[EventOutcome, LoggedStep]:
    reason = f"the app refused this item: {outcome.error}" + (f" ({outcome.code})" if outcome.code else "")
    return EventOutcome(item.event.id, EventStatus.FAILED, reason), LoggedStep(
        item.event.dedupe_key, ActionOutcome.FAILED, outcome.status_code, error=reason
    )


def _resolve(
    run: BulkBatch, client: AppClient, action: ActionSpec, target: Target, items: list[Item], finished: list[Any]
) -> list[Item]:
    """Fill each input the app finds itself: from the cache, else from the app's search (found values cached).
    An item whose key the app does not know fails with that reason."""
    for name, resolve in action.resolve.items():
        wanting = [item for item in items if item.inputs.get(name) in (None, "")]
        wanted = {id(item) for item in wanting}
        keys = {str(item.inputs[resolve.key_input]) for item in wanting if item.inputs.get(resolve.key_input)}
        if not keys:
            continue
        with run.engine.connect() as connection:
            cached = resolved_values(connection, target, resolve.search, keys)
        found = resolve_keys(client, resolve, keys - set(cached)) if keys - set(cached) else {}
        if found:
            with run.engine.begin() as connection:
                remember_resolved(connection, target, resolve.search, found)
        kept = []
        for item in items:
            key = item.inputs.get(resolve.key_input)
            if id(item) not in wanted:
                kept.append(item)
            elif key in (None, "") or (str(key) not in cached and str(key) not in found):
                what = f"{resolve.key_input} {key!r}" if key not in (None, "") else f"no {resolve.key_input}"
                finished.append(_failed(item.event, f"{name}: the app has no item for {what} "
                                                    f"(search '{resolve.search}')"))  # fmt: skip
            else:
                item.inputs[name] = cached.get(str(key), found.get(str(key)))
                if str(key) in cached:
                    item.cached.add(name)
                kept.append(item)
        items = kept
    return items


def _checked(client: AppClient, step: StepSpec, items: list[Item], finished: list[Any]) -> list[Item]:
    """Inputs typed and required as the action declares them; an item that is not fails with the reason."""
    kept = []
    for item in items:
        try:
            item.values = item_values(client, step.operation, item.inputs)
        except IntegrationError as exc:
            finished.append(_failed(item.event, f"{type(exc).__name__}: {exc}"))
            continue
        kept.append(item)
    return kept


def _pushed_value(action: ActionSpec, values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in sorted(values.items()) if name not in action.identity}


def _changed(run: BulkBatch, action: ActionSpec, target: Target, items: list[Item], finished: list[Any]) -> list[Item]:
    """Only items whose values differ from what was last pushed for their identity (all when reconciling); of
    several items for one identity in the batch, the last."""
    if not action.identity:
        return items
    latest: dict[str, Item] = {}
    for item in items:
        item.identity = joined_key(item.values.get(name) for name in action.identity)
        earlier = latest.get(item.identity)
        if earlier is not None:
            reason = f"superseded by event {item.event.id} for the same item in this push"
            finished.append((EventOutcome(earlier.event.id, EventStatus.FILTERED, reason), None))
        latest[item.identity] = item
    if run.reconcile:
        return list(latest.values())
    with run.engine.connect() as connection:
        pushed = pushed_values(connection, target, run.spec.steps[-1].operation, latest)
    kept = []
    for identity, item in latest.items():
        last = pushed.get(identity)
        if last is not None and last.value == _pushed_value(action, item.values):
            reason = f"unchanged: the same values were pushed at {last.pushed_at.isoformat(timespec='seconds')}"
            finished.append((EventOutcome(item.event.id, EventStatus.FILTERED, reason), None))
            run.totals.unchanged += 1
        else:
            kept.append(item)
    return kept


def _is_stale(action: ActionSpec, item: Item, outcome: ItemOutcome) -> bool:
    """The app calls an id it gave earlier unknown (deleted, recreated): search for it again, once."""
    return not item.resent and any(
        outcome.code in resolve.unknown_codes and name in item.cached for name, resolve in action.resolve.items()
    )


def _re_resolve(
    run: BulkBatch, client: AppClient, action: ActionSpec, target: Target, stale: list[Item], finished: list[Any]
) -> list[Item]:
    """Forget the stale ids, search again, and send those items once more."""
    if not stale:
        return []
    for name, resolve in action.resolve.items():
        keys = [str(item.inputs[resolve.key_input]) for item in stale if name in item.cached]
        with run.engine.begin() as connection:
            forget_resolved(connection, target, resolve.search, keys)
    for item in stale:
        item.resent = True
        for name in item.cached:
            item.inputs[name] = None
        item.cached.clear()
    log.info("%d item(s) had ids the app no longer knows: searching again", len(stale))
    return _checked(client, run.spec.steps[-1], _resolve(run, client, action, target, stale, finished), finished)


def _call_failed(
    run: BulkBatch, step: StepSpec, items: list[Item], sent: int, exc: IntegrationError, finished: list[Any]
) -> GiveBack | None:
    """A request carrying the first `sent` items failed as a whole. Permanent: those items fail with the reason
    and the others go on. The app down (retries spent, or a write whose outcome is unknown): its breaker trips,
    the sent items wait for a later attempt (or fail, when their outcome is unknown or attempts are spent) and
    the others go back untried."""
    error = f"{type(exc).__name__}: {exc}"
    if _permanent(exc):
        finished += [_failed(item.event, error) for item in items[:sent]]
        if isinstance(exc, HttpError) and exc.status is not None:
            run.breakers.answered()
        _save(run, step, None, finished, {})
        return None
    until = _trip(run, (step.app.partition("@")[0], step.connection), error, exc)
    for item in items[:sent]:
        if isinstance(exc, OutcomeUnknownError) or item.event.attempts >= run.max_attempts:
            finished.append(_failed(item.event, error))
        else:
            finished.append((EventOutcome(item.event.id, EventStatus.RECEIVED, error, not_before=until), None))
    _save(run, step, None, finished, {})
    return GiveBack([item.event for item in items[sent:]], until, f"not tried: {error}")


def _permanent(exc: IntegrationError) -> bool:
    return not exc.retryable and not isinstance(exc, OutcomeUnknownError)


def _trip(run: BulkBatch, key: ConnectionKey, error: str, exc: IntegrationError) -> dt.datetime:
    at_least = utcnow() + run.backoff(1, getattr(exc, "retry_after", None))
    return run.breakers.unavailable(key, error, at_least)


def _save(
    run: BulkBatch,
    step: StepSpec,
    target: Target | None,
    finished: list[tuple[EventOutcome, LoggedStep | None]],
    pushed: dict[str, dict[str, Any]],
) -> None:
    """Record what ended so far (events, action log, pushed values) in one transaction, then forget it."""
    if not finished and not pushed:
        return
    outcomes = [outcome for outcome, _ in finished]
    logged = [entry for _, entry in finished if entry is not None]
    with run.engine.begin() as connection:
        record_steps(connection, run.workflow_id, step.key, logged)
        if target is not None and pushed:
            record_pushed(connection, target, step.operation, pushed, run.workflow_id)
        changed = finish_events(connection, outcomes, run.dag_run_id)
    if changed < len(outcomes):
        log.warning("%d event(s) of this push were taken by another run; their outcomes are not recorded",
                    len(outcomes) - changed)  # fmt: skip
    for outcome in outcomes:
        run.record(outcome)
        if outcome.status == EventStatus.DONE:
            run.totals.pushed += 1
        elif outcome.status == EventStatus.FAILED:
            run.totals.failed += 1
    finished.clear()


def _progress(step: StepSpec, sent: int, requests: int, totals: PushTotals) -> None:
    elapsed = time.monotonic() - totals.started
    rate = totals.pushed / elapsed if elapsed > 0 else 0.0
    log.info("%s: %d item(s) sent in %d request(s); this run: %d pushed, %d unchanged, %d failed (%.0f items/s)",
             step.key, sent, requests, totals.pushed, totals.unchanged, totals.failed, rate)  # fmt: skip
