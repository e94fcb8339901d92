"""The template language of app and workflow definitions: its sandboxed Jinja dialect and what a template reads.

It lives in spec, not runtime, because the definitions are checked against it when they are loaded (a template may
only use names its app version declares): the loader needs to parse templates without the engine that renders
them. `connectors.runtime.templating` renders with the same environment, so both agree on the syntax.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connectors.spec.lookup_tables import lookup
from connectors.spec.odata import FILTERS as ODATA_FILTERS
from connectors.spec.template_limits import GUARDED_OPERATORS, WIDTH_FILTERS, bounded, check_binop, check_call
from connectors.spec.url_templates import PATH_FILTER, SEGMENT_FILTER, url_path, url_segment

_SINGLE_EXPRESSION = re.compile(r"^\{\{(?P<expr>(?:(?!\}\}|\{\{).)*)\}\}$", re.DOTALL)


class _DataEnvironment(ImmutableSandboxedEnvironment):
    """`inputs.items` means the key `items` of a mapping, never the dict method: data before attributes.
    `*` and `**` are checked before they run (`template_limits`)."""

    intercepted_binops = GUARDED_OPERATORS

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


ENVIRONMENT = _DataEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
ENVIRONMENT.filters.update({SEGMENT_FILTER: url_segment, PATH_FILTER: url_path})
ENVIRONMENT.filters.update({name: bounded(ENVIRONMENT.filters[name]) for name in WIDTH_FILTERS})
ENVIRONMENT.filters["format"] = bounded(ENVIRONMENT.filters["format"], format_first=True)
ENVIRONMENT.filters["lookup"] = lookup  # a workflow's lookup tables (`tables.<name>`)
ENVIRONMENT.filters.update(ODATA_FILTERS)  # `$filter` literals: odata_string, odata_datetime, ...
del ENVIRONMENT.globals["lipsum"]  # lorem ipsum of any size: nothing a definition needs


class TemplateError(ValueError):
    """A template that cannot be parsed or rendered; says which template and why."""


def single_expression(source: str) -> str | None:
    """The expression of a template that is exactly one `{{ expression }}` (it renders to a native value)."""
    match = _SINGLE_EXPRESSION.match(source.strip())
    return match.group("expr") if match else None


def is_template(value: str) -> bool:
    return "{{" in value or "{%" in value


def _parse(source: str) -> nodes.Template:
    expression = single_expression(source)
    try:
        tree = ENVIRONMENT.parse("{{" + expression + "}}" if expression is not None else source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"invalid template {source!r}: {exc.message}") from exc
    unknown = _unknown_filter_or_test(tree)
    if unknown:
        raise TemplateError(f"invalid template {source!r}: {unknown}")
    return tree


def _unknown_filter_or_test(tree: nodes.Template) -> str | None:
    """Jinja looks a filter or test up only when its branch renders; a definition is checked for every one."""
    for kind, node_type, known in (
        ("filter", nodes.Filter, ENVIRONMENT.filters),
        ("test", nodes.Test, ENVIRONMENT.tests),
    ):
        for node in tree.find_all(node_type):
            if node.name not in known:
                close = difflib.get_close_matches(node.name, list(known), n=1)
                return f"unknown {kind} '{node.name}'" + (f" (did you mean '{close[0]}'?)" if close else "")
    return None


def referenced_names(source: str) -> set[tuple[str, str | None]]:
    """The (namespace, attribute) pairs a template reads, e.g. {("properties", "shop"), ("inputs", None)}.

    The attribute is None when the template uses the namespace as a whole (`{{ inputs | tojson }}`).
    Names bound inside the template (loop variables, `loop`, `set`) and Jinja's globals are not reported.
    """
    tree = _parse(source)
    bound = {node.name for node in tree.find_all(nodes.Name) if node.ctx in ("store", "param")}
    bound |= set(ENVIRONMENT.globals)  # Jinja's own `range`, `dict`, `namespace`, ...
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
        if is_template(value):
            yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_templates(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_templates(item, (*path, index))
