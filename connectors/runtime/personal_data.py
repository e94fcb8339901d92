"""Personal data in event payloads (e-mail, phone, address) that an app marks `sensitive` in a trigger's output:
masked in every log line written while the event is processed. The registry keeps the payload (it is the
event); logs, which more people read and which are shipped elsewhere, do not repeat it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

MASK = "[personal]"
MIN_LENGTH = 3  # shorter values ("MH", "1") would mask unrelated text

_values: ContextVar[tuple[str, ...]] = ContextVar("personal_values", default=())


def personal_values(data: Any, fields: Iterable[str]) -> set[str]:
    """The values under `fields` of a payload, down to every leaf of an object or array field."""
    found: set[str] = set()
    if not isinstance(data, Mapping):
        return found

    def collect(value: Any) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value)
            if len(text) >= MIN_LENGTH:
                found.update({text, json.dumps(text)[1:-1]})

    for name in fields:
        collect(data.get(name))
    return found


@contextmanager
def masking_personal(values: Iterable[str]) -> Iterator[None]:
    """Mask `values` in log lines written in this context (longest first, so a value inside another goes too)."""
    token = _values.set(tuple(sorted(set(values), key=len, reverse=True)))
    try:
        yield
    finally:
        _values.reset(token)


def mask_personal(text: str) -> str:
    for value in _values.get():
        text = text.replace(value, MASK)
    return text
