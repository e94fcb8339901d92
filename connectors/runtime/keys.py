"""Dedupe keys built from one or more values: unambiguous, and short enough to store.

Parts are joined with `:`, each part escaping `\\` and `:` first, so `("S:1", "packed")` and `("S", "1:packed")`
give different keys (a plain join made them equal, and the second event was dropped as a duplicate). A part
without `:` or `\\` is unchanged, so single-value keys and the usual composite keys read as before. A key longer
than the inbox column, or containing NUL or a lone surrogate (which databases cannot store as text), is stored as
its SHA-256: the same delivery still gives the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

MAX_KEY_LENGTH = 250  # events.dedupe_key and action_log.dedupe_key


def _escape(part: str) -> str:
    return part.replace("\\", "\\\\").replace(":", "\\:")


def joined_key(parts: Iterable[object]) -> str:
    values = [str(part) for part in parts]
    key = values[0] if len(values) == 1 else ":".join(_escape(value) for value in values)
    return storable_key(key)


def storable_key(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH and "\x00" not in key and _is_utf8(key):
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _is_utf8(key: str) -> bool:
    """False for a lone surrogate (a JSON `\\ud800` escape): no database stores it as text."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
