"""Sandboxed Jinja rendering with a short, named context.

A string that is exactly one `{{ expression }}` renders to the expression's native value (an integer stays an
integer in a JSON body); any other string renders to text. Undefined names are errors, never empty strings.
A request `url` renders through `render_url`: values read from data are percent-encoded as path segments
(`connectors.spec.url_templates`). Whatever goes wrong while rendering (an undefined name, an attribute the sandbox
refuses, an overflow, an output over `MAX_RENDERED_LENGTH`) is a `TemplateError`: the same data fails the same way
every time, so it is never retried.
The dialect itself (environment, syntax, `TemplateError`) is defined in `connectors.spec.templates`, where the
loader checks templates; this module only renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import Template, TemplateSyntaxError, Undefined

from connectors.spec.template_limits import MAX_RENDERED_LENGTH
from connectors.spec.templates import ENVIRONMENT, TemplateError, is_template, single_expression
from connectors.spec.url_templates import encode_url_expressions

__all__ = ["MAX_RENDERED_LENGTH", "TemplateError", "render_text", "render_url", "render_value"]

# Rendering pure data can only fail deterministically; these are the ways it does (OverflowError included).
_RENDERING_ERRORS = (
    jinja2.TemplateError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    RecursionError,
    MemoryError,
)


@lru_cache(maxsize=4096)
def _compile(source: str) -> Any:
    expression = single_expression(source)
    try:
        if expression is not None:
            return ENVIRONMENT.compile_expression(expression, undefined_to_none=False)
        return ENVIRONMENT.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template {source!r}: {exc.message}") from exc


@lru_cache(maxsize=1024)
def _compile_url(source: str) -> Template:
    try:
        return ENVIRONMENT.from_string(encode_url_expressions(ENVIRONMENT.parse(source)))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template {source!r}: {exc.message}") from exc


_PATH = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}")
_MISSING = object()


@lru_cache(maxsize=4096)
def _plain_path(source: str) -> tuple[str, ...] | None:
    """`{{ trigger.sku }}` -> ("trigger", "sku"): most mappings read one field, which needs no Jinja. None when the
    template is anything else, or names an attribute a mapping also has as a method (Jinja would return that)."""
    match = _PATH.fullmatch(source)
    if match is None:
        return None
    parts = tuple(match.group(1).split("."))
    return None if any(hasattr(dict, part) for part in parts[1:]) else parts


def _read_path(parts: tuple[str, ...], context: Mapping[str, Any]) -> Any:
    value: Any = context
    for part in parts:
        if not isinstance(value, Mapping):
            return _MISSING
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside `value` (dicts and lists are walked) against `context`."""
    if isinstance(value, str):
        if not is_template(value):
            return value
        path = _plain_path(value)
        if path is not None:  # the value as Jinja would give it; anything unusual goes through Jinja for its error
            found = _read_path(path, context)
            if found is not _MISSING and not (isinstance(found, str) and len(found) > MAX_RENDERED_LENGTH):
                return found
        return _render(value, _compile(value), context)
    if isinstance(value, Mapping):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value


def render_text(template: str, context: Mapping[str, Any]) -> str:
    """Render a template that must produce text (header values, base URLs)."""
    rendered = render_value(template, context)
    return "" if rendered is None else str(rendered)


def render_url(template: str, context: Mapping[str, Any]) -> str:
    """Render a request `url` template: each expression that reads more than `properties` and `env` becomes one
    percent-encoded path segment, unless it ends with `| path`."""
    return _render(template, _compile_url(template), context) if is_template(template) else template


def _render(source: str, compiled: Any, context: Mapping[str, Any]) -> Any:
    try:
        if isinstance(compiled, Template):
            return _bounded(source, compiled.generate(context))
        result = compiled(**context)
    except TemplateError:
        raise
    except _RENDERING_ERRORS as exc:
        raise TemplateError(f"template {source!r}: {_reason(exc)}") from exc
    if isinstance(result, Undefined):
        raise TemplateError(f"template {source!r}: {result._undefined_message}")
    if isinstance(result, str) and len(result) > MAX_RENDERED_LENGTH:
        raise _too_long(source)
    return result


def _bounded(source: str, chunks: Iterable[str]) -> str:
    """Join rendered chunks, stopping as soon as they pass the limit (before a huge loop has finished)."""
    parts, length = [], 0
    for chunk in chunks:
        length += len(chunk)
        if length > MAX_RENDERED_LENGTH:
            raise _too_long(source)
        parts.append(chunk)
    return "".join(parts)


def _too_long(source: str) -> TemplateError:
    return TemplateError(f"template {source!r} renders more than {MAX_RENDERED_LENGTH:,} characters, the limit")


def _reason(exc: Exception) -> str:
    if isinstance(exc, jinja2.TemplateError) and exc.message:
        return exc.message
    return str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
