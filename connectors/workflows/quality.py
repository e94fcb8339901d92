"""Data-quality gate for polled inventory batches: pandas finds what changed, Great Expectations checks it.

Rows failing the suite are kept aside (their events marked failed with the reasons) and not pushed.

The Great Expectations context, its pandas data source and the suites are built once per process (`_gx`,
`_suite`): a window only adds its dataframe as the batch. The checks that need more than a column (is the quantity
an integer, is the SKU in the SKU map) are computed by pandas into boolean columns the suite checks, so a suite
does not depend on the SKU map's contents; the reasons of each row are put together from the failing expectations'
row indexes with numpy, without a Python loop over the rows.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from connectors.workflows.spec import QualitySpec

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
log = logging.getLogger(__name__)

SUPERSEDED = "superseded by a later update in the window"
QUANTITY_IS_INTEGER = "quantity_is_integer"
SKU_IN_MAP = "sku_in_map"
EVENT_ID = "event_id"
LOGGED_ROWS = 100  # rows kept aside logged one by one; the rest are counted by reason


@dataclass
class QualityReport:
    passed: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    failed: dict[int, list[str]] = field(default_factory=dict)


class _Fields(NamedTuple):
    """What a suite depends on: the spec's columns, and whether the SKU map is checked."""

    suite: str
    sku: str
    location: str
    quantity: str
    sku_map: bool


def sku_map_of(quality: QualitySpec, params: dict[str, Any]) -> Collection[Any] | None:
    """The SKU map the suite checks SKUs against: the params entry the spec names, when it names one and the params
    have it; else None, and no SKU is checked against a map (a workflow resolving SKUs in the target app)."""
    if not quality.sku_map:
        return None
    return params.get(quality.sku_map)


def latest_per_key(rows: pd.DataFrame, quality: QualitySpec, updated_at: str | None) -> tuple[pd.DataFrame, list[int]]:
    """One row per (SKU, location): the newest in the window. Returns it and the superseded event ids.

    A row without a SKU supersedes nothing and is superseded by nothing (nothing says which record it is): each
    one is checked, and kept aside as "SKU missing"."""
    ordered = rows.sort_values([updated_at, EVENT_ID] if updated_at else [EVENT_ID], kind="stable")
    older = (
        ordered.duplicated(subset=[quality.sku_field, quality.location_field], keep="last").to_numpy()
        & ordered[quality.sku_field].notna().to_numpy()
    )
    superseded = np.sort(ordered[EVENT_ID].to_numpy()[older])
    return ordered[~older], superseded.tolist()


@functools.cache
def _gx() -> Any:
    """The process's Great Expectations batch definition (ephemeral context, pandas data source): built once."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("polled").add_dataframe_asset("rows")
    return asset.add_batch_definition_whole_dataframe("window")


_validating = threading.Lock()  # one window at a time through the shared context and suites


@functools.lru_cache(maxsize=32)
def _suite(fields: _Fields) -> tuple[Any, dict[tuple[str, str], int], tuple[str, ...]]:
    """The suite of these fields, built once; its expectations' positions, by (type, columns); their reasons."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    _gx()  # a suite needs the context
    checks: list[tuple[Any, str]] = [(gxe.ExpectColumnValuesToNotBeNull(column=fields.sku), "SKU missing")]
    if fields.sku_map:
        checks.append((gxe.ExpectColumnValuesToBeInSet(column=SKU_IN_MAP, value_set=[True]), "SKU not in the SKU map"))
    checks += [
        (gxe.ExpectColumnValuesToBeInSet(column=QUANTITY_IS_INTEGER, value_set=[True]), "quantity is not an integer"),
        (gxe.ExpectColumnValuesToBeBetween(column=fields.quantity, min_value=0), "quantity below 0"),
        (
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=[fields.sku, fields.location], ignore_row_if="any_value_is_missing"
            ),
            "more than one row for this SKU and location",
        ),
    ]
    suite = gx.ExpectationSuite(name=fields.suite)
    for expectation, _ in checks:
        suite.add_expectation(expectation)
    positions = {_key(expectation.configuration): bit for bit, (expectation, _) in enumerate(checks)}
    return suite, positions, tuple(reason for _, reason in checks)


def _fields(quality: QualitySpec, sku_map: Collection[Any] | None) -> _Fields:
    return _Fields(
        quality.suite, quality.sku_field, quality.location_field, quality.quantity_field, sku_map is not None
    )


