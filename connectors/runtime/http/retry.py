"""Retries inside one call, with tenacity: exponential backoff with jitter, `Retry-After` honoured, a cap."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)
from tenacity.wait import wait_exponential_jitter

from connectors.runtime.errors import RetriesExhaustedError, RetryableError
from connectors.spec.app_version import RetryPolicySpec

T = TypeVar("T")


def _retry_after(state: RetryCallState) -> float | None:
    error = state.outcome.exception() if state.outcome else None
    return getattr(error, "retry_after", None)


def call_with_retries(
    attempt: Callable[[], T], policy: RetryPolicySpec, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run `attempt` until it returns or raises a non-retryable error; past the cap raise `RetriesExhaustedError`."""
    backoff = wait_exponential_jitter(
        initial=policy.initial_backoff, max=policy.max_backoff, exp_base=policy.multiplier, jitter=policy.jitter
    )

    def wait(state: RetryCallState) -> float:
        retry_after = _retry_after(state)
        return retry_after if retry_after is not None else backoff(state)

    def retry_after_too_long(state: RetryCallState) -> bool:
        retry_after = _retry_after(state)
        return retry_after is not None and retry_after > policy.max_retry_after

    retrying = Retrying(
        retry=retry_if_exception(lambda error: isinstance(error, RetryableError)),
        stop=stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_elapsed) | retry_after_too_long,
        wait=wait,
        sleep=sleep,
    )
    try:
        return retrying(attempt)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        assert isinstance(last, RetryableError)
        raise RetriesExhaustedError(last, exc.last_attempt.attempt_number) from last
