"""Conditions on trigger data, and step input mappings."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.runtime.conditions import evaluate_conditions
from connectors.runtime.mapping import render_mapping
from connectors.spec.conditions import ConditionsSpec

SHIPMENT = {"status": "packed", "weight": "1.5", "tags": ["cod", "fragile"], "courier": {"name": "Delhivery"}}


def conditions(**groups: Any) -> ConditionsSpec:
    return ConditionsSpec.model_validate(groups)


@pytest.mark.parametrize(
    ("condition", "passes"),
    [
        ({"field": "status", "operator": "equals", "value": "packed"}, True),
        ({"field": "status", "operator": "equals", "value": "delivered"}, False),
        ({"field": "status", "operator": "in", "value": ["packed", "dispatched"]}, True),
        ({"field": "courier.name", "operator": "not_equals", "value": "Shiprocket"}, True),
        ({"field": "weight", "operator": "gt", "value": 1}, True),
        ({"field": "weight", "operator": "lte", "value": 1}, False),
        ({"field": "tags", "operator": "contains", "value": "cod"}, True),
        ({"field": "awb", "operator": "exists"}, False),
        ({"field": "awb", "operator": "not_exists"}, True),
        ({"field": "awb", "operator": "equals", "value": ""}, False),
        ({"field": "status", "operator": "matches", "value": "^pack"}, True),
    ],
)
def test_condition_operators(condition: dict[str, Any], passes: bool) -> None:
    assert evaluate_conditions(conditions(all=[condition]), SHIPMENT)[0] is passes


def test_failed_condition_says_what_was_found() -> None:
    passed, reason = evaluate_conditions(
        conditions(all=[{"field": "status", "operator": "equals", "value": "delivered"}]), SHIPMENT
    )
    assert not passed and reason == "condition not met: status equals 'delivered' (was 'packed')"


def test_any_group_needs_one_match() -> None:
    any_of = [{"field": "status", "value": "delivered"}, {"field": "status", "value": "packed"}]
    assert evaluate_conditions(conditions(any=any_of), SHIPMENT)[0]
    assert not evaluate_conditions(conditions(any=any_of[:1]), SHIPMENT)[0]


def test_for_each_builds_a_list_with_native_values() -> None:
    mapping = {
        "items": {
            "for_each": "{{ trigger.line_items }}",
            "as": "line",
            "map": {"seq": "{{ index }}", "sku": "{{ line.sku }}", "total": "{{ line.price * line.quantity }}"},
        },
        "note": "order {{ trigger.name }}",
    }
    trigger = {
        "name": "#1001",
        "line_items": [{"sku": "A", "price": 2.5, "quantity": 2}, {"sku": "B", "price": 1, "quantity": 1}],
    }
    assert render_mapping(mapping, {"trigger": trigger}) == {
        "items": [{"seq": 1, "sku": "A", "total": 5.0}, {"seq": 2, "sku": "B", "total": 1}],
        "note": "order #1001",
    }
