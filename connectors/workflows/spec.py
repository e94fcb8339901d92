"""The workflow language: one client's trigger, conditions and ordered steps, as YAML data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from connectors.registry.dag_ids import dag_id_for
from connectors.spec.app_version import APP_REF
from connectors.spec.app_version import KEY as NAME
from connectors.spec.base import SpecModel
from connectors.spec.conditions import ConditionsSpec
from connectors.spec.lookup_tables import LookupTableSpec
from connectors.workflows.schedules import PRESETS, is_valid_schedule


class TriggerRefSpec(SpecModel):
    app: str = Field(pattern=APP_REF, description="app@version, e.g. shopify@1.0.0")
    connection: str = Field(description="Airflow connection id holding this client's credentials.")
    key: str = Field(description="Trigger key in the app version.")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Available to templates as `params`.")


class StepSpec(SpecModel):
    """One step: an `action` (a write) or a `search` (a lookup whose result later steps use)."""

    key: str = Field(pattern=NAME)
    app: str = Field(pattern=APP_REF)
    connection: str
    action: str | None = None
    search: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict, description="Templates over trigger, steps, params.")
    required: bool = Field(default=True, description="For a search: no match fails the run (else it is skipped).")

    @model_validator(mode="after")
    def _one_operation(self) -> StepSpec:
        if (self.action is None) == (self.search is None):
            raise ValueError("a step has exactly one of 'action' or 'search'")
        return self

    @property
    def kind(self) -> str:
        return "action" if self.action is not None else "search"

    @property
    def operation(self) -> str:
        return self.action or self.search or ""


class QualitySpec(SpecModel):
    """Data-quality gate for polled batches: rows failing the suite are kept aside and reported, not pushed."""

    suite: Literal["inventory_levels"] = "inventory_levels"
    sku_field: str = "sku"
    location_field: str = "location"
    quantity_field: str = "quantity"
    sku_map: str | None = Field(
        default="sku_map",
        description="Name of the params mapping SKUs to target ids: SKUs missing from it are kept aside. Checked "
        "only when the params have it; null when the target app resolves SKUs (no SKU map).",
    )


class WorkflowSpec(SpecModel):
    client: str = Field(pattern=NAME)
    key: str = Field(pattern=NAME)
    name: str
    description: str | None = None
    enabled: bool = True
    trigger: TriggerRefSpec
    conditions: ConditionsSpec = Field(default_factory=ConditionsSpec)
    schedule: str | None = Field(default=None, description="Polling only: cron or preset (@hourly).")
    start_date: dt.datetime | None = Field(default=None, description="Polling only: the first data interval.")
    quality: QualitySpec | None = None
    lookup_tables: dict[str, LookupTableSpec] = Field(
        default_factory=dict,
        description="Named key → value tables for the steps' templates: `{{ trigger.code | lookup(tables.name) }}`.",
    )
    steps: list[StepSpec] = Field(min_length=1)

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_schedule(value):
            raise ValueError(f"{value!r} is neither a cron expression nor a preset ({', '.join(sorted(PRESETS))})")
        return value

    @field_validator("lookup_tables")
    @classmethod
    def _table_names(cls, tables: dict[str, LookupTableSpec]) -> dict[str, LookupTableSpec]:
        wrong = sorted(name for name in tables if not re.fullmatch(NAME, name))
        if wrong:
            raise ValueError(f"lookup table names are lowercase words joined by '_' (templates read tables.<name>): "
                             f"{', '.join(map(repr, wrong))}")  # fmt: skip
        return tables

    @model_validator(mode="after")
    def _unique_step_keys(self) -> WorkflowSpec:
        keys = [step.key for step in self.steps]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"step keys must be unique; repeated: {', '.join(duplicates)}")
        return self

    @property
    def dag_id(self) -> str:
        return dag_id_for(self.client, self.key)
