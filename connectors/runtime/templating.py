"""Sandboxed Jinja rendering with a short, named context.

A string that is exactly one `{{ expression }}` renders to the expression's native value (an integer stays an
integer in a JSON body); any other string renders to text. Undefined names are errors, never empty strings.
The dialect itself (environment, syntax, `TemplateError`) is defined in `connectors.spec.templates`, where the
loader checks templates; this module only renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined
from jinja2.exceptions import UndefinedError

from connectors.spec.templates import ENVIRONMENT, TemplateError, is_template, single_expression

__all__ = ["TemplateError", "render_text", "render_value"]


@lru_cache(maxsize=4096)
def _compile(source: str) -> Any:
    expression = single_expression(source)
    try:
        if expression is not None:
            return ENVIRONMENT.compile_expression(expression, undefined_to_none=False)
        return ENVIRONMENT.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template {source!r}: {exc.message}") from exc


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside `value` (dicts and lists are walked) against `context`."""
    if isinstance(value, str):
        if not is_template(value):
            return value
        compiled = _compile(value)
        try:
            if hasattr(compiled, "render"):
                return compiled.render(context)
            result = compiled(**context)
        except UndefinedError as exc:
            raise TemplateError(f"template {value!r}: {exc.message}") from exc
        if isinstance(result, Undefined):
            raise TemplateError(f"template {value!r}: {result._undefined_message}")
        return result
    if isinstance(value, Mapping):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value


def render_text(template: str, context: Mapping[str, Any]) -> str:
    """Render a template that must produce text (URLs, header values)."""
    rendered = render_value(template, context)
    return "" if rendered is None else str(rendered)
