"""Running one step of a workflow against an app: a search, or an action with an optional search first."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from connectors.runtime.errors import ConfigurationError, PermanentError, RetryableError
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.request import RenderedRequest, render_request, response_body
from connectors.runtime.paths import dig
from connectors.runtime.templating import TemplateError, render_value
from connectors.runtime.values import resolve_values
from connectors.spec.actions import ActionSpec, FailedWhenSpec, SearchSpec

Outcome = Literal["succeeded", "found", "not_found"]


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    result: Any
    status_code: int | None = None
    request: dict[str, Any] = field(default_factory=dict)


def _records(body: Any, path: str) -> list[Any]:
    found = dig(body, path)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _search(client: AppClient, key: str, inputs: dict[str, Any]) -> tuple[list[Any], int, dict[str, Any]]:
    """Every match of one search request (none on a 404), its status and what was sent."""
    spec: SearchSpec = client.spec.searches[key]
    values = resolve_values(spec.inputs, inputs, f"inputs of search '{key}' in {client.spec.ref}")
    request = render_request(spec.request, client.template_context(inputs=values), client.base_url, client.graphql_url)
    try:
        response = client.send(request)
    except PermanentError as exc:
        if exc.status == 404:
            return [], 404, _describe(request)
        raise
    return _records(response_body(response), spec.records), response.status_code, _describe(request)


def run_search(client: AppClient, key: str, inputs: dict[str, Any]) -> StepResult:
    """The first match of a search (`not_found` when none; a 404 also means none)."""
    matches, status, request = _search(client, key, inputs)
    outcome: Outcome = "found" if matches else "not_found"
    return StepResult(outcome, matches[0] if matches else None, status, request)


def search_records(client: AppClient, key: str, inputs: dict[str, Any]) -> list[Any]:
    """Every match of a search (none on a 404)."""
    return _search(client, key, inputs)[0]


class _AlreadyApplied(Exception):
    """Raised between two attempts of a create when the search finds the record the failed attempt made."""

    def __init__(self, found: StepResult) -> None:
        self.found = found


def run_action(client: AppClient, key: str, inputs: dict[str, Any], idempotency_key: str | None = None) -> StepResult:
    """Run an action; with `search_first`, a match is used instead of creating again (find-or-create) or is
    required before updating (find-then-update).

    A create whose attempt may have been applied is re-sent only after its search finds nothing; an app's
    idempotency header carries a key made of `idempotency_key` (the same for every attempt of one step for one
    event) and what is sent: a replay after the mapping was fixed sends a new key, as the app would refuse the old
    key with another body."""
    spec: ActionSpec = client.spec.actions[key]
    values = resolve_values(spec.inputs, inputs, f"inputs of action '{key}' in {client.spec.ref}")
    before_resend: Callable[[], None] | None = None
    if spec.search_first:
        try:
            search_inputs = render_value(spec.search_first.inputs, {"inputs": values})
        except TemplateError as exc:
            raise ConfigurationError(str(exc)) from exc
        search = spec.search_first.search
        found = run_search(client, search, search_inputs)
        if found.outcome == "found" and spec.search_first.mode == "find_or_create":
            return found
        if found.outcome == "not_found" and spec.search_first.mode == "find_then_update":
            return found
        if spec.search_first.mode == "find_or_create":

            def before_resend() -> None:
                again = run_search(client, search, search_inputs)
                if again.outcome == "found":
                    raise _AlreadyApplied(again)

    request = render_request(spec.request, client.template_context(inputs=values), client.base_url, client.graphql_url)
    if spec.idempotency_key:
        header = {spec.idempotency_key.header: _request_key(idempotency_key, request)}
        request = replace(request, headers={**request.headers, **header}, idempotent=True)
    try:
        response = client.send(request, before_resend)
    except _AlreadyApplied as applied:
        return applied.found
    body = response_body(response)
    if spec.failed_when is not None:
        _raise_when_failed(spec.failed_when, body, request, response.status_code, client)
    return StepResult("succeeded", dig(body, spec.result), response.status_code, _describe(request))


def _raise_when_failed(
    when: FailedWhenSpec, body: Any, request: RenderedRequest, status: int, client: AppClient
) -> None:
    """A 2xx whose body says the action failed: `PermanentError` (or `RetryableError` when the app asks to try
    later) with the reason the body gives."""
    value = dig(body, when.path)
    if when.values is not None:
        failed = value is not None and str(value) in {str(v) for v in when.values}
    else:
        failed = value is None or str(value) not in {str(v) for v in when.not_in or []}
    if not failed:
        return
    reasons: list[str] = []
    for path in when.message:
        found = dig(body, path)
        reasons += [str(item) for item in found] if isinstance(found, list) else [str(found)] if found else []
    reason = "; ".join(reasons) or f"{when.path} is {value!r}"
    error = RetryableError if when.retry else PermanentError
    raise error(f"the app answered {status} but says it failed: {reason}", method=request.method,
                url=client.loggable(request.url), status=status)  # fmt: skip


def _request_key(step_key: str | None, request: RenderedRequest) -> str:
    """The idempotency key of one step's request: its step key (random for a call outside a workflow) and what it
    sends, hashed."""
    sent = json.dumps([request.method, request.url, request.params, request.json, request.data], default=str)
    return hashlib.sha256(f"{step_key or uuid.uuid4().hex}\x00{sent}".encode()).hexdigest()[:32]


def _describe(request: Any) -> dict[str, Any]:
    """What was sent, for the action log and replay (auth is applied later and never part of it)."""
    return {"method": request.method, "url": request.url, "params": request.params, "json": request.json}
