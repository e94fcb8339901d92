"""The data-quality gate of polled inventory windows: superseded rows, reasons, the optional SKU map, caching."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.workflows import quality as gate
from connectors.workflows.quality import QualityReport, quality_gate, sku_map_of
from connectors.workflows.spec import QualitySpec, WorkflowSpec

SPEC = QualitySpec(sku_field="sku", location_field="warehouseId", quantity_field="sellable")
MAP = {"sku_map": {"TEE": 1, "MUG": 2, "CAP": 3}}


def row(sku: Any, sellable: Any, at: str = "10:10", warehouse: str = "GGN") -> dict[str, Any]:
    return {"sku": sku, "warehouseId": warehouse, "sellable": sellable, "updatedAt": f"2026-11-20T{at}:00+00:00"}


def run(rows: list[dict[str, Any]], spec: QualitySpec = SPEC, params: dict[str, Any] = MAP) -> QualityReport:
    return quality_gate(list(enumerate(rows, start=101)), spec, params, "updatedAt")


def test_each_bad_row_is_kept_aside_with_its_reasons_in_the_suites_order() -> None:
    report = run([
        row("TEE", 5),
        row(None, 3),                         # 102
        row("MUG", -1),                       # 103
        row("CAP", "n/a"),                    # 104: not a number: not an integer, not "below 0"
        row("CAP", 2.5, warehouse="BLR"),     # 105
        row("UNMAPPED", -4),                  # 106: two reasons
        row("TEE", "7", warehouse="BLR"),     # 107: a numeric string is an integer
        row("MUG", 4.0, warehouse="BLR"),     # 108
    ])  # fmt: skip
    assert report.failed == {
        102: ["SKU missing"],
        103: ["quantity below 0"],
        104: ["quantity is not an integer"],
        105: ["quantity is not an integer"],
        106: ["SKU not in the SKU map", "quantity below 0"],
    }
    assert sorted(report.passed) == [101, 107, 108] and report.superseded == []


def test_a_missing_quantity_column_fails_every_row() -> None:
    report = run([{"sku": "TEE", "warehouseId": "GGN"}, {"sku": "MUG", "warehouseId": "GGN"}])
    assert report.failed == {101: ["quantity is not an integer"], 102: ["quantity is not an integer"]}


def test_the_newest_row_per_sku_and_location_wins_and_the_older_ones_are_superseded() -> None:
    report = run([
        row("TEE", 5, at="10:30"),               # 101: superseded by 103 (later update)
        row("TEE", 6, at="10:10", warehouse="BLR"),
        row("TEE", 7, at="10:40"),               # 103
        row("TEE", 8, at="10:20"),               # 104: a later event, an earlier update: superseded
        row("MUG", -1, at="10:10"),              # 105: superseded, not failed
        row("MUG", 2, at="10:50"),               # 106
    ])  # fmt: skip
    assert report.superseded == [101, 104, 105]
    assert sorted(report.passed) == [102, 103, 106] and report.failed == {}


def test_without_an_updated_at_the_later_event_wins() -> None:
    events = [(1, {"sku": "TEE", "warehouseId": "GGN", "sellable": 1}),
              (2, {"sku": "TEE", "warehouseId": "GGN", "sellable": 2})]  # fmt: skip
    report = quality_gate(events, SPEC, MAP, "updatedAt")  # no record has updatedAt
    assert report.superseded == [1] and report.passed == [2]
    assert quality_gate(events, SPEC, MAP, None).superseded == [1]


def test_rows_without_a_sku_are_not_superseded_each_is_kept_aside() -> None:
    report = run([row(None, 1, at="10:10"), row(None, 2, at="10:20"), row("TEE", 3)])
    assert report.superseded == []
    assert report.failed == {101: ["SKU missing"], 102: ["SKU missing"]} and report.passed == [103]


def test_the_sku_map_is_checked_only_when_the_spec_names_it_and_the_params_have_it() -> None:
    rows = [row("TEE", 1), row("UNMAPPED", 2, warehouse="BLR")]
    assert run(rows).failed == {102: ["SKU not in the SKU map"]}
    assert run(rows, params={}).failed == {}  # named, absent: SKUs resolved in the target app
    assert run(rows, params={"sku_map": None}).failed == {}
    assert run(rows, spec=SPEC.model_copy(update={"sku_map": None})).failed == {}  # not named: params ignored
    assert run(rows, params={"sku_map": {}}).failed == {
        101: ["SKU not in the SKU map"],
        102: ["SKU not in the SKU map"],
    }
    assert run(rows, params={"sku_map": ["UNMAPPED"]}).failed == {101: ["SKU not in the SKU map"]}


def test_sku_map_of() -> None:
    assert sku_map_of(SPEC, MAP) == MAP["sku_map"]
    assert sku_map_of(SPEC, {}) is None
    assert sku_map_of(QualitySpec(sku_map=None), MAP) is None
    assert sku_map_of(QualitySpec(sku_map="skus"), {"skus": {"A": 1}}) == {"A": 1}


def test_the_spec_keeps_sku_map_as_the_default_and_accepts_none() -> None:
    assert QualitySpec().sku_map == "sku_map"
    base = {"client": "demo", "key": "stock", "name": "Stock",
            "trigger": {"app": "eshopbox@1.0.0", "connection": "c", "key": "inventory_changed"},
            "steps": [{"key": "s", "app": "shopify@1.0.0", "connection": "c",
                       "action": "set_inventory_level"}]}  # fmt: skip
    assert WorkflowSpec.model_validate({**base, "quality": {"sku_map": None}}).quality.sku_map is None  # type: ignore[union-attr]
    assert WorkflowSpec.model_validate({**base, "quality": {}}).quality.sku_map == "sku_map"  # type: ignore[union-attr]


def test_an_empty_window_is_an_empty_report() -> None:
    assert quality_gate([], SPEC, MAP, "updatedAt") == QualityReport()


def test_the_context_and_suites_are_built_once_per_process() -> None:
    run([row("TEE", 1)])
    context = gate._gx()
    suites = gate._suite.cache_info().currsize
    for n in range(3):  # other SKU maps, windows and params: the same context and suites
        run([row("TEE", n), row("X", 1, warehouse="BLR")], params={"sku_map": {"TEE": n, f"S{n}": 1}})
        run([row("MUG", n)], params={})
    assert gate._gx() is context
    assert gate._suite.cache_info().currsize <= suites + 1  # + the suite without a SKU map, if not built yet
    with_map, without = (gate._suite(gate._fields(SPEC, m)) for m in ({}, None))
    assert with_map[2] == ("SKU missing", "SKU not in the SKU map", "quantity is not an integer",
                           "quantity below 0", "more than one row for this SKU and location")  # fmt: skip
    assert "SKU not in the SKU map" not in without[2]


@pytest.mark.parametrize("rows", [5_000])
def test_a_large_window_gives_the_same_answer_as_row_by_row_rules(rows: int) -> None:
    records = []
    for n in range(rows):
        quantity: Any = n % 50 if n % 97 else -1
        if n % 89 == 0:
            quantity = "x"
        records.append(row(None if n % 101 == 0 else f"S{n % (rows - 300)}", quantity, at=f"10:{n % 60:02d}",
                           warehouse="GGN"))  # fmt: skip
    skus = {f"S{n}" for n in range(rows) if n % 7}
    report = run(records, params={"sku_map": dict.fromkeys(skus, 1)})
    latest: dict[tuple[str, str], tuple[str, int]] = {}
    for event_id, record in enumerate(records, start=101):
        if record["sku"] is not None:
            key = (record["sku"], record["warehouseId"])
            latest[key] = max(latest.get(key, ("", 0)), (record["updatedAt"], event_id))
    kept = {event_id for _, event_id in latest.values()}
    expected: dict[int, list[str]] = {}
    for event_id, record in enumerate(records, start=101):
        if record["sku"] is not None and event_id not in kept:
            continue
        reasons = []
        if record["sku"] is None:
            reasons.append("SKU missing")
        elif record["sku"] not in skus:
            reasons.append("SKU not in the SKU map")
        if record["sellable"] == "x":
            reasons.append("quantity is not an integer")
        elif record["sellable"] < 0:
            reasons.append("quantity below 0")
        if reasons:
            expected[event_id] = reasons
    assert report.failed == expected
    superseded = {event_id for event_id, r in enumerate(records, start=101) if r["sku"] is not None} - kept
    assert report.superseded == sorted(superseded)
    assert sorted(report.passed) == sorted(set(range(101, 101 + rows)) - superseded - set(expected))
