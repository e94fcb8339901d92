"""Actions (writes) and searches (reads used to look something up first)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from connectors.spec.base import RequestSpec, SpecModel, TypedFieldSpec
from connectors.spec.triggers import OutputFieldSpec


class SearchFirstSpec(SpecModel):
    """Run a search before the action: find-or-create, or find-then-update."""

    search: str = Field(description="Key of a search in this app version.")
    inputs: dict[str, str] = Field(default_factory=dict, description="Search inputs, templated from action inputs.")
    mode: Literal["find_or_create", "find_then_update"] = "find_or_create"


class IdempotencyKeySpec(SpecModel):
    """The app deduplicates requests that carry the same key in a header (e.g. `Idempotency-Key`): every attempt
    of one step for one event sends the same key, so the request may be re-sent safely."""

    header: str = Field(description="Request header that carries the key.")


class SearchSpec(SpecModel):
    name: str
    description: str | None = None
    inputs: dict[str, TypedFieldSpec] = Field(default_factory=dict)
    request: RequestSpec
    records: str = Field(default="", description="Dotted path to the matches; '' = root.")
    output: dict[str, OutputFieldSpec] = Field(default_factory=dict)


class ActionSpec(SpecModel):
    name: str
    description: str | None = None
    kind: Literal["create", "update", "delete"] = "create"
    inputs: dict[str, TypedFieldSpec] = Field(default_factory=dict)
    request: RequestSpec
    result: str = Field(default="", description="Dotted path to the created/updated object; '' = root.")
    output: dict[str, OutputFieldSpec] = Field(default_factory=dict)
    search_first: SearchFirstSpec | None = None
    idempotency_key: IdempotencyKeySpec | None = None
