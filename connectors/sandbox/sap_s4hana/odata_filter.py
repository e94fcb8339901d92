"""The part of OData v2 `$filter` the simulator understands: comparisons (`eq ne gt ge lt le`) of a property with a
literal, joined by `and`/`or`, in parentheses. Literals are typed as SAP Gateway wants them: `'text'` (quotes
doubled inside) for Edm.String, `datetime'2026-03-01T10:00:00'` for Edm.DateTime,
`datetimeoffset'2026-03-01T10:00:00Z'` for Edm.DateTimeOffset, numbers for Edm.Decimal, `true`/`false`.

Anything else (functions such as `substringof`, `not`, arithmetic, a literal of the wrong type, an unknown property)
is refused with a 400 in Gateway's body. The error codes are assumptions; the messages follow Gateway's wording."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.sandbox.sap_s4hana.entities import BOOLEAN, DATETIME, DATETIMEOFFSET, DECIMAL, STRING, EntityType
from connectors.sandbox.sap_s4hana.errors import sap_error
from connectors.sandbox.vendor_api import VendorError

Predicate = Callable[[dict[str, Any]], bool]
_TOKEN = re.compile(
    r"\s*(?:(?P<typed>(?:datetimeoffset|datetime|guid|time)'[^']*')|(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+(?:\.\d+)?[mMdD]?)|(?P<paren>[()])|(?P<word>[A-Za-z_][A-Za-z0-9_/.]*))"
)
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}
_LITERAL_KIND = {"datetime": DATETIME, "datetimeoffset": DATETIMEOFFSET}


def invalid_filter(text: str, service: str) -> VendorError:
    return sap_error(400, "/IWBEP/CM_MGW_RT/022", f"Invalid filter expression: '{text}'.", service)


def _tokens(text: str, service: str) -> list[tuple[str, str, int]]:
    tokens, at = [], 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise invalid_filter(text, service)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        at = match.end()
    return tokens


def _datetime(raw: str, with_offset: bool) -> dt.datetime:
    text = raw.replace("Z", "+00:00") if with_offset else raw
    moment = dt.datetime.fromisoformat(text)
    if with_offset and moment.tzinfo is None:
        raise ValueError("an offset is required")
    if not with_offset and moment.tzinfo is not None:
        raise ValueError("no offset allowed")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _literal(kind: str, text: str, expected: str) -> Any:
    """The literal's value if its type fits the property's; ValueError otherwise."""
    if kind == "string" and expected == STRING:
        return text[1:-1].replace("''", "'")
    if kind == "typed":
        prefix, _, rest = text.partition("'")
        if _LITERAL_KIND.get(prefix) == expected:
            return _datetime(rest[:-1], with_offset=expected == DATETIMEOFFSET)
    if kind == "number" and expected == DECIMAL:
        return Decimal(text.rstrip("mMdD"))
    if kind == "word" and expected == BOOLEAN and text in ("true", "false"):
        return text == "true"
    if kind == "word" and text == "null":
        return None
    raise ValueError(text)


def _typed(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == DECIMAL:
        return Decimal(str(value))
    return value


class _Parser:
    def __init__(self, text: str, entity: EntityType) -> None:
        self.text, self.entity = text, entity
        self.tokens = _tokens(text, entity.service)
        self.at = 0

    def fail(self) -> VendorError:
        return invalid_filter(self.text, self.entity.service)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise self.fail()
        self.at += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise self.fail()
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while (token := self.peek()) and token[:2] == ("word", "or"):
            self.at += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda record: any(p(record) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.comparison()]
        while (token := self.peek()) and token[:2] == ("word", "and"):
            self.at += 1
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else lambda record: all(p(record) for p in parts)

    def comparison(self) -> Predicate:
        kind, text, _ = self.take()
        if (kind, text) == ("paren", "("):
            inner = self.disjunction()
            if self.take()[:2] != ("paren", ")"):
                raise self.fail()
            return inner
        if kind != "word" or text in _OPERATORS or text in ("and", "or", "not"):
            raise self.fail()
        prop = self.entity.properties.get(text)
        if prop is None:
            raise sap_error(
                400, "/IWBEP/CM_MGW_RT/021", f"Property {text} not found in type {self.entity.name}",
                self.entity.service,
            )  # fmt: skip
        op_kind, operator, position = self.take()
        if op_kind != "word" or operator not in _OPERATORS:
            raise self.fail()
        literal_kind, literal_text, _ = self.take()
        try:
            value = _literal(literal_kind, literal_text, prop)
        except (ValueError, InvalidOperation):
            raise sap_error(
                400, "/IWBEP/CM_MGW_RT/022", f"Invalid parametertype used at function '{operator}' (Position: "
                f"{position})", self.entity.service,
            ) from None  # fmt: skip
        compare = _OPERATORS[operator]
        return lambda record: compare(_typed(prop, record.get(text)), value)


def parse_filter(text: str, entity: EntityType) -> Predicate:
    """A predicate over stored records; raises Gateway's 400 for what it does not understand."""
    if not text.strip():
        raise invalid_filter(text, entity.service)
    return _Parser(text, entity).parse()
