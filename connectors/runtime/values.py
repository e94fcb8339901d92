"""Check and complete user-supplied values against their declarations, before any request is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from connectors.runtime.errors import ConfigurationError
from connectors.spec.base import describe_pattern_mismatch, describe_type_mismatch


class Declared(Protocol):
    type: str
    required: bool
    default: Any


_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def coerce(type_name: str, value: Any) -> Any:
    """Text from Variables, connections or webhooks becomes the declared type when it reads unambiguously."""
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        if type_name in ("string", "choice"):  # an order id sent as a number, mapped to a text field
            return str(value)
        return float(value) if type_name == "number" else value
    text = value.strip()
    try:
        if type_name == "integer":
            return int(text)
        if type_name == "number":
            return float(text)
    except ValueError:
        return value
    if type_name == "boolean" and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    return value


def resolve_values(declared: Mapping[str, Declared], supplied: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Every declared name with its value (supplied, else default, else None); raise listing every problem (a
    missing required value, a wrong type, a value outside its choices or its pattern).

    `what` names the place for the message, e.g. "environment of shopify@1.0.0".
    """
    resolved, problems = {}, []
    for name, declaration in declared.items():
        value = supplied.get(name)
        if value in (None, ""):
            value = declaration.default
        if value is None:
            if declaration.required:
                problems.append(f"'{name}' is required but has no value")
            resolved[name] = None
            continue
        value = coerce(declaration.type, value)
        problem = describe_type_mismatch(
            declaration.type, value, getattr(declaration, "choices", None)
        ) or describe_pattern_mismatch(declaration.type, value, getattr(declaration, "pattern", None))
        if problem:
            problems.append(f"'{name}': {problem}")
        resolved[name] = value
    if problems:
        raise ConfigurationError(f"{what}: " + "; ".join(problems))
    return resolved
