"""Secret redaction: every credential and token is registered here and replaced by `***` wherever it is logged.

Redaction runs when a log record is created, for every logger in the process (ours, urllib3's, oauthlib's), so
no handler or formatter configuration can bypass it. Errors build their messages through `redact` too.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

from connectors.runtime.personal_data import mask_personal

MASK = "***"
MIN_SECRET_LENGTH = 5  # shorter values would mask ordinary words (Airflow's masker uses the same limit)


class SecretRegistry:
    """The set of secret values known to this process and a compiled pattern matching any of them."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], object]] = []

    def add_listener(self, listener: Callable[[str], object]) -> None:
        """Also tell `listener` each secret registered from now on (e.g. Airflow's `mask_secret`)."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def register(self, *values: object) -> None:
        """Remember secret values (and their URL-encoded and JSON-escaped forms) so they never appear in logs or
        errors."""
        fresh = set()
        for value in values:
            if value is None:
                continue
            text = str(value)
            if len(text) < MIN_SECRET_LENGTH:
                continue
            fresh.update(_encoded_forms(text))
            if text not in self._values:
                for listener in self._listeners:
                    listener(text)
        with self._lock:
            if fresh - self._values:
                self._values |= fresh
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(value) for value in ordered))

    def redact(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern and text else text

    def forget_all(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None


def _encoded_forms(text: str) -> set[str]:
    """The forms a secret takes when a server echoes it: as is, URL-encoded, and inside a JSON string (where some
    servers, PHP's among them, also escape '/')."""
    in_json = json.dumps(text)[1:-1]
    return {text, quote(text, safe=""), quote_plus(text), in_json, in_json.replace("/", "\\/")}


secrets = SecretRegistry()
register_secret = secrets.register
redact = secrets.redact


def register_basic_credentials(username: object, password: object) -> None:
    """Register what HTTP Basic sends, `base64(username:password)`, besides the password itself: a server that
    echoes the `Authorization` header would otherwise reveal both. Clients encode the pair as Latin-1 (requests)
    or UTF-8; both forms are registered."""
    pair = f"{username}:{password}"
    for encoding in ("latin-1", "utf-8"):
        try:
            register_secret(password, base64.b64encode(pair.encode(encoding)).decode())
        except UnicodeEncodeError:
            continue


_installed = False
_install_lock = threading.Lock()


def _redacting_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return record
        masked = mask_personal(redact(message))
        if masked != message:  # untouched otherwise: formatters that read `args` (uvicorn's access log) keep them
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal(redact(logging.Formatter().formatException(record.exc_info)))
        return record

    return factory


def install_log_redaction() -> None:
    """Redact registered secrets in every log record created from now on (idempotent)."""
    global _installed
    with _install_lock:
        if not _installed:
            logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
            _installed = True


def redact_query(url: str, secret_params: Iterable[str]) -> str:
    """Replace the values of the named query parameters in a URL by `***`."""
    names = "|".join(re.escape(name) for name in secret_params)
    if not names:
        return url
    return re.sub(rf"([?&](?:{names})=)[^&#]*", rf"\g<1>{MASK}", url)
