"""Definitions sent as data (a JSON object, or YAML text) rather than files: validated into the same problems a
file gets, with the same paths; lines only when the definition came as YAML text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from connectors.services.errors import Problem, problems_of
from connectors.spec import SpecIssue
from connectors.spec.documents import issues_from_validation, line_of, plain
from connectors.spec.errors import format_path

DRAFT = "<request>"
M = TypeVar("M", bound=BaseModel)


class Draft:
    """A definition as a tree that knows where its keys are (`document`), as plain data (`data`), and whether its
    lines mean anything to the sender (YAML text: yes; a JSON object: no)."""

    def __init__(self, document: Any, has_lines: bool, file: str = DRAFT, data: dict[str, Any] | None = None) -> None:
        self.document, self.has_lines, self.file = document, has_lines, file
        self.data: dict[str, Any] = plain(document) if data is None else data

    @classmethod
    def parse(cls, yaml_text: str | None = None, definition: Any = None, file: str = DRAFT) -> Draft:
        """From YAML text or from an already parsed object (exactly one); a `Problem` list in a `DraftRefused`
        when the text is not a YAML mapping."""
        if (yaml_text is None) == (definition is None):
            raise DraftRefused([Problem(file, "", "give the definition either as YAML text or as an object")])
        if yaml_text is not None:
            return cls(_load(yaml_text, file), has_lines=True, file=file)
        if not isinstance(definition, dict):
            raise DraftRefused([Problem(file, "", "the definition must be an object of keys and values")])
        return cls(_tree(definition), has_lines=False, file=file, data=definition)

    def line(self, parts: tuple[str | int, ...]) -> int | None:
        return line_of(self.document, parts) if self.has_lines else None

    def validate(self, model: type[M]) -> M:
        """The model, or `DraftRefused` with every problem pydantic finds (paths as for a file)."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            issues = issues_from_validation(Path(self.file), self.document, exc, model)
            raise DraftRefused(problems_of(issues, keep_lines=self.has_lines)) from None

    def problems(self, found: list[tuple[tuple[str | int, ...], str]]) -> list[Problem]:
        """Cross-check problems (document path, message) as `Problem`s."""
        return problems_of(
            SpecIssue(self.file, format_path(parts), message, self.line(parts)) for parts, message in found
        )


class DraftRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def _load(text: str, file: str) -> Any:
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = f"{exc.context + ', ' if exc.context else ''}{exc.problem}"
        raise DraftRefused([Problem(file, "", f"invalid YAML: {problem}", line)]) from None
    except YAMLError as exc:
        raise DraftRefused([Problem(file, "", f"invalid YAML: {exc}")]) from None
    if not isinstance(document, CommentedMap):
        raise DraftRefused([Problem(file, "", "the document must be a mapping of keys to values", 1)])
    return document


def _tree(definition: dict[str, Any]) -> Any:
    """The object as the round-trip tree the YAML loader makes, so problems get the same paths as in a file (its
    line numbers are those of a generated text: not reported)."""
    yaml = YAML(typ="rt")
    out = io.StringIO()
    yaml.dump(definition, out)
    return yaml.load(out.getvalue())
