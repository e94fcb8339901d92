"""Checking a `scheme: signature` block (and the presets that resolve to one) against a delivered request.

Everything read from the request is untrusted: a missing, malformed or oversized part is a `WebhookRejected(401)`,
never an exception of another kind. Signatures are compared with `hmac.compare_digest` on bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

from connectors.runtime.templating import render_text
from connectors.spec.signatures import (
    HeaderPart,
    LiteralPart,
    PresetVerifySpec,
    SignatureVerifySpec,
    SignedPart,
    TimestampSpec,
)

_EPOCH = re.compile(r"\d{1,12}(\.\d{1,9})?")
MAX_SIGNATURES = 16  # items read from one header; more is not a real sender


class WebhookRejected(Exception):
    """The delivery is not authentic or not readable; `status` is what to answer (401, 400)."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True)
class DeliveredRequest:
    """The parts of a webhook request a signature may cover. `url` is the public URL the app called."""

    body: bytes
    headers: Mapping[str, str]
    method: str = "POST"
    url: str = ""
    path: str = ""
    _lowered: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lowered", {key.lower(): value for key, value in self.headers.items()})

    def header(self, name: str) -> str | None:
        return self._lowered.get(name.lower())


@cache
def resolved(spec: PresetVerifySpec) -> SignatureVerifySpec:
    return spec.resolved()


def verify_signed_request(
    spec: SignatureVerifySpec | PresetVerifySpec, request: DeliveredRequest, context: Mapping[str, Any], now: float
) -> None:
    """Raise `WebhookRejected(401)` unless one signature in `spec.header` matches one declared content, under the
    key rendered from `spec.secret`, with the timestamp (if declared) within its tolerance of `now`."""
    if isinstance(spec, PresetVerifySpec):
        spec = resolved(spec)
    received = request.header(spec.header)
    if not received or not received.startswith(spec.prefix):
        raise WebhookRejected(401, f"missing signature header {spec.header}")
    value = received.removeprefix(spec.prefix)
    if spec.envelope is not None:
        value = _open_envelope(spec, value, context)
    candidates, listed_timestamp = _signatures(spec, value)
    timestamp_text, timestamp = _timestamp(spec, request, listed_timestamp, now)
    secret = render_text(spec.secret, context)
    if not secret:
        raise WebhookRejected(401, f"no secret to check {spec.header} with")
    key = _key(spec, secret)
    for content in (spec.content, *spec.content_alternatives):
        signed = b"".join(_part(part, request, timestamp_text, timestamp, secret) for part in content)
        expected = _encoded(spec, key, signed)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return
    raise WebhookRejected(401, f"signature in {spec.header} does not match the request")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")  # any header byte compares (and fails) instead of raising


def _open_envelope(spec: SignatureVerifySpec, value: str, context: Mapping[str, Any]) -> str:
    assert spec.envelope is not None
    try:
        opened = base64.b64decode(_bytes(value.strip()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise WebhookRejected(401, f"{spec.header} is not base64 of '<key id>:<signature>'") from None
    key_id, separator, signature = opened.rpartition(spec.envelope.separator)
    expected = render_text(spec.envelope.key_id, context)
    if not separator or not expected or not hmac.compare_digest(_bytes(expected), _bytes(key_id)):
        raise WebhookRejected(401, f"{spec.header} names another key id")
    return signature


def _signatures(spec: SignatureVerifySpec, value: str) -> tuple[list[bytes], str | None]:
    """The candidate signatures (encoded, as bytes) and the timestamp item of a signature list, if any."""
    listing = spec.signatures
    if listing is None:
        return [_normalised(spec, value.strip())], None
    candidates, timestamp = [], None
    for item in value.split(listing.separator)[:MAX_SIGNATURES]:
        name, assign, item_value = item.strip().partition(listing.assign)
        if not assign:
            continue
        if name == listing.version:
            candidates.append(_normalised(spec, item_value))
        elif name == listing.timestamp_item and timestamp is None:
            timestamp = item_value
    if not candidates:
        raise WebhookRejected(401, f"no {listing.version} signature in {spec.header}")
    return candidates, timestamp


def _normalised(spec: SignatureVerifySpec, signature: str) -> bytes:
    return _bytes(signature.lower() if spec.encoding == "hex" else signature)


def _timestamp(
    spec: SignatureVerifySpec, request: DeliveredRequest, listed: str | None, now: float
) -> tuple[str, float | None]:
    declared = spec.timestamp
    if declared is None:
        return "", None
    text = request.header(declared.header) if declared.header else listed
    where = declared.header or f"{spec.header} ({spec.signatures.timestamp_item if spec.signatures else ''})"
    if not text:
        raise WebhookRejected(401, f"missing timestamp in {where}")
    seconds = _parsed_timestamp(declared, text.strip())
    if seconds is None:
        raise WebhookRejected(401, f"timestamp in {where} is not {declared.format}")
    if abs(now - seconds) > declared.tolerance_seconds:
        raise WebhookRejected(401, f"timestamp in {where} is outside the {declared.tolerance_seconds} s window")
    return text, seconds


def _parsed_timestamp(declared: TimestampSpec, text: str) -> float | None:
    try:
        if declared.format == "epoch":
            return float(text) if _EPOCH.fullmatch(text) else None
        moment = parsedate_to_datetime(text) if declared.format == "http_date" else datetime.fromisoformat(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _key(spec: SignatureVerifySpec, secret: str) -> bytes:
    if spec.key == "text":
        return secret.encode()
    encoded = secret.removeprefix("whsec_") if spec.key == "whsec" else secret
    try:
        key = base64.b64decode(encoded + "==")  # the padding may have been left off; extra padding is ignored
    except (binascii.Error, ValueError):
        raise WebhookRejected(401, f"the secret for {spec.header} is not base64") from None
    if not key:
        raise WebhookRejected(401, f"no secret to check {spec.header} with")
    return key


def _part(
    part: SignedPart, request: DeliveredRequest, timestamp_text: str, timestamp: float | None, secret: str
) -> bytes:
    if isinstance(part, HeaderPart):
        return _bytes(request.header(part.header) or "")
    if isinstance(part, LiteralPart):
        return part.literal.encode()
    if part == "body":
        return request.body
    if part == "timestamp_epoch":
        return str(int(timestamp or 0)).encode()
    text = {
        "url": request.url,
        "path": request.path,
        "method": request.method.upper(),
        "timestamp": timestamp_text,
        "secret": secret,
    }[part]
    return _bytes(text)


def _encoded(spec: SignatureVerifySpec, key: bytes, content: bytes) -> bytes:
    if spec.mac == "hmac":
        digest = hmac.new(key, content, spec.algorithm).digest()
    else:
        digest = hashlib.new(spec.algorithm, content).digest()
    return digest.hex().encode() if spec.encoding == "hex" else base64.b64encode(digest)
