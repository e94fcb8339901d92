"""Sandboxed Jinja rendering with a short, named context.

A string that is exactly one `{{ expression }}` renders to the expression's native value (an integer stays an
integer in a JSON body); any other string renders to text. Undefined names are errors, never empty strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_SINGLE_EXPRESSION = re.compile(r"^\{\{(?P<expr>(?:(?!\}\}|\{\{).)*)\}\}$", re.DOTALL)


class _DataEnvironment(ImmutableSandboxedEnvironment):
    """`inputs.items` means the key `items` of a mapping, never the dict method: data before attributes."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENV = _DataEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class TemplateError(ValueError):
    """A template that cannot be parsed or rendered; says which template and why."""


@lru_cache(maxsize=4096)
def _compile(source: str) -> Any:
    match = _SINGLE_EXPRESSION.match(source.strip())
    try:
        if match:
            return _ENV.compile_expression(match.group("expr"), undefined_to_none=False)
        return _ENV.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template {source!r}: {exc.message}") from exc


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside `value` (dicts and lists are walked) against `context`."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
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


def _parse(source: str) -> nodes.Template:
    match = _SINGLE_EXPRESSION.match(source.strip())
    try:
        return _ENV.parse("{{" + match.group("expr") + "}}" if match else source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template {source!r}: {exc.message}") from exc


def referenced_names(source: str) -> set[tuple[str, str | None]]:
    """The (namespace, attribute) pairs a template reads, e.g. {("properties", "shop"), ("inputs", None)}.

    The attribute is None when the template uses the namespace as a whole (`{{ inputs | tojson }}`).
    Names bound inside the template (loop variables, `loop`, `set`) and Jinja's globals are not reported.
    """
    tree = _parse(source)
    bound = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    bound |= set(_ENV.globals)  # Jinja's own `range`, `dict`, `namespace`, ...
    if any(True for _ in tree.find_all(nodes.For)):
        bound.add("loop")  # the special `loop` variable of a for loop
    found: set[tuple[str, str | None]] = set()
    attributed: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if isinstance(target, nodes.Name) and target.ctx == "load" and target.name not in bound:
            attribute = _attribute_of(node)
            found.add((target.name, attribute))
            if attribute is not None:
                attributed.add(id(target))
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in bound and id(name) not in attributed:
            found.add((name.name, None))
    return found


def _attribute_of(node: nodes.Getattr | nodes.Getitem) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def iter_templates(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Yield (path, string) for every string inside a nested structure that contains template syntax."""
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_templates(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_templates(item, (*path, index))
