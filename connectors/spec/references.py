"""Cross-reference checks a schema cannot express: templates and names must point at declared things."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from connectors.spec.app_version import AppVersionSpec
from connectors.spec.base import RequestSpec
from connectors.spec.templates import TemplateError, iter_templates, referenced_names

Path = tuple[str | int, ...]
Scope = Mapping[str, set[str] | None]

WINDOW_NAMES = {"start", "end", "start_text", "end_text"}
NOT_TEMPLATES = {"request": {"graphql": {"query"}}}  # a GraphQL document is sent as written


def check_references(spec: AppVersionSpec) -> list[tuple[Path, str]]:
    """Return (path, message) for every reference to something the app version does not declare."""
    common: dict[str, set[str]] = {"properties": set(spec.properties), "env": set(spec.environment)}
    auth_names = set(spec.auth.credential_fields()) | set(spec.auth.obtained_names())
    if spec.auth.pre_request is not None:
        auth_names.add(spec.auth.pre_request.name)
    with_auth = {**common, "auth": auth_names}
    problems: list[tuple[Path, str]] = []
    problems += check_template_names(("base_url",), spec.base_url, common)
    problems += check_template_names(("allowed_hosts",), spec.allowed_hosts, common)
    problems += check_template_names(
        ("auth",), spec.auth.model_dump(by_alias=True, exclude={"fields", "test"}), with_auth
    )
    if spec.auth.test is not None:
        problems += check_template_names(("auth", "test", "request"), _request(spec.auth.test.request), with_auth)
        problems += check_template_names(("auth", "test", "label"), spec.auth.test.label, {"response": None})
    for key, trigger in spec.triggers.items():
        scope = {**with_auth, "window": WINDOW_NAMES} if trigger.type == "polling" else with_auth
        dumped = trigger.model_dump(by_alias=True, exclude=NOT_TEMPLATES if trigger.type == "polling" else None)
        problems += check_template_names(("triggers", key), dumped, scope)
    for key, search in spec.searches.items():
        scope = {**with_auth, "inputs": set(search.inputs)}
        problems += check_template_names(("searches", key, "request"), _request(search.request), scope)
    for key, action in spec.actions.items():
        scope = {**with_auth, "inputs": set(action.inputs)}
        if action.bulk is None:
            problems += check_template_names(("actions", key, "request"), _request(action.request), scope)
        else:  # the request carries many items; each item sees its own inputs
            items_scope: Scope = {**with_auth, "items": None}
            problems += check_template_names(("actions", key, "request"), _request(action.request), items_scope)
            problems += check_template_names(("actions", key, "bulk", "item"), action.bulk.item, scope)
            problems += check_template_names(("actions", key, "bulk", "keyed_by"), action.bulk.keyed_by, scope)
        problems += _check_search_first(spec, key)
        problems += _check_bulk_inputs(spec, key)
    problems += _check_deprecation(spec)
    return problems


def _request(request: RequestSpec) -> dict[str, Any]:
    return request.model_dump(by_alias=True, exclude=NOT_TEMPLATES["request"])


def check_template_names(
    base: Path, value: Any, scope: Scope, undeclared: str | Mapping[str, str] = "which is not declared"
) -> Iterator[tuple[Path, str]]:
    """Every template inside `value` may only use the namespaces in `scope`, and of each only the attributes
    listed (`None`: any attribute, for data without a fixed shape such as a webhook body). `undeclared` says
    why an attribute is not there, for every namespace or per namespace."""
    for path, template in iter_templates(value, base):
        try:
            names = referenced_names(template)
        except TemplateError as exc:
            yield path, str(exc)
            continue
        for namespace, attribute in sorted(names, key=lambda pair: (pair[0], pair[1] or "")):
            if namespace not in scope:
                allowed = ", ".join(sorted(scope))
                yield path, f"template uses '{namespace}', which is not available here (available: {allowed})"
                continue
            declared = scope[namespace]
            if declared is not None and attribute is not None and attribute not in declared:
                why = undeclared if isinstance(undeclared, str) else undeclared.get(namespace, "which is not declared")
                yield path, f"template uses '{namespace}.{attribute}', {why} {declared_names(attribute, declared)}"


def declared_names(name: str, declared: Iterable[str]) -> str:
    """`(declared: a, b); did you mean 'a'?`: what may be used instead of `name`, the closest first."""
    names = sorted(declared)
    close = difflib.get_close_matches(name, names, n=1)
    return f"(declared: {', '.join(names) or 'none'})" + (f"; did you mean '{close[0]}'?" if close else "")


def _check_search_first(spec: AppVersionSpec, action_key: str) -> Iterator[tuple[Path, str]]:
    action = spec.actions[action_key]
    first = action.search_first
    if first is None:
        return
    base: Path = ("actions", action_key, "search_first")
    search = spec.searches.get(first.search)
    if search is None:
        known = ", ".join(sorted(spec.searches)) or "none"
        yield (*base, "search"), f"search '{first.search}' does not exist in this app version (searches: {known})"
        return
    for name in first.inputs:
        if name not in search.inputs:
            yield (*base, "inputs", name), f"search '{first.search}' has no input '{name}'"
    for name, field in search.inputs.items():
        if field.required and field.default is None and name not in first.inputs:
            yield (*base, "inputs"), f"required input '{name}' of search '{first.search}' is not mapped"
    yield from check_template_names((*base, "inputs"), first.inputs, {"inputs": set(action.inputs)})


def _check_bulk_inputs(spec: AppVersionSpec, action_key: str) -> Iterator[tuple[Path, str]]:
    """`identity` and `resolve` name declared inputs and searches; a bulk action is not combined with what
    assumes one item per request."""
    action = spec.actions[action_key]
    base: Path = ("actions", action_key)
    declared = set(action.inputs)
    for index, name in enumerate(action.identity):
        if name not in declared:
            yield (*base, "identity", index), f"'{name}' is not an input {declared_names(name, declared)}"
    for name, resolve in action.resolve.items():
        where: Path = (*base, "resolve", name)
        if name not in declared:
            yield where, f"'{name}' is not an input {declared_names(name, declared)}"
        if resolve.key_input not in declared:
            hint = declared_names(resolve.key_input, declared)
            yield (*where, "key_input"), f"'{resolve.key_input}' is not an input {hint}"
        search = spec.searches.get(resolve.search)
        if search is None:
            known = ", ".join(sorted(spec.searches)) or "none"
            yield (*where, "search"), f"search '{resolve.search}' does not exist in this version (searches: {known})"
        elif resolve.search_input not in search.inputs:
            yield (*where, "search_input"), f"search '{resolve.search}' has no input '{resolve.search_input}'"
    if action.bulk is not None and (action.search_first or action.idempotency_key):
        yield (*base, "bulk"), "a bulk action cannot also declare search_first or idempotency_key (one item each)"


def _check_deprecation(spec: AppVersionSpec) -> Iterator[tuple[Path, str]]:
    if spec.deprecation and spec.deprecation.replacement == spec.version:
        yield ("deprecation", "replacement"), "a version cannot be its own replacement"
