"""YAML documents validated by pydantic models, with errors that name the file, line and path."""

from __future__ import annotations

import difflib
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from connectors.spec.app_version import APP_REF, KEY, SEMVER
from connectors.spec.errors import AppDefinitionError, SpecIssue, format_path

M = TypeVar("M", bound=BaseModel)


def load_document(path: Path, model: type[M]) -> tuple[Any, M]:
    """Read and validate one YAML file; raise `AppDefinitionError` listing every problem."""
    document = read_yaml(path)
    try:
        return document, model.model_validate(plain(document))
    except ValidationError as exc:
        raise AppDefinitionError(issues_from_validation(path, document, exc, model)) from None


def read_yaml(path: Path) -> Any:
    """The YAML document at `path` as a round-trip tree (which knows its line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AppDefinitionError([SpecIssue(str(path), "", f"cannot read file: {exc.strerror}")]) from None
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = f"{exc.context + ', ' if exc.context else ''}{exc.problem}"
        raise AppDefinitionError([SpecIssue(str(path), "", f"invalid YAML: {problem}", line)]) from None
    if not isinstance(document, CommentedMap):
        raise AppDefinitionError([SpecIssue(str(path), "", "the document must be a mapping of keys to values", 1)])
    return document


def plain(node: Any) -> Any:
    """The tree as plain dicts and lists."""
    if isinstance(node, dict):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(value) for value in node]
    return node


def _walk(document: Any, loc: tuple[Any, ...], missing: bool = False) -> tuple[list[str | int], int | None]:
    """Follow a pydantic error location through the YAML tree: the document path and the nearest line.

    `missing` says the last part of `loc` is a key absent from the document (kept in the path).
    """
    node, parts, line = document, [], 1
    for index, key in enumerate(loc):
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
            parts.append(key)
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
            parts.append(key)
        elif missing and index == len(loc) - 1:
            parts.append(key)  # a missing key: the line is its parent's
        # otherwise `key` is a union tag pydantic adds to the location (the auth `type`, `str`): not in the document
    return parts, line


def line_of(document: Any, parts: tuple[str | int, ...]) -> int | None:
    return _walk(document, parts)[1]


def issues_from_validation(path: Path, document: Any, exc: ValidationError, model: type[BaseModel]) -> list[SpecIssue]:
    """One issue per pydantic error, with the document path and line it concerns."""
    issues = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-")))
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):  # point at the `type`/`scheme` key itself
            loc = (*loc, str(error.get("ctx", {}).get("discriminator", "type")).strip("'"))
        parts, line = _walk(document, loc, missing=error["type"] in ("missing", "union_tag_not_found"))
        issues.append(SpecIssue(str(path), format_path(parts), _explain(error, loc, model), line))
    return issues


def _explain(error: Any, loc: tuple[Any, ...], model: type[BaseModel]) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(sorted(known))})" if known else ""
        return f"unknown key '{loc[-1]}'{hint}"
    if kind == "missing":
        return f"required key '{loc[-1]}' is missing"
    if kind == "union_tag_invalid":
        context = error.get("ctx", {})
        name = str(context.get("discriminator", "type")).strip("'")
        return f"unknown {name} {context.get('tag')!r}; expected one of {context.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"required key '{loc[-1]}' is missing"
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") in _PATTERN_NAMES:
        return f"{error['input']!r} is not {_PATTERN_NAMES[error['ctx']['pattern']]}"
    if kind == "string_type" and isinstance(error.get("input"), int | float):
        return f"expected text, got the number {error['input']!r} (quote it in YAML)"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict | list):
        return f"{message} (got {error['input']!r})"
    return message


_PATTERN_NAMES = {
    SEMVER: "a semantic version MAJOR.MINOR.PATCH such as 1.0.0",
    KEY: "a valid key: lower-case letters, digits and '_', starting with a letter",
    APP_REF: "an app reference app@MAJOR.MINOR.PATCH such as shopify@1.0.0",
}


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model at `loc`, for "did you mean" hints."""
    candidates: list[Any] = [model]
    for part in loc:
        candidates = [child for candidate in candidates for child in _children(candidate, part)]
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    return [field.alias or name for name, field in models[0].model_fields.items()] if len(models) == 1 else []


def _flatten(annotation: Any) -> list[Any]:
    """`Annotated[A | B | None, ...]` -> [A, B]; a plain type -> [it]."""
    if get_origin(annotation) is Annotated:
        return _flatten(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [flat for arg in get_args(annotation) if arg is not type(None) for flat in _flatten(arg)]
    return [annotation]


def _children(annotation: Any, part: Any) -> list[Any]:
    children = []
    for candidate in _flatten(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            fields = candidate.model_fields
            field = next((f for name, f in fields.items() if part in (name, f.alias)), None)
            if field is not None:
                children.extend(_flatten(field.annotation))
            elif any(part in get_args(f.annotation) for name, f in fields.items() if name in ("type", "scheme")):
                children.append(candidate)  # `part` is the union tag that selected this model
        elif get_origin(candidate) is dict:
            children.extend(_flatten(get_args(candidate)[1]))
        elif get_origin(candidate) is list and isinstance(part, int):
            children.extend(_flatten(get_args(candidate)[0]))
    return children
