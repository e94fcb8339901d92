"""Reading a webhook delivery as the app declares it: signature or token check, dedupe key, topic filter.

Named for its main job, verification; the receiver in `connectors.webhooks` calls it before storing anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from connectors.runtime.keys import joined_key, storable_key
from connectors.runtime.paths import dig
from connectors.runtime.signatures import DeliveredRequest, WebhookRejected, verify_signed_request
from connectors.runtime.templating import render_text
from connectors.spec.signatures import PresetVerifySpec, SignatureVerifySpec
from connectors.spec.triggers import HmacVerifySpec, StaticTokenVerifySpec, ValueSourceSpec, WebhookTriggerSpec

__all__ = ["DeliveredRequest", "WebhookRejected", "dedupe_key", "parse_json_body", "verify_webhook_signature"]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lowered), None)


def verify_webhook_signature(
    trigger: WebhookTriggerSpec,
    raw_body: bytes,
    headers: Mapping[str, str],
    context: Mapping[str, Any],
    *,
    method: str = "POST",
    url: str = "",
    path: str = "",
    clock: Callable[[], float] = time.time,
) -> None:
    """Raise `WebhookRejected(401)` unless the delivery carries what the app declares; constant-time compares.
    `method`, `url` (public) and `path` are the request's, for schemes that sign them; `clock` is for tests."""
    verify = trigger.verify
    if isinstance(verify, SignatureVerifySpec | PresetVerifySpec):
        delivered = DeliveredRequest(raw_body, headers, method=method, url=url, path=path)
        verify_signed_request(verify, delivered, context, clock())
    elif isinstance(verify, HmacVerifySpec):
        received = _header(headers, verify.header)
        if not received or not received.startswith(verify.prefix):
            raise WebhookRejected(401, f"missing signature header {verify.header}")
        secret = render_text(verify.secret, context).encode()
        digest = hmac.new(secret, raw_body, getattr(hashlib, verify.algorithm)).digest()
        expected = base64.b64encode(digest).decode() if verify.encoding == "base64" else digest.hex()
        signature = received.removeprefix(verify.prefix).encode("utf-8", "surrogateescape")
        if not secret or not hmac.compare_digest(expected.encode(), signature):  # bytes: any header byte compares
            raise WebhookRejected(401, f"signature in {verify.header} does not match the body")
    elif isinstance(verify, StaticTokenVerifySpec):
        received = _header(headers, verify.header)
        expected = render_text(verify.value, context)
        token = (received or "").encode("utf-8", "surrogateescape")
        if not received or not expected or not hmac.compare_digest(expected.encode(), token):
            raise WebhookRejected(401, f"missing or wrong token in {verify.header}")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_body(raw_body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or `WebhookRejected(400)`: UTF-8 only (`json.loads` on bytes would also take
    UTF-16 and 32), no `NaN`/`Infinity`, no nesting deep enough to exhaust the stack, no integer too long to
    convert, and an object at the top (every app sends one; an array or a scalar has no fields to read)."""
    try:
        payload = json.loads(raw_body.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise WebhookRejected(400, "body is not UTF-8") from None
    except RecursionError:
        raise WebhookRejected(400, "body is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, NaN, an integer over Python's digit limit
        raise WebhookRejected(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise WebhookRejected(400, f"body must be a JSON object, not {type(payload).__name__}")
    return payload


def _value(source: ValueSourceSpec, payload: Any, headers: Mapping[str, str]) -> str | None:
    if source.header:
        return _header(headers, source.header)
    paths = source.path if isinstance(source.path, list) else [source.path or ""]
    values = [dig(payload, path) for path in paths]
    return None if any(value is None for value in values) else joined_key(values)


def dedupe_key(trigger: WebhookTriggerSpec, payload: Any, headers: Mapping[str, str]) -> str:
    """The delivery's dedupe key (a redelivery has the same one); a delivery without one is malformed (400)."""
    key = _value(trigger.dedupe_key, payload, headers)
    if not key:
        where = trigger.dedupe_key.header or trigger.dedupe_key.path
        raise WebhookRejected(400, f"no dedupe key at {where}")
    return storable_key(key)


def topic_matches(trigger: WebhookTriggerSpec, payload: Any, headers: Mapping[str, str]) -> bool:
    if trigger.topic is None:
        return True
    return _value(trigger.topic, payload, headers) in trigger.topic.values
