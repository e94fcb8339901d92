"""Form-style conditions on trigger data (`status equals packed`), as Zapier filters work."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connectors.runtime.paths import dig
from connectors.spec.conditions import ConditionSpec, ConditionsSpec

_MISSING = object()


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        try:
            return op(float(actual), float(expected))
        except (TypeError, ValueError):
            return False

    return compare


def _text(value: Any) -> str:
    return "" if value is None else str(value)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, e: a is not _MISSING and _text(a) == _text(e),
    "not_equals": lambda a, e: a is _MISSING or _text(a) != _text(e),
    "in": lambda a, e: a is not _MISSING and _text(a) in {_text(v) for v in e},
    "not_in": lambda a, e: a is _MISSING or _text(a) not in {_text(v) for v in e},
    "contains": lambda a, e: a is not _MISSING and (e in a if isinstance(a, list) else _text(e) in _text(a)),
    "not_contains": lambda a, e: a is _MISSING or not (e in a if isinstance(a, list) else _text(e) in _text(a)),
    "exists": lambda a, e: a is not _MISSING and a is not None,
    "not_exists": lambda a, e: a is _MISSING or a is None,
    "gt": _compare(lambda a, e: a > e),
    "gte": _compare(lambda a, e: a >= e),
    "lt": _compare(lambda a, e: a < e),
    "lte": _compare(lambda a, e: a <= e),
    "matches": lambda a, e: a is not _MISSING and re.search(str(e), _text(a)) is not None,
}


def condition_holds(condition: ConditionSpec, data: Any) -> bool:
    return _OPERATORS[condition.operator](dig(data, condition.field, _MISSING), condition.value)


@dataclass(frozen=True)
class ConditionOutcome:
    """One condition on one piece of data: whether it holds, and the value it read (`missing` when the field is
    not there at all, which is not the same as a null)."""

    condition: ConditionSpec
    holds: bool
    actual: Any = None
    missing: bool = False


def outcomes(conditions: Iterable[ConditionSpec], data: Any) -> list[ConditionOutcome]:
    """Each condition's outcome on `data`, in order (a dry run shows them all; `evaluate_conditions` stops early)."""
    found = []
    for condition in conditions:
        actual = dig(data, condition.field, _MISSING)
        holds = _OPERATORS[condition.operator](actual, condition.value)
        missing = actual is _MISSING
        found.append(ConditionOutcome(condition, holds, None if missing else actual, missing))
    return found


def describe(condition: ConditionSpec, data: Any) -> str:
    actual = dig(data, condition.field, _MISSING)
    shown = "missing" if actual is _MISSING else repr(actual)
    return f"{condition.field} {condition.operator} {condition.value!r} (was {shown})"


def evaluate_conditions(conditions: ConditionsSpec, data: Any) -> tuple[bool, str]:
    """Whether the event passes, and why not when it does not."""
    for condition in conditions.all:
        if not condition_holds(condition, data):
            return False, f"condition not met: {describe(condition, data)}"
    if conditions.any and not any(condition_holds(c, data) for c in conditions.any):
        return False, "none of the 'any' conditions met: " + "; ".join(describe(c, data) for c in conditions.any)
    return True, ""