def validate_inventory(
    rows: pd.DataFrame, quality: QualitySpec, sku_map: Collection[Any] | None
) -> dict[int, list[str]]:
    """Event id -> reasons, for every row the expectation suite rejects. With `sku_map` None, SKUs are not checked
    against a map."""
    sku, quantity_field = rows[quality.sku_field].to_numpy(), rows[quality.quantity_field]
    quantities = pd.to_numeric(pd.Series(quantity_field.to_numpy(dtype=object)), errors="coerce")
    frame = pd.DataFrame(
        {
            quality.sku_field: sku,
            quality.location_field: rows[quality.location_field].to_numpy(),
            quality.quantity_field: quantities.to_numpy(),
            QUANTITY_IS_INTEGER: (quantities.notna() & (quantities == quantities.round())).to_numpy(),
        }
    )
    if sku_map is not None:
        skus = frame[quality.sku_field]
        frame[SKU_IN_MAP] = skus.isna() | skus.isin(list(sku_map))  # a missing SKU fails "SKU missing" only
    with _validating:
        suite, positions, reasons = _suite(_fields(quality, sku_map))
        batch = _gx().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    # bit i of a row's code: the row fails expectation i; the reasons of a code are those of its bits, in order
    codes = np.zeros(len(frame), dtype=np.int64)
    for outcome in result.results:
        if outcome.success:
            continue
        bit = positions[_key(outcome.expectation_config)]
        if error := _raised(outcome.exception_info):
            raise RuntimeError(f"quality suite: {reasons[bit]}: the check failed: {error}")
        indexes = np.asarray(outcome.result.get("unexpected_index_list") or [], dtype=np.int64)
        codes[indexes] |= 1 << bit
    failing = np.flatnonzero(codes)
    if not len(failing):
        return {}
    texts = {int(code): [r for bit, r in enumerate(reasons) if code >> bit & 1] for code in np.unique(codes[failing])}
    event_ids = rows[EVENT_ID].to_numpy()[failing].tolist()
    return {event_id: list(texts[code]) for event_id, code in zip(event_ids, codes[failing].tolist(), strict=True)}


def _raised(info: Any) -> str | None:
    """The message of an exception an expectation raised (its rows would otherwise pass unchecked), if any."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    return next((message for value in info.values() if (message := _raised(value))), None)


def _key(config: Any) -> tuple[str, str]:
    kwargs = config.kwargs
    return config.type, str(kwargs.get("column") or kwargs.get("column_list"))


def _rows(events: list[tuple[int, dict[str, Any]]], columns: list[str]) -> pd.DataFrame:
    """The columns the gate reads, from the events' records (a column no record has is all None)."""
    payloads = [payload for _, payload in events]
    data = {name: pd.Series([p.get(name) for p in payloads], dtype=object) for name in dict.fromkeys(columns)}
    data[EVENT_ID] = pd.Series([event_id for event_id, _ in events], dtype=np.int64)
    return pd.DataFrame(data)


def quality_gate(
    events: list[tuple[int, dict[str, Any]]], quality: QualitySpec, params: dict[str, Any], updated_at: str | None
) -> QualityReport:
    """Split a polled batch into rows to push, rows superseded within the window, and rows kept aside."""
    report = QualityReport()
    if not events:
        return report
    columns = [quality.sku_field, quality.location_field, quality.quantity_field]
    if updated_at and any(updated_at in payload for _, payload in events):
        columns.append(updated_at)
    else:
        updated_at = None
    rows = _rows(events, columns)
    latest, report.superseded = latest_per_key(rows, quality, updated_at)
    report.failed = validate_inventory(latest, quality, sku_map_of(quality, params))
    latest_ids = latest[EVENT_ID]
    report.passed = latest_ids[~latest_ids.isin(list(report.failed))].tolist()
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
    failed = sorted(report.failed.items())
    outcomes = [
        *(EventOutcome(i, EventStatus.FILTERED, SUPERSEDED) for i in report.superseded),
        *(EventOutcome(i, EventStatus.FAILED, "quality: " + "; ".join(reasons)) for i, reasons in failed),
    ]
    with session_scope() as session:
        finish_events(session.connection(), outcomes)
    for event_id, reasons in failed[:LOGGED_ROWS]:
        log.warning("kept aside, not pushed: event %s: %s", event_id, "; ".join(reasons))
    if len(failed) > LOGGED_ROWS:
        counts = pd.Series([reason for _, reasons in failed[LOGGED_ROWS:] for reason in reasons]).value_counts()
        log.warning("kept aside, not pushed: %d more events: %s", len(failed) - LOGGED_ROWS,
                    ", ".join(f"{reason} ({count})" for reason, count in counts.items()))  # fmt: skip
    log.info("quality gate: %d to push, %d superseded, %d kept aside",
             len(report.passed), len(report.superseded), len(report.failed))  # fmt: skip
    return len(outcomes)
