"""Magento's `searchCriteria` query parameters, applied to in-memory records as its collections apply them.

    searchCriteria[filter_groups][G][filters][F][field|value|condition_type]   filters in a group: OR; groups: AND
    searchCriteria[sortOrders][N][field|direction]                             ASC (default) or DESC
    searchCriteria[pageSize], searchCriteria[currentPage]                      no page size: everything

A page past the last one answers the last page again (the collection clamps `currentPage`), so a client can only
stop on `total_count`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from connectors.sandbox.magento.authentication import magento_error, required_fields_error

_FILTER = re.compile(r"searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type)\]")
_SORT = re.compile(r"searchCriteria\[sortOrders\]\[(\d+)\]\[(field|direction)\]")


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(left: Any, right: str) -> int:
    """Numbers as numbers, anything else (dates `YYYY-MM-DD HH:MM:SS` included) as text, as MySQL would."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    text = "" if left is None else str(left)
    return (text > right) - (text < right)


def _sort_key(value: Any) -> tuple[int, float, str]:
    """NULLs first, then numbers, then text (one key type for every record)."""
    if value is None:
        return (0, 0.0, "")
    number = _number(value)
    return (1, number, "") if number is not None else (2, 0.0, str(value))


def _like(value: Any, pattern: str) -> bool:
    return fnmatchcase(str(value or "").lower(), pattern.lower().replace("%", "*").replace("_", "?"))


def _in(value: Any, listed: str) -> bool:
    return any(_compare(value, item.strip()) == 0 for item in listed.split(","))


CONDITIONS: dict[str, Callable[[Any, str], bool]] = {
    "eq": lambda v, x: _compare(v, x) == 0,
    "neq": lambda v, x: _compare(v, x) != 0,
    "gt": lambda v, x: v is not None and _compare(v, x) > 0,
    "gteq": lambda v, x: v is not None and _compare(v, x) >= 0,
    "moreq": lambda v, x: v is not None and _compare(v, x) >= 0,
    "from": lambda v, x: v is not None and _compare(v, x) >= 0,
    "lt": lambda v, x: v is not None and _compare(v, x) < 0,
    "lteq": lambda v, x: v is not None and _compare(v, x) <= 0,
    "to": lambda v, x: v is not None and _compare(v, x) <= 0,
    "like": _like,
    "nlike": lambda v, x: not _like(v, x),
    "in": _in,
    "nin": lambda v, x: not _in(v, x),
    "finset": lambda v, x: x in str(v or "").split(","),
    "nfinset": lambda v, x: x not in str(v or "").split(","),
    "null": lambda v, x: v is None,
    "notnull": lambda v, x: v is not None,
}


@dataclass
class Filter:
    field: str = ""
    value: str = ""
    condition_type: str = "eq"


@dataclass
class SearchCriteria:
    groups: dict[int, dict[int, Filter]] = field(default_factory=dict)
    sort_orders: dict[int, dict[str, str]] = field(default_factory=dict)
    page_size: int | None = None
    current_page: int | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> SearchCriteria:
        """Parse the query; Magento requires `searchCriteria` to be present in some form."""
        if not any(name.startswith("searchCriteria") for name in query):
            raise required_fields_error(["searchCriteria"])
        criteria = cls()
        for name, value in query.items():
            if match := _FILTER.fullmatch(name):
                group, index, part = int(match[1]), int(match[2]), match[3]
                setattr(criteria.groups.setdefault(group, {}).setdefault(index, Filter()), part, value)
            elif match := _SORT.fullmatch(name):
                criteria.sort_orders.setdefault(int(match[1]), {})[match[2]] = value
            elif name in ("searchCriteria[pageSize]", "searchCriteria[currentPage]"):
                if not value.isdigit():
                    raise magento_error(400, 'The "%1" value\'s type is invalid. The "int" type was expected. '
                                        "Verify and try again.", **{"1": value})  # fmt: skip
                if name.endswith("[pageSize]"):
                    criteria.page_size = int(value)
                else:
                    criteria.current_page = int(value)
        for group in criteria.groups.values():
            for condition in group.values():
                if condition.condition_type not in CONDITIONS:
                    raise magento_error(400, 'Invalid condition type "%1"', **{"1": condition.condition_type})
        return criteria

    def matches(self, record: Mapping[str, Any]) -> bool:
        return all(
            any(CONDITIONS[f.condition_type](record.get(f.field), f.value) for f in group.values())
            for group in self.groups.values()
        )

    def as_dict(self) -> dict[str, Any]:
        """The `search_criteria` Magento echoes back with the results."""
        echoed: dict[str, Any] = {
            "filter_groups": [
                {"filters": [vars(group[i]).copy() for i in sorted(group)]} for _, group in sorted(self.groups.items())
            ]
        }
        if self.sort_orders:
            echoed["sort_orders"] = [self.sort_orders[i] for i in sorted(self.sort_orders)]
        if self.page_size is not None:
            echoed["page_size"] = self.page_size
        if self.current_page is not None:
            echoed["current_page"] = self.current_page
        return echoed

    def search(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """`{items, search_criteria, total_count}` over `records` (sorted by id unless told otherwise)."""
        found = [r for r in records if self.matches(r)]
        for _, order in sorted(self.sort_orders.items(), reverse=True):  # the first sort order matters most
            name = order.get("field", "")
            descending = order.get("direction", "ASC").upper() == "DESC"
            found.sort(key=lambda r, name=name: _sort_key(r.get(name)), reverse=descending)
        page = found
        if self.page_size:
            last = max(1, math.ceil(len(found) / self.page_size))
            current = min(max(1, self.current_page or 1), last)  # past the end: the last page again
            page = found[(current - 1) * self.page_size : current * self.page_size]
        return {"items": page, "search_criteria": self.as_dict(), "total_count": len(found)}
