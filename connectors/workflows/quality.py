"""Data-quality gate for polled inventory batches: pandas finds what changed, Great Expectations checks it.

Rows failing the suite are kept aside (their events marked failed with the reasons) and not pushed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from connectors.workflows.spec import QualitySpec

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
log = logging.getLogger(__name__)


@dataclass
class QualityReport:
    passed: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    failed: dict[int, list[str]] = field(default_factory=dict)


def latest_per_key(rows: pd.DataFrame, quality: QualitySpec, updated_at: str | None) -> tuple[pd.DataFrame, list[int]]:
    """One row per (SKU, location): the newest in the window. Returns it and the superseded event ids."""
    keys = [quality.sku_field, quality.location_field]
    ordered = rows.sort_values([updated_at, "event_id"] if updated_at else ["event_id"], kind="stable")
    latest = ordered.drop_duplicates(subset=keys, keep="last") if not rows.empty else ordered
    superseded = sorted(set(rows["event_id"]) - set(latest["event_id"]))
    return latest, superseded


def _suite(quality: QualitySpec, mapped_skus: list[str]) -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=quality.suite)
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=quality.sku_field))
    suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=quality.sku_field, value_set=mapped_skus))
    suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column="quantity_is_integer", value_set=[True]))
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=quality.quantity_field, min_value=0))
    suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=[quality.sku_field, quality.location_field]))
    return suite


def _reason(expectation: str, column: str | None) -> str:
    if expectation == "expect_column_values_to_not_be_null":
        return "SKU missing"
    if expectation == "expect_column_values_to_be_in_set":
        return "quantity is not an integer" if column == "quantity_is_integer" else "SKU not in the SKU map"
    if expectation == "expect_column_values_to_be_between":
        return "quantity below 0"
    if expectation == "expect_compound_columns_to_be_unique":
        return "more than one row for this SKU and location"
    return expectation


def validate_inventory(rows: pd.DataFrame, quality: QualitySpec, sku_map: dict[str, Any]) -> dict[int, list[str]]:
    """Event id -> reasons, for every row the expectation suite rejects."""
    import great_expectations as gx

    frame = rows.reset_index(drop=True).copy()
    quantities = pd.to_numeric(frame[quality.quantity_field], errors="coerce")
    frame["quantity_is_integer"] = quantities.notna() & (quantities == quantities.round())
    frame[quality.quantity_field] = quantities
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("polled").add_dataframe_asset("rows")
    batch = asset.add_batch_definition_whole_dataframe("window").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(_suite(quality, sorted(sku_map)), result_format={"result_format": "COMPLETE"})
    failures: dict[int, list[str]] = {}
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        reason = _reason(config.type, config.kwargs.get("column"))
        for index in outcome.result.get("unexpected_index_list") or []:
            failures.setdefault(int(frame.loc[index, "event_id"]), []).append(reason)
    return failures


def quality_gate(
    events: list[tuple[int, dict[str, Any]]], quality: QualitySpec, params: dict[str, Any], updated_at: str | None
) -> QualityReport:
    """Split a polled batch into rows to push, rows superseded within the window, and rows kept aside."""
    report = QualityReport()
    if not events:
        return report
    rows = pd.DataFrame([{**payload, "event_id": event_id} for event_id, payload in events])
    for column in (quality.sku_field, quality.location_field, quality.quantity_field):
        if column not in rows:
            rows[column] = None
    latest, report.superseded = latest_per_key(rows, quality, updated_at if updated_at in rows else None)
    report.failed = validate_inventory(latest, quality, params.get(quality.sku_map) or {})
    report.passed = [int(i) for i in latest["event_id"] if int(i) not in report.failed]
    return report


def set_aside(
    events: list[tuple[int, dict[str, Any]]], quality: QualitySpec, params: dict[str, Any], updated_at: str | None
) -> int:
    """Gate a polled window before any run claims it: superseded rows are filtered, failing rows failed with the
    reasons; returns how many were set aside."""
    from connectors.registry.db import session_scope
    from connectors.registry.inbox import EventOutcome, finish_events
    from connectors.registry.models import EventStatus

    report = quality_gate(events, quality, params, updated_at)
    superseded = "superseded by a later update in the window"
    outcomes = [
        *(EventOutcome(i, EventStatus.FILTERED, superseded) for i in report.superseded),
        *(EventOutcome(i, EventStatus.FAILED, "quality: " + "; ".join(r)) for i, r in sorted(report.failed.items())),
    ]
    with session_scope() as session:
        finish_events(session.connection(), outcomes)
    for event_id, reasons in sorted(report.failed.items()):
        log.warning("kept aside, not pushed: event %s: %s", event_id, "; ".join(reasons))
    log.info("quality gate: %d to push, %d superseded, %d kept aside",
             len(report.passed), len(report.superseded), len(report.failed))  # fmt: skip
    return len(outcomes)
