"""Operators for hand-written DAGs: run one action or one search of an app version through an Airflow connection,
with the same auth, rate limits, retries inside a call and redaction as the no-code workflows (docs/provider.md).

    create = AppActionOperator(
        task_id="create_order",
        app="eshopbox@1.0.0",
        conn_id="demo_eshopbox",
        action="create_order",
        inputs={"customer_order_number": "{{ params.order }}", ...},
    )

Light to import, as `connectors.operators.workflow`: the catalog and the runtime load when a task runs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, Context, RetryDecision, RetryPolicy
from airflow.sdk.exceptions import AirflowException, AirflowFailException

if TYPE_CHECKING:
    from connectors.hooks.app import AppHook
    from connectors.runtime.steps import StepResult
    from connectors.spec.triggers import OutputFieldSpec

OUTCOME_XCOM_KEY = "outcome"


class AppRetryableError(AirflowException):
    """An app call failed in a way a later try can fix (a 429, a 5xx, a timeout) after the runtime's own retries
    inside the call gave up. `retry_after`: the seconds the app asked for (`Retry-After`), if it did; the
    operators' retry policy waits at least that long before the next try."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AppRetryPolicy(RetryPolicy):
    """Airflow 3.3 retry policy of the app operators: an `AppRetryableError` with a `retry_after` is retried after
    `max(retry_after, the task's retry_delay)` (still within the task's `retries`); anything else goes to
    `fallback` (a policy the DAG author gave), else to Airflow's standard retry logic.

    It runs in the worker, on the exception itself; the scheduler only sees the delay it chose (stored on the task
    instance as `retry_delay_override`)."""

    def __init__(self, fallback: RetryPolicy | None = None) -> None:
        self.fallback = fallback

    def evaluate(
        self, exception: BaseException, try_number: int, max_tries: int, context: Context | None = None
    ) -> RetryDecision:
        retry_after = getattr(exception, "retry_after", None)
        if isinstance(exception, AppRetryableError) and retry_after is not None:
            task = context.get("task") if context else None
            base = getattr(task, "retry_delay", None) or dt.timedelta(0)
            delay = max(dt.timedelta(seconds=retry_after), base)
            return RetryDecision.retry(delay, reason=f"the app asked to wait {retry_after:g}s (Retry-After)")
        if self.fallback is not None:
            return self.fallback.evaluate(exception, try_number, max_tries, context)
        return RetryDecision.default()


def idempotency_key(context: Context) -> str:
    """The same for every try of one task instance, different for each run and each mapped instance."""
    ti = context["ti"]
    return f"airflow:{ti.dag_id}:{ti.task_id}:{ti.run_id}:{ti.map_index}"


def airflow_error(exc: Exception) -> Exception:
    """The runtime's typed error as an Airflow outcome: fail now, or let Airflow retry (after `Retry-After`)."""
    from connectors.runtime.errors import RetryableError
    from connectors.runtime.redaction import redact

    message = redact(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, RetryableError):  # RateLimitedError, RetriesExhaustedError, 5xx, timeouts
        return AppRetryableError(message, retry_after=exc.retry_after)
    # PermanentError, ConfigurationError, OutcomeUnknownError, AuthExpiredError: the same again would fail the same
    # way (or might apply twice); the runtime marks every other IntegrationError not retryable too
    return AirflowFailException(message)


def project(result: Any, output: dict[str, OutputFieldSpec]) -> Any:
    """Only the declared output fields (dotted paths) of a result object, when any are declared."""
    from connectors.runtime.paths import dig

    if not output or not isinstance(result, dict):
        return result
    return {name: dig(result, name) for name in output}


def without_secrets(value: Any) -> Any:
    """Every string with each registered secret (credentials, obtained tokens, their encoded forms) masked."""
    from connectors.runtime.redaction import redact

    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: without_secrets(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_secrets(item) for item in value]
    return value


class _AppOperator(BaseOperator):
    """Base: one app version, one connection, templated `inputs`."""

    template_fields = ("inputs",)
    template_fields_renderers = {"inputs": "json"}

    def __init__(
        self,
        *,
        app: str,
        conn_id: str,
        inputs: dict[str, Any] | None = None,
        retry_policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(retry_policy, AppRetryPolicy):  # already wrapped (a mapped task unmapped again)
            retry_policy = retry_policy.fallback
        super().__init__(retry_policy=AppRetryPolicy(retry_policy), **kwargs)
        self.app, self.conn_id = app, conn_id
        self.inputs = inputs if inputs is not None else {}

    def hook(self) -> AppHook:
        from connectors.hooks.app import AppHook

        try:
            return AppHook(self.app, self.conn_id)
        except KeyError as exc:  # an unknown app or version: no retry can fix the DAG
            raise AirflowFailException(str(exc).strip("'\"")) from exc

    def _checked_inputs(self) -> dict[str, Any]:
        if not isinstance(self.inputs, dict):
            raise AirflowFailException(f"inputs must be a mapping, got {type(self.inputs).__name__}")
        return self.inputs

    def _call(self, run: Any) -> StepResult:
        from connectors.runtime.errors import IntegrationError

        try:
            return run()
        except IntegrationError as exc:
            raise airflow_error(exc) from exc

    def _push_outcome(self, context: Context, result: StepResult) -> None:
        context["ti"].xcom_push(key=OUTCOME_XCOM_KEY, value=result.outcome)


class AppActionOperator(_AppOperator):
    """Run one action of an app version (`create_order`); its result, or only its declared output fields, is the
    task's XCom (`return_value`), `outcome` (`succeeded`, or `found`/`not_found` for a `search_first` action) the
    XCom `outcome`. Every try of one task instance sends the same idempotency key."""

    ui_color = "#d7f0e3"
    custom_operator_name = "App action"

    def __init__(self, *, action: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.action = action

    def execute(self, context: Context) -> Any:
        hook = self.hook()
        spec = hook.spec.actions.get(self.action)
        if spec is None:
            raise AirflowFailException(f"{hook.app_ref} has no action '{self.action}'")
        inputs = self._checked_inputs()
        key = idempotency_key(context)
        result = self._call(lambda: hook.run_action(self.action, inputs, idempotency_key=key))
        self._push_outcome(context, result)
        self.log.info("%s %s: %s (HTTP %s)", hook.app_ref, self.action, result.outcome, result.status_code)
        return without_secrets(project(result.result, spec.output))


class AppSearchOperator(_AppOperator):
    """Run one search of an app version (`find_order`); the first match, or only its declared output fields, is
    the task's XCom. Nothing found: None, or a failure without retry with `fail_when_not_found=True`."""

    ui_color = "#e3ecfa"
    custom_operator_name = "App search"

    def __init__(self, *, search: str, fail_when_not_found: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.search = search
        self.fail_when_not_found = fail_when_not_found

    def execute(self, context: Context) -> Any:
        hook = self.hook()
        spec = hook.spec.searches.get(self.search)
        if spec is None:
            raise AirflowFailException(f"{hook.app_ref} has no search '{self.search}'")
        inputs = self._checked_inputs()
        result = self._call(lambda: hook.run_search(self.search, inputs))
        self._push_outcome(context, result)
        self.log.info("%s %s: %s (HTTP %s)", hook.app_ref, self.search, result.outcome, result.status_code)
        if result.outcome == "not_found":
            if self.fail_when_not_found:
                raise AirflowFailException(f"{hook.app_ref} {self.search} found nothing for {sorted(inputs)}")
            return None
        return without_secrets(project(result.result, spec.output))
