"""The HTTP client of one connection to one app version: auth, rate limit, retries, typed errors, one log line
per attempt."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from connectors.runtime.auth import (
    AppAuth,
    AuthContext,
    MemoryTokenStore,
    TokenStore,
    build_auth,
)
from connectors.runtime.errors import (
    AuthExpiredError,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    RetryableError,
    excerpt_of,
    parse_retry_after,
)
from connectors.runtime.http.graphql_responses import estimate_cost, find_failure, read_cost
from connectors.runtime.http.hosts import AllowedOrigins
from connectors.runtime.http.rate_limit import (
    CostBudget,
    CostBudgetFactory,
    RateBudget,
    RateBudgetFactory,
    parse_call_limit,
    process_budget,
    process_cost_budget,
)
from connectors.runtime.http.request import RenderedRequest, response_body
from connectors.runtime.http.retry import call_with_retries
from connectors.runtime.log_context import current_log_fields
from connectors.runtime.redaction import (
    install_log_redaction,
    redact,
    redact_query,
    register_secret,
)
from connectors.runtime.templating import render_text
from connectors.runtime.values import resolve_values
from connectors.spec.app_version import AppVersionSpec

log = logging.getLogger("connectors.http")


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the app: the connection was refused, timed out or its host did
    not resolve (a reset or a read timeout after sending may hide an applied request)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", cause), NewConnectionError)


@dataclass(frozen=True)
class ConnectionValues:
    """One client's connection to one app: credential values and custom property values."""

    connection_id: str
    credentials: Mapping[str, Any] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)


