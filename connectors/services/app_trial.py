"""The app builder's "try this request": one request of a draft app version (an action's, a search's, or a polling
trigger's first page over the last hour) rendered and sent through the runtime's client, with the connection's
auth, once (no retries), and answered as it went: what was sent (never auth), the status, the response (headers
that can carry a credential left out, the body cut to `BODY_EXCERPT` characters) and the runtime's classified
error, every registered secret masked. Needs no Airflow: the face passes `client_for`, which builds the client
for a spec and a connection id (in the api-server: `AppHook` with the draft's spec)."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import requests

from connectors.get_provider_info import connection_type
from connectors.runtime.errors import (
    ConfigurationError,
    HttpError,
    IntegrationError,
    RetriesExhaustedError,
    RetryableError,
)
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.pagination import build_paginator
from connectors.runtime.http.request import RenderedRequest, render_request
from connectors.runtime.polling import format_instant
from connectors.runtime.redaction import redact, register_secret
from connectors.runtime.values import resolve_values
from connectors.services.app_builder import check_same_origin, draft_spec
from connectors.services.drafts import DRAFT
from connectors.services.errors import Problem, ServiceError
from connectors.spec import AppVersionSpec, Catalog
from connectors.spec.base import RequestSpec
from connectors.spec.triggers import PollingTriggerSpec
from connectors.workflows.validation import ConnectionsUnreadable, ConnectionTypes

Kind = Literal["action", "search", "trigger"]
ClientFor = Callable[[AppVersionSpec, str], AppClient]
"""The client of an app version for a connection id; raises `ServiceError` "not_found" for no such connection."""

BODY_EXCERPT = 8 * 1024  # characters of the response body answered
POLL_WINDOW = dt.timedelta(hours=1)
_HIDDEN_HEADER = re.compile(r"cookie|authori[sz]ation|token|secret|api-?key|session|signature", re.IGNORECASE)


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    params: dict[str, Any]
    headers: dict[str, str]  # the request's own headers; auth is applied when sending and never shown
    body: Any


@dataclass(frozen=True)
class ReceivedResponse:
    headers: dict[str, str]  # no Set-Cookie, no header that can carry a credential
    body: str  # the start of the body, secrets masked
    truncated: bool


@dataclass(frozen=True)
class TrialError:
    type: str  # the runtime's error class: AuthExpiredError, RateLimitedError, PermanentError, ConfigurationError…
    message: str
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class TrialResult:
    """What was sent (None: nothing could be, see `error`), the status and response (None: no answer), how long
    it took, and the runtime's error when it classified the outcome as one."""

    request: SentRequest | None
    status: int | None
    duration_ms: float
    response: ReceivedResponse | None
    error: TrialError | None


def try_request(
    yaml_text: str | None,
    definition: Any,
    kind: Kind,
    key: str,
    inputs: dict[str, Any],
    connection_id: str,
    client_for: ClientFor,
    connection_types: ConnectionTypes | None = None,
    catalog: Catalog | None = None,
) -> TrialResult:
    """Send the request of the draft's action, search or polling trigger `key` with `inputs` (a polling trigger's
    `params`) through connection `connection_id`. An invalid draft, an unknown key, inputs that do not fit, or a
    connection of another app's type: `ServiceError` "invalid"; no such connection: "not_found"."""
    spec = draft_spec(yaml_text, definition)
    if catalog is not None:
        check_same_origin(spec, catalog)  # a draft of a known app cannot send its connections' credentials elsewhere
    _check_connection(spec, connection_id, connection_types)
    spec = spec.model_copy(update={"retry": spec.retry.model_copy(update={"max_attempts": 1})})  # one attempt
    started = time.monotonic()
    try:
        client = client_for(spec, connection_id)
        request = _render(client, kind, key, inputs)
    except ConfigurationError as exc:
        return TrialResult(None, None, _since(started), None, _error(exc))
    # every credential of the connection is masked in the answer, whatever the draft declares secret
    register_secret(*(value for value in client.connection.credentials.values() if isinstance(value, str) and value))
    recorder = _Recorder(client.session, request)
    client.session = cast(requests.Session, recorder)
    sent, error = _sent(client, request), None
    started = time.monotonic()
    try:
        client.send(request)
    except IntegrationError as exc:
        error = _error(exc)
    duration = _since(started)
    response = recorder.response
    if response is None:
        return TrialResult(sent, None, duration, None, error)
    return TrialResult(sent, response.status_code, duration, _received(response), error)


def _check_connection(spec: AppVersionSpec, connection_id: str, types: ConnectionTypes | None) -> None:
    """The connection exists and is of the draft app's own type (`integrations_<key>`): a try never lends the
    credentials of another app's or a generic connection to a draft."""
    if types is None:
        return
    try:
        actual = types(connection_id)
    except ConnectionsUnreadable:
        return  # the client's own lookup says whether it exists
    expected = connection_type(spec.app.key)
    if actual is None:
        raise ServiceError(f"no Airflow connection '{connection_id}' exists", "not_found")
    if actual != expected:
        raise ServiceError(
            f"connection '{connection_id}' is of type '{actual}'; {spec.ref} needs a connection of type '{expected}'",
            "invalid",
            [Problem(DRAFT, "connection_id", f"another app's connection (type '{actual}')")],
        )


