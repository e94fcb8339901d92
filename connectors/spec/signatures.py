"""Signed webhooks, general form: what is signed, with which key, how the signature travels, how fresh it must be.

`scheme: signature` spells a scheme out; `scheme: shopify | woocommerce | standard_webhooks | stripe | fklogin`
names a preset, which `resolved()` turns into the same spelled-out form. The runtime only knows the spelled-out
form (`connectors.runtime.signatures`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from connectors.spec.base import SpecModel

RequestPart = Literal["body", "url", "path", "method", "timestamp", "timestamp_epoch", "secret"]


class HeaderPart(SpecModel):
    """The value of a request header, as received (e.g. Standard Webhooks' `webhook-id`)."""

    header: str


class LiteralPart(SpecModel):
    """Fixed text between the parts, e.g. the `.` of `{id}.{timestamp}.{body}`."""

    literal: str


SignedPart = RequestPart | HeaderPart | LiteralPart
PART_HELP = (
    "Parts joined in order: body (raw bytes as received), url (the public URL the app calls, with the query), "
    "path, method, timestamp (as sent), timestamp_epoch (its Unix seconds), secret (the key itself, for digest "
    "schemes such as FKLOGIN), {header: NAME}, {literal: TEXT}."
)


class SignatureListSpec(SpecModel):
    """Several signatures in one header: `v1,sig1 v1,sig2` (Standard Webhooks) or `t=…,v1=…,v1=…` (Stripe).

    The header (after `prefix`) is split on `separator` into items `<name><assign><value>`; items named `version`
    are signatures (any may match), the item named `timestamp_item` is the timestamp, others are ignored."""

    separator: str = Field(min_length=1, examples=[" ", ","])
    assign: str = Field(min_length=1, description="Between an item's name and its value.", examples=[",", "="])
    version: str = Field(default="v1", description="Name of the items that are signatures.")
    timestamp_item: str | None = Field(default=None, description="Name of the item carrying the timestamp (`t`).")


class KeyIdEnvelopeSpec(SpecModel):
    """The header carries `base64(<key id>:<signature>)` (FKLOGIN): the key id must be the expected one."""

    key_id: str = Field(description="Template for the expected key id, e.g. {{ auth.client_id }}.")
    separator: str = ":"


class TimestampSpec(SpecModel):
    """When the app signed the delivery; outside `tolerance_seconds` of now (either way) it is refused (401)."""

    header: str | None = Field(default=None, description="Header carrying it; none when the signature list does.")
    format: Literal["epoch", "http_date", "iso8601"] = Field(
        default="epoch", description="epoch: Unix seconds; http_date: `Tue, 19 May 2015 09:02:15 GMT`."
    )
    tolerance_seconds: int = Field(default=300, gt=0, description="Replays older (or newer) than this are refused.")


class SignatureVerifySpec(SpecModel):
    """encode(MAC(key, content)) in a header, with the content built from parts of the request."""

    scheme: Literal["signature"]
    header: str = Field(description="Header carrying the signature(s).")
    prefix: str = Field(default="", description="Text before the signature(s), e.g. 'sha256=' or 'FKLOGIN '.")
    content: list[SignedPart] = Field(default_factory=lambda: ["body"], min_length=1, description=PART_HELP)
    content_alternatives: list[list[SignedPart]] = Field(
        default_factory=list,
        description="Other contents also accepted, where the vendor's documentation is ambiguous.",
    )
    mac: Literal["hmac", "digest"] = Field(
        default="hmac", description="hmac: HMAC keyed with the secret; digest: a plain hash (the content has 'secret')."
    )
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["base64", "hex"] = "hex"
    secret: str = Field(description="Template for the signing secret, e.g. {{ auth.webhook_secret }}.")
    key: Literal["text", "base64", "whsec"] = Field(
        default="text",
        description="How the secret becomes key bytes: text (UTF-8), base64 (decoded), whsec (Standard Webhooks: "
        "'whsec_' removed, then base64-decoded).",
    )
    signatures: SignatureListSpec | None = Field(default=None, description="Several signatures in the header.")
    envelope: KeyIdEnvelopeSpec | None = None
    timestamp: TimestampSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SignatureVerifySpec:
        for content in (self.content, *self.content_alternatives):
            if self.mac == "digest" and "secret" not in content:
                raise ValueError("mac: digest signs no key unless the content has the 'secret' part")
            if ({"timestamp", "timestamp_epoch"} & {p for p in content if isinstance(p, str)}) and not self.timestamp:
                raise ValueError("the content signs a timestamp: declare 'timestamp'")
        if self.timestamp and not self.timestamp.header and not (self.signatures and self.signatures.timestamp_item):
            raise ValueError("timestamp needs a 'header', or 'signatures.timestamp_item'")
        return self

    def templates(self) -> list[str]:
        return [self.secret, *([self.envelope.key_id] if self.envelope else [])]


Preset = Literal["shopify", "woocommerce", "standard_webhooks", "stripe", "fklogin"]


class PresetVerifySpec(SpecModel):
    """A common scheme by name; `resolved()` is its spelled-out `scheme: signature` form."""

    scheme: Preset
    secret: str = Field(description="Template for the signing secret (FKLOGIN: the app secret).")
    key_id: str | None = Field(default=None, description="fklogin: template for the app id, {{ auth.client_id }}.")
    tolerance_seconds: int | None = Field(default=None, gt=0, description="Replay window; the preset's default.")

    @model_validator(mode="after")
    def _key_id_for_fklogin(self) -> PresetVerifySpec:
        if (self.scheme == "fklogin") != (self.key_id is not None):
            raise ValueError("key_id is required by fklogin, and taken by no other preset")
        return self

    @property
    def header(self) -> str:
        return self.resolved().header

    def templates(self) -> list[str]:
        return self.resolved().templates()

    def resolved(self) -> SignatureVerifySpec:
        fields = dict(_PRESETS[self.scheme])
        if "timestamp" in fields and self.tolerance_seconds:
            fields["timestamp"] = {**fields["timestamp"], "tolerance_seconds": self.tolerance_seconds}
        if self.key_id is not None:
            fields["envelope"] = {"key_id": self.key_id}
        return SignatureVerifySpec.model_validate({"scheme": "signature", "secret": self.secret, **fields})


_BODY_HMAC_BASE64 = {"content": ["body"], "encoding": "base64"}
_PRESETS: dict[str, dict] = {
    "shopify": {"header": "X-Shopify-Hmac-Sha256", **_BODY_HMAC_BASE64},
    "woocommerce": {"header": "X-WC-Webhook-Signature", **_BODY_HMAC_BASE64},
    "standard_webhooks": {
        "header": "webhook-signature",
        "content": [{"header": "webhook-id"}, {"literal": "."}, "timestamp", {"literal": "."}, "body"],
        "encoding": "base64",
        "key": "whsec",
        "signatures": {"separator": " ", "assign": ",", "version": "v1"},
        "timestamp": {"header": "webhook-timestamp", "format": "epoch", "tolerance_seconds": 300},
    },
    "stripe": {
        "header": "Stripe-Signature",
        "content": ["timestamp", {"literal": "."}, "body"],
        "encoding": "hex",
        "signatures": {"separator": ",", "assign": "=", "version": "v1", "timestamp_item": "t"},
        "timestamp": {"format": "epoch", "tolerance_seconds": 300},
    },
    # Flipkart documents SHA-1(X_Date + url + method + secret) with X_Date an HTTP-date, but its worked example
    # hashes the epoch seconds: both are accepted. X_Date is when the notification was generated, so a retry may
    # carry an old one: the window is wide (an assumption; Flipkart documents none).
    "fklogin": {
        "header": "X_Authorization",
        "prefix": "FKLOGIN ",
        "content": ["timestamp", "url", "method", "secret"],
        "content_alternatives": [["timestamp_epoch", "url", "method", "secret"]],
        "mac": "digest",
        "algorithm": "sha1",
        "encoding": "hex",
        "timestamp": {"header": "X_Date", "format": "http_date", "tolerance_seconds": 3600},
    },
}
