"""Dotted paths into JSON documents (`fulfillment.tracking_info.number`, `items.0.sku`)."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def dig(document: Any, path: str, default: Any = None) -> Any:
    """The value at `path` ('' or '$' is the whole document); `default` when any step is missing.

    A key that itself contains dots (`@odata.nextLink`) is found too when the plain dotted step is not.
    """
    if path in ("", "$"):
        return document
    found = _dig(document, path.removeprefix("$.").split("."))
    return default if found is _MISSING else found


def _dig(node: Any, parts: list[str]) -> Any:
    if not parts:
        return node
    if isinstance(node, dict):
        for end in range(1, len(parts) + 1):  # `a` then `a.b`, ... as one key
            key = ".".join(parts[:end])
            if key in node:
                found = _dig(node[key], parts[end:])
                if found is not _MISSING:
                    return found
        return _MISSING
    part = parts[0]
    if isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
        return _dig(node[int(part)], parts[1:])
    return _MISSING
