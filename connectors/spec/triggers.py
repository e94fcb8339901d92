"""Trigger blocks: webhooks (the app calls us) and polling (we ask the app)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from connectors.spec.base import RequestSpec, SpecModel
from connectors.spec.pagination import PaginationSpec


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


WebhookVerifySpec = Annotated[HmacVerifySpec | StaticTokenVerifySpec | NoVerifySpec, Field(discriminator="scheme")]


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
    sensitive: bool = Field(
        default=False,
        description="Personal data (e-mail, phone, address): its values, down to every leaf, are masked in the log "
        "lines written while an event is processed.",
    )


class WebhookTriggerSpec(SpecModel):
    type: Literal["webhook"]
    name: str
    description: str | None = None
    verify: WebhookVerifySpec
    dedupe_key: ValueSourceSpec = Field(
        description="Header or body path(s) identifying a delivery; a redelivery with the same value is a duplicate."
    )
    topic: TopicFilterSpec | None = None
    output: dict[str, OutputFieldSpec] = Field(default_factory=dict)


class WindowSpec(SpecModel):
    """How the polling window [start, end) is sent to the app."""

    start_param: str
    end_param: str | None = None
    format: str = Field(default="iso8601", description="iso8601, epoch, or a strftime pattern.")
    overlap_seconds: int = Field(default=0, ge=0)


class PollingTriggerSpec(SpecModel):
    type: Literal["polling"]
    name: str
    description: str | None = None
    request: RequestSpec
    records: str = Field(default="", description="Dotted path to the record list in the response; '' = root.")
    id_field: str | list[str] = Field(description="Field(s) identifying a record; several are joined by ':'.")
    updated_at_field: str | None = None
    window: WindowSpec | None = None
    pagination: PaginationSpec | None = None
    output: dict[str, OutputFieldSpec] = Field(default_factory=dict)


TriggerSpec = Annotated[WebhookTriggerSpec | PollingTriggerSpec, Field(discriminator="type")]
