"""Field mappings of a workflow step: templates, plus `for_each` to build lists (an order's line items)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.runtime.templating import render_value

FOR_EACH = "for_each"


def is_for_each(value: Any) -> bool:
    return isinstance(value, Mapping) and FOR_EACH in value


def render_mapping(value: Any, context: Mapping[str, Any]) -> Any:
    """Render templates; `{for_each: <list template>, as: item, map: {...}}` renders `map` once per element,
    with the element as `item` (or the name in `as`) and its 1-based position as `index`."""
    if is_for_each(value):
        items = render_value(value[FOR_EACH], context) or []
        name = value.get("as", "item")
        return [
            render_mapping(value.get("map", {}), {**context, name: item, "index": position})
            for position, item in enumerate(items, start=1)
        ]
    if isinstance(value, Mapping):
        return {key: render_mapping(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_mapping(item, context) for item in value]
    return render_value(value, context)
