"""Trigger blocks: webhooks (the app calls us) and polling (we ask the app)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from connectors.spec.base import Choices, RequestSpec, SpecModel
from connectors.spec.pagination import PaginationSpec
from connectors.spec.signatures import PresetVerifySpec, SignatureVerifySpec


class HmacVerifySpec(SpecModel):
    """Signature = encode(HMAC(secret, raw body)) carried in a header (Shopify, WooCommerce)."""

    scheme: Literal["hmac"]
    header: str
    secret: str = Field(description="Template for the signing secret, e.g. {{ auth.webhook_secret }}.")
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["base64", "hex"] = "base64"
    prefix: str = Field(default="", description="Text before the signature in the header, e.g. 'sha256='.")


class StaticTokenVerifySpec(SpecModel):
    """A shared token the app sends in a header (Eshopbox, Delhivery, Shiprocket)."""

    scheme: Literal["static_token"]
    header: str
    value: str = Field(description="Template for the expected header value.")


class NoVerifySpec(SpecModel):
    scheme: Literal["none"]


WebhookVerifySpec = Annotated[
    HmacVerifySpec | StaticTokenVerifySpec | NoVerifySpec | SignatureVerifySpec | PresetVerifySpec,
    Field(discriminator="scheme"),
]


class ValueSourceSpec(SpecModel):
    """A value taken from a webhook delivery: a header or a dotted path in the JSON body."""

    header: str | None = None
    path: str | list[str] | None = Field(default=None, description="Dotted path(s); several are joined by ':'.")

    @model_validator(mode="after")
    def _exactly_one(self) -> ValueSourceSpec:
        if (self.header is None) == (self.path is None):
            raise ValueError("give exactly one of 'header' or 'path'")
        return self


class TopicFilterSpec(ValueSourceSpec):
    """Deliveries whose topic is not in `values` are acknowledged and ignored."""

    values: list[str] = Field(min_length=1)


class OutputFieldSpec(SpecModel):
    label: str | None = None
    type: Literal["string", "integer", "number", "boolean", "object", "array", "datetime"] = "string"
    choices: Choices = Field(
        default=None,
        description="Every value the field can take (a vendor's status codes): the vocabulary a workflow's lookup "
        "table from this field is checked against.",
    )
    sensitive: bool = Field(
        default=False,
        description="Personal data (e-mail, phone, address): its values, down to every leaf, are masked in the log "
        "lines written while an event is processed.",
    )


class PingSpec(SpecModel):
    """An unsigned test request the app sends to a new webhook URL and that must be answered 200 (WooCommerce's
    `webhook_id=<id>`, form-encoded, on creation). A delivery whose whole body matches `body_pattern` and whose
    Content-Type is `content_type` is acknowledged without being verified or stored."""

    body_pattern: str = Field(description="Regular expression the whole raw body must match.")
    content_type: str = "application/x-www-form-urlencoded"

    def matches(self, body: bytes, content_type: str) -> bool:
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != self.content_type.lower() or len(body) > 1024:
            return False
        return re.fullmatch(self.body_pattern, body.decode("utf-8", "replace")) is not None


class TriggerDataSpec(SpecModel):
    """What a trigger's events carry, shared by both kinds: the fields workflows may map from, and one example."""

    output: dict[str, OutputFieldSpec] = Field(default_factory=dict)
    sample: dict[str, Any] | None = Field(
        default=None,
        description="One event's data as the app sends it (a webhook body, a polled record): what a dry run shows "
        "when no event has been stored yet. It holds every declared output field.",
    )

    @model_validator(mode="after")
    def _sample_holds_the_outputs(self) -> TriggerDataSpec:
        """A declared sample shows every declared output field, so it cannot drift from them unnoticed."""
        missing = [name for name in self.output if self.sample is not None and name not in self.sample]
        if missing:
            raise ValueError(f"the sample lacks the declared output field(s) {', '.join(missing)}")
        return self


class WebhookTriggerSpec(TriggerDataSpec):
    type: Literal["webhook"]
    name: str
    description: str | None = None
    verify: WebhookVerifySpec
    dedupe_key: ValueSourceSpec = Field(
        description="Header or body path(s) identifying a delivery; a redelivery with the same value is a duplicate."
    )
    topic: TopicFilterSpec | None = None
    ping: PingSpec | None = None


class WindowSpec(SpecModel):
    """How the polling window [start, end) is sent to the app."""

    start_param: str | None = Field(
        default=None,
        description="Query parameter of the start; none for a GraphQL trigger, whose variables use "
        "`window.start_text` and `window.end_text` (the instants in `format`, the start moved back by the overlap).",
    )
    end_param: str | None = None
    format: str = Field(default="iso8601", description="iso8601, epoch, or a strftime pattern.")
    overlap_seconds: int = Field(default=0, ge=0)


class PollingTriggerSpec(TriggerDataSpec):
    type: Literal["polling"]
    name: str
    description: str | None = None
    request: RequestSpec
    records: str = Field(default="", description="Dotted path to the record list in the response; '' = root.")
    id_field: str | list[str] = Field(description="Field(s) identifying a record; several are joined by ':'.")
    updated_at_field: str | None = None
    window: WindowSpec | None = None
    pagination: PaginationSpec | None = None


TriggerSpec = Annotated[WebhookTriggerSpec | PollingTriggerSpec, Field(discriminator="type")]