def _render(client: AppClient, kind: Kind, key: str, inputs: dict[str, Any]) -> RenderedRequest:
    spec = client.spec
    if kind == "trigger":
        return _first_page(client, _polling_trigger(spec, key), inputs)
    declared = spec.actions if kind == "action" else spec.searches
    step = declared.get(key)
    if step is None:
        section = "actions" if kind == "action" else "searches"
        raise ServiceError(f"the draft has no {kind} '{key}' (it has: {', '.join(sorted(declared)) or 'none'})",
                           "invalid", [Problem(DRAFT, f"{section}.{key}", f"no {kind} '{key}'")])  # fmt: skip
    try:
        values = resolve_values(step.inputs, inputs, f"inputs of {kind} '{key}'")
    except ConfigurationError as exc:
        raise ServiceError(str(exc), "invalid", [Problem(DRAFT, "inputs", str(exc))]) from None
    request = _rendered(step.request, client, client.template_context(inputs=values))
    idempotency = getattr(step, "idempotency_key", None)
    if idempotency is not None:  # a key of its own: a try is never a retry of a workflow's step
        request = replace(request, headers={**request.headers, idempotency.header: uuid.uuid4().hex}, idempotent=True)
    return request


def _polling_trigger(spec: AppVersionSpec, key: str) -> PollingTriggerSpec:
    trigger = spec.triggers.get(key)
    if isinstance(trigger, PollingTriggerSpec):
        return trigger
    polling = sorted(name for name, declared in spec.triggers.items() if isinstance(declared, PollingTriggerSpec))
    why = f"'{key}' is a webhook trigger (the app calls us: nothing to send)" if trigger else f"no trigger '{key}'"
    raise ServiceError(f"the draft has {why}; polling triggers: {', '.join(polling) or 'none'}", "invalid",
                       [Problem(DRAFT, f"triggers.{key}", why)])  # fmt: skip


def _first_page(client: AppClient, trigger: PollingTriggerSpec, params: dict[str, Any]) -> RenderedRequest:
    """The first page of the trigger over the last hour, rendered as `connectors.runtime.polling.poll` renders
    it."""
    end = dt.datetime.now(dt.UTC)
    start = end - POLL_WINDOW
    window: dict[str, Any] = {"start": start, "end": end}
    if trigger.window:
        overlap = dt.timedelta(seconds=trigger.window.overlap_seconds)
        window["start_text"] = format_instant(start - overlap, trigger.window)
        window["end_text"] = format_instant(end, trigger.window)
    request = _rendered(trigger.request, client, client.template_context(window=window, params=params))
    if trigger.window and trigger.window.start_param:
        query = {**request.params, trigger.window.start_param: window["start_text"]}
        if trigger.window.end_param:
            query[trigger.window.end_param] = window["end_text"]
        request = replace(request, params=query)
    return build_paginator(trigger.pagination, client.base_url).first(request)


def _rendered(spec: RequestSpec, client: AppClient, context: dict[str, Any]) -> RenderedRequest:
    return render_request(spec, context, client.base_url, client.graphql_url)


class _Recorder:
    """The client's session, keeping the response to the request tried: the last answer of the outermost call to
    its URL (a login or token call the auth makes meanwhile is nested in it, or goes elsewhere)."""

    def __init__(self, session: requests.Session, request: RenderedRequest) -> None:
        self.session, self.target, self.depth = session, _target(request.url), 0
        self.response: requests.Response | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        outermost = self.depth == 0
        if outermost:
            self.response = None
        self.depth += 1
        try:
            response = self.session.request(method, url, **kwargs)
        finally:
            self.depth -= 1
        if outermost and _target(url) == self.target:
            self.response = response
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def _target(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc, parts.path


def _sent(client: AppClient, request: RenderedRequest) -> SentRequest:
    body = request.json if request.json is not None else request.data
    return SentRequest(
        method=request.method,
        url=client.loggable(request.url),
        params=_masked(request.params),
        headers={name: redact(value) for name, value in request.headers.items() if not _HIDDEN_HEADER.search(name)},
        body=_masked(body),
    )


def _received(response: requests.Response) -> ReceivedResponse:
    try:
        raw = response.text
    except Exception:  # an undecodable body
        raw = ""
    text = redact(raw[: BODY_EXCERPT * 8])  # masked before it is cut: no half secret left behind
    headers = {name: redact(value) for name, value in response.headers.items() if not _HIDDEN_HEADER.search(name)}
    return ReceivedResponse(headers, text[:BODY_EXCERPT], len(text) > BODY_EXCERPT or len(raw) > BODY_EXCERPT * 8)


def _error(exc: IntegrationError) -> TrialError:
    cause = exc.last if isinstance(exc, RetriesExhaustedError) else exc  # one attempt: the error it ended with
    return TrialError(
        type=type(cause).__name__,
        message=redact(str(cause)),
        status=cause.status if isinstance(cause, HttpError) else None,
        retryable=cause.retryable,
        retry_after=cause.retry_after if isinstance(cause, RetryableError) else None,
    )


def _masked(value: Any) -> Any:
    """Every string in `value` with the registered secrets masked."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(name)): _masked(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def _since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
