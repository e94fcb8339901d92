"""Conditions of the workflow language: form-style filters on trigger data (`status equals packed`).

The models live in spec, below both users: `connectors.workflows.spec` embeds them in a workflow, and
`connectors.runtime.conditions` evaluates them; the runtime may not import the workflows package.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from connectors.spec.base import SpecModel

Operator = Literal[
    "equals", "not_equals", "in", "not_in", "contains", "not_contains", "exists", "not_exists",
    "gt", "gte", "lt", "lte", "matches",
]  # fmt: skip


class ConditionSpec(SpecModel):
    """A form-style filter on trigger data: `{field: status, operator: equals, value: packed}`."""

    field: str = Field(description="Dotted path in the trigger data.")
    operator: Operator = "equals"
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> ConditionSpec:
        if self.operator in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"operator '{self.operator}' needs a list value")
        if self.operator not in ("exists", "not_exists") and self.value is None:
            raise ValueError(f"operator '{self.operator}' needs a value")
        return self


class ConditionsSpec(SpecModel):
    """`all` must all hold and at least one of `any` (when given); otherwise the event is filtered."""

    all: list[ConditionSpec] = Field(default_factory=list)
    any: list[ConditionSpec] = Field(default_factory=list)