class AppClient:
    """Sends requests for one connection of one app version."""

    def __init__(
        self,
        spec: AppVersionSpec,
        connection: ConnectionValues,
        environment: Mapping[str, Any] | None = None,
        token_store: TokenStore | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rate_budget: RateBudgetFactory = process_budget,
        cost_budget: CostBudgetFactory = process_cost_budget,
    ) -> None:
        install_log_redaction()
        self.spec, self.connection, self._sleep = spec, connection, sleep
        self.properties = resolve_values(spec.properties, connection.properties, f"properties of {spec.ref}")
        self.env = resolve_values(spec.environment, environment or {}, f"environment of {spec.ref}")
        register_secret(*(self.properties[n] for n, p in spec.properties.items() if p.type == "secret"))
        register_secret(*(self.env[n] for n, v in spec.environment.items() if v.secret))
        self.session = session or requests.Session()
        self.base_url = render_text(spec.base_url, {"properties": self.properties, "env": self.env})
        self.hosts = AllowedOrigins.declared(spec, self.base_url, {"properties": self.properties, "env": self.env})
        self.auth: AppAuth = build_auth(
            AuthContext(
                spec=spec.auth,
                connection_id=connection.connection_id,
                credentials=connection.credentials,
                properties=self.properties,
                env=self.env,
                token_store=token_store or MemoryTokenStore(),
                send=self.send_unauthenticated,
                app_ref=spec.ref,
                base_url=self.base_url,
            )
        )
        self.bucket: RateBudget | None = rate_budget(spec, connection.connection_id) if spec.rate_limit else None
        self.graphql_url = spec.graphql.url if spec.graphql else None
        costed = spec.graphql is not None and spec.graphql.cost is not None
        self.cost_bucket: CostBudget | None = cost_budget(spec, connection.connection_id) if costed else None
        self._secret_query = list(getattr(spec.auth, "query", {}))

    def template_context(self, **extra: Any) -> dict[str, Any]:
        return {**self.auth.template_context(), **extra}

    def send(self, request: RenderedRequest, before_resend: Callable[[], None] | None = None) -> requests.Response:
        """Send with auth, under the rate limit, retrying what can be retried; typed error otherwise.

        A request that is not safe to repeat is re-sent only when the app cannot have acted on the failed attempt,
        or after `before_resend` ran (a search that raises when the record exists): otherwise the error is
        `OutcomeUnknownError` and nothing is sent again."""
        self.hosts.check(request.url)
        attempts, recheck = itertools.count(1), False

        def attempt() -> requests.Response:
            nonlocal recheck
            if recheck and before_resend is not None:
                before_resend()
                recheck = False
            try:
                return self._attempt(request, self.auth, request.as_kwargs(), next(attempts))
            except RetryableError as exc:
                if request.safe_to_repeat or not exc.may_have_applied:
                    raise
                if before_resend is None and exc.status == 503:  # taken at its word: not done (RFC 9110 15.6.4)
                    raise
                if before_resend is None:
                    raise OutcomeUnknownError(
                        f"may have been applied ({exc}); not sent again because {request.method} is not idempotent "
                        "here: check the record in the app and replay the event if it is missing",
                        method=exc.method, url=exc.url, status=exc.status, excerpt=exc.excerpt,
                    ) from exc  # fmt: skip
                recheck = True
                raise

        return call_with_retries(attempt, self.spec.retry, self._sleep)

    def send_unauthenticated(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Login and token calls: retried like any call, but a 4xx is returned for the auth to judge."""
        request, auth, attempts = RenderedRequest(method=method, url=url), kwargs.pop("auth", None), itertools.count(1)
        return call_with_retries(
            lambda: self._attempt(request, auth, kwargs, next(attempts)), self.spec.retry, self._sleep
        )

    def _attempt(self, request: RenderedRequest, auth: Any, kwargs: dict[str, Any], attempt: int) -> requests.Response:
        if request.graphql and self.cost_bucket:
            self.cost_bucket.acquire(self._query_cost(request))
        response = self._send_once(request.method, request.url, auth, kwargs, attempt)
        if isinstance(auth, AppAuth) and auth.signals_expiry(response):
            auth.renew()
            response = self._send_once(request.method, request.url, auth, kwargs, attempt)
            if auth.signals_expiry(response):
                raise AuthExpiredError(
                    "credentials refused again after renewing them; the connection needs reconnecting",
                    method=request.method,
                    url=self._loggable(response.url),
                    status=response.status_code,
                    excerpt=excerpt_of(response),
                )
        self._classify(request.method, response, auth_applied=isinstance(auth, AppAuth))
        if request.graphql:
            self._check_graphql(request, response)
        return response

    def _query_cost(self, request: RenderedRequest) -> float:
        """What the app charged for this query last time, else the static estimate (Shopify's rules)."""
        assert self.cost_bucket is not None
        query = request.json["query"]
        known = self.cost_bucket.known_costs.get(query)
        return known if known is not None else estimate_cost(query, request.json.get("variables"))

    def _check_graphql(self, request: RenderedRequest, response: requests.Response) -> None:
        """Feed the cost bucket from the answer, then raise for errors in it: throttled -> `RateLimitedError`
        after the wait the throttle status implies, anything else -> `PermanentError`."""
        assert self.spec.graphql is not None
        body = response_body(response)
        wait = None
        if self.spec.graphql.cost:
            report = read_cost(body, self.spec.graphql.cost)
            if report.status and self.cost_bucket:
                status = report.status
                self.cost_bucket.observe(status.maximum, status.available, status.restore_rate)
                if report.requested is not None:
                    self.cost_bucket.known_costs[request.json["query"]] = report.requested
            if report.status and report.requested is not None:
                wait = report.status.wait_for(report.requested)
        failure = find_failure(body, self.spec.graphql, user_errors=not request.item_errors)
        if failure is None:
            return
        kwargs: dict[str, Any] = {"method": request.method, "url": self._loggable(response.url),
                                  "status": response.status_code, "excerpt": excerpt_of(response)}  # fmt: skip
        if failure.throttled:
            raise RateLimitedError(failure.message, retry_after=wait, **kwargs)
        raise PermanentError(failure.message, **kwargs)

    def _send_once(self, method: str, url: str, auth: Any, kwargs: dict[str, Any], attempt: int) -> requests.Response:
        if self.bucket:
            self.bucket.acquire()
        timeout = (self.spec.timeouts.connect, self.spec.timeouts.read)
        started = time.monotonic()
        try:
            hooks = {"response": self.hosts.refuse_foreign_redirect}
            response = self.session.request(method, url, auth=auth, timeout=timeout, hooks=hooks, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            self._log(method, url, None, started, attempt, type(exc).__name__)
            reason = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
            raise RetryableError(
                f"{reason}: {type(exc).__name__}",
                method=method, url=self._loggable(url), may_have_applied=not _never_connected(exc),
            ) from None  # fmt: skip
        self._log(method, response.url, response.status_code, started, attempt)
        self._observe_rate_headers(response)
        return response

    def _observe_rate_headers(self, response: requests.Response) -> None:
        header = self.spec.rate_limit.header if self.spec.rate_limit else None
        if header and self.bucket:
            usage = parse_call_limit(response.headers.get(header.name))
            if usage:
                self.bucket.observe_usage(*usage)

    def _classify(self, method: str, response: requests.Response, auth_applied: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        kwargs: dict[str, Any] = {
            "method": method,
            "url": self._loggable(response.url),
            "status": status,
            "excerpt": excerpt_of(response),
        }
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            raise RateLimitedError("rate limited", retry_after=retry_after, **kwargs)
        if status in self.spec.retry.statuses or (status >= 500 and status != 501):
            raise RetryableError("server error", retry_after=retry_after, **kwargs)
        if status == 401 and auth_applied:
            raise AuthExpiredError("credentials refused; the connection needs reconnecting", **kwargs)
        if auth_applied:
            raise PermanentError("request refused", **kwargs)

    def loggable(self, url: str) -> str:
        """The URL as logs and errors show it: secrets in the query masked."""
        return self._loggable(url)

    def _loggable(self, url: str) -> str:
        return redact(redact_query(url, self._secret_query))

    def _log(
        self, method: str, url: str, status: int | None, started: float, attempt: int, error: str | None = None
    ) -> None:
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        fields = {
            "app": self.spec.ref,
            "connection": self.connection.connection_id,
            **current_log_fields(),
            "method": method,
            "url": self._loggable(url),
            "status": status,
            "duration_ms": duration_ms,
            "attempt": attempt,
        }
        if error:
            fields["error"] = error
        log.info(" ".join(f"{key}={value}" for key, value in fields.items()), extra={"http": fields})
