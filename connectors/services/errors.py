"""The one error type of the service layer, and validation problems with their paths."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from connectors.spec import SpecIssue

ErrorKind = Literal["invalid", "not_found", "conflict", "unavailable"]


@dataclass(frozen=True)
class Problem:
    """One validation problem: the file (or `<request>` for a definition sent as data), the path inside the document
    (`steps[0].inputs.sku`), the line when the definition was YAML text, and what is wrong."""

    file: str
    path: str
    message: str
    line: int | None = None

    @classmethod
    def from_issue(cls, issue: SpecIssue, keep_line: bool = True) -> Problem:
        return cls(issue.file, issue.path, issue.message, issue.line if keep_line else None)

    def __str__(self) -> str:
        return str(SpecIssue(self.file, self.path, self.message, self.line))


@dataclass
class ServiceError(Exception):
    """What went wrong, said for a person: `message`; `kind` maps to an HTTP status (invalid 422, not_found 404,
    conflict 409, unavailable 503); `problems` lists every validation problem; `warnings` is what the caller should
    still see (e.g. connections that could not be checked)."""

    message: str
    kind: ErrorKind = "invalid"
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def problems_of(issues: Iterable[SpecIssue], keep_lines: bool = True) -> list[Problem]:
    return [Problem.from_issue(issue, keep_lines) for issue in issues]
