"""Typed HTTP errors: each carries the status, a redacted response excerpt and whether a retry can help."""

from __future__ import annotations

import datetime
import email.utils
import time
from typing import Any

import requests

from connectors.runtime.redaction import redact

EXCERPT_LENGTH = 500
EXCERPT_SCAN = 64 * 1024  # redacted before it is cut: a secret across the cut must not leave its first half behind


class IntegrationError(Exception):
    """Base of every error the runtime raises. `step_key` names the workflow step it came from, once known."""

    retryable = False
    step_key: str | None = None


class ConfigurationError(IntegrationError):
    """A connection, property or environment value is missing or has the wrong type; nothing was sent."""


class HttpError(IntegrationError):
    """A request to an app failed."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        excerpt: str = "",
    ) -> None:
        self.method, self.url, self.status, self.excerpt = method, url, status, redact(excerpt)
        where = f"{method} {url}".strip()
        status_text = f" -> {status}" if status is not None else ""
        detail = f": {self.excerpt}" if self.excerpt else ""
        super().__init__(redact(f"{message} ({where}{status_text}){detail}"))


class RetryableError(HttpError):
    """Connection errors, timeouts, 5xx and declared statuses: trying again later can succeed.

    `retry_after` is the wait in seconds the app asked for (`Retry-After`), if it did. `may_have_applied` is False
    only when the app cannot have acted on the request (the connection was never made, or a 429 refused it); a
    5xx, a read timeout or a connection dropped after sending may hide a committed write.
    """

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float | None = None, may_have_applied: bool = True, **kwargs: Any
    ) -> None:
        self.retry_after, self.may_have_applied = retry_after, may_have_applied
        super().__init__(message, **kwargs)


class RateLimitedError(RetryableError):
    """429: the app's rate limit was hit; it did not act on the request."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, may_have_applied=False, **kwargs)


class OutcomeUnknownError(HttpError):
    """A request that is not safe to repeat may have been applied (a 5xx, a timeout or a dropped connection after
    it was sent) and the action declares no way to find out: it is not sent again. Check the app, then replay the
    event if the record is missing."""


class RetriesExhaustedError(RetryableError):
    """The retry cap of one call was reached; the task may be retried later by Airflow."""

    def __init__(self, last: HttpError, attempts: int) -> None:
        self.last, self.attempts = last, attempts
        super().__init__(
            f"gave up after {attempts} attempts: {type(last).__name__}",
            method=last.method,
            url=last.url,
            status=last.status,
            excerpt=last.excerpt,
            retry_after=getattr(last, "retry_after", None),
            may_have_applied=getattr(last, "may_have_applied", True),
        )


class AuthExpiredError(HttpError):
    """Credentials were refused even after one refresh or re-login: the connection needs reconnecting."""


class PermanentError(HttpError):
    """A 4xx the app will answer the same way again (validation, not found): fail fast, keep for replay."""


def excerpt_of(response: requests.Response) -> str:
    """The start of a response body for errors and the action log, with every registered secret masked (apps echo
    request headers: `Authorization`, cookies)."""
    try:
        return redact(response.text[:EXCERPT_SCAN])[:EXCERPT_LENGTH]
    except Exception:  # undecodable body
        return ""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds (`2`, `2.0`) or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # asctime() dates carry no zone; every HTTP-date is GMT (RFC 9110 5.6.7)
        moment = moment.replace(tzinfo=datetime.UTC)
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))
