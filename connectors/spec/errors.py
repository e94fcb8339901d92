"""Validation errors that say where (file, line, path inside the document) and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecIssue:
    """One problem in one app definition."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '<document>'}: {self.message}"


def format_path(parts: Sequence[str | int]) -> str:
    """`("triggers", "order_created", "verify", "header")` -> `triggers.order_created.verify.header`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class AppDefinitionError(ValueError):
    """Raised when one or more app definitions are invalid; carries every issue found."""

    def __init__(self, issues: Iterable[SpecIssue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))
