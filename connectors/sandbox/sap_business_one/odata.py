"""The OData query options the sandbox applies to its entity sets, as the Service Layer (v1) reads them.

    $filter   comparisons (eq ne gt ge lt le) of a property with a literal, joined by and / or / not, in
              parentheses; text literals in single quotes with quotes doubled ('O''Brien'), numbers, null.
              Dates are compared as text ('2026-03-01'; a literal with a time, '2026-03-01T00:00:00', compares
              its date part), times too ('10:15:00'). Functions (startswith, substringof, ...), arithmetic and
              navigation paths are not modelled: refused with 400, as an option the Service Layer cannot take.
    $select   property names, comma-separated; an unknown one is refused.
    $orderby  properties with asc (default) or desc.
    $top, $skip
    Prefer: odata.maxpagesize=N   rows per page (the default 20; 0: everything), answered in Preference-Applied.

A page with more rows after it carries `odata.nextLink`: the entity set's name and the query options as sent, with
`$skip` moved on (and `$top` reduced), relative to the service root (`Orders?$filter=...&$skip=20`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from connectors.sandbox.sap_business_one.errors import invalid_query

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)(?![\w.])|(?P<paren>[()])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>\S))"
)
_COMPARISONS = {
    "eq": lambda c: c == 0,
    "ne": lambda c: c != 0,
    "gt": lambda c: c > 0,
    "ge": lambda c: c >= 0,
    "lt": lambda c: c < 0,
    "le": lambda c: c <= 0,
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup or "other"
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("''", "'")


def _ordered(value: Any, literal: Any) -> tuple[Any, Any] | None:
    """The two sides made comparable, or None (a null, or a number against text)."""
    if value is None or literal is None:
        return None
    if isinstance(literal, str) and isinstance(value, str):
        dated = _DATE_TIME.fullmatch(literal)
        if dated and _DATE.fullmatch(value):
            return value, dated[1]
        return value, literal
    if isinstance(literal, int | float) and isinstance(value, int | float) and not isinstance(value, bool):
        return value, literal
    return None


def _compare(name: str, operator: str, literal: Any) -> Predicate:
    test = _COMPARISONS[operator]

    def predicate(record: Mapping[str, Any]) -> bool:
        value = record.get(name)
        if literal is None or value is None:
            both = literal is None and value is None
            return both if operator == "eq" else (not both if operator == "ne" else False)
        pair = _ordered(value, literal)
        if pair is None:
            return operator == "ne"
        left, right = pair
        return test((left > right) - (left < right))

    return predicate


class _Parser:
    """Recursive descent: or-expression := and-expression ('or' and-expression)*, and so on."""

    def __init__(self, text: str, properties: Iterable[str], entity: str) -> None:
        self.text, self.tokens, self.at = text, _tokens(text), 0
        self.properties, self.entity = frozenset(properties), entity

    def fail(self, token: _Token | None = None) -> Exception:
        position = token.at if token else len(self.text)
        near = self.text[position : position + 20] or "end of text"
        return invalid_query(f"Syntax error in '$filter' at position {position} near '{near}'")

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.fail()
        self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text == word:
            self.at += 1
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise self.fail(self.peek())
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda record: any(part(record) for part in parts)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else lambda record: all(part(record) for part in parts)

    def unary(self) -> Predicate:
        if self.keyword("not"):
            inner = self.unary()
            return lambda record: not inner(record)
        token = self.peek()
        if token is not None and token.text == "(":
            self.take()
            inner = self.disjunction()
            if self.take().text != ")":
                raise self.fail(self.tokens[self.at - 1])
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        name = self.take()
        following = self.peek()
        if name.kind != "word" or (following is not None and following.text in ("(", "/")):
            raise self.fail(name)  # a literal first, a function call or a navigation path: not modelled
        if name.text not in self.properties:
            raise invalid_query(f"Property '{name.text}' of '{self.entity}' is invalid")
        operator = self.take()
        if operator.kind != "word" or operator.text not in _COMPARISONS:
            raise self.fail(operator)
        return _compare(name.text, operator.text, self.literal())

    def literal(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "word" and token.text == "null":
            return None
        raise self.fail(token)


def parse_filter(text: str, properties: Iterable[str], entity: str) -> Predicate:
    """A `$filter` as a predicate over records; raises the Service Layer's 400 for what it cannot take."""
    return _Parser(text, properties, entity).parse()


def _names(text: str, properties: frozenset[str], entity: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in properties:
            raise invalid_query(f"Property '{name}' of '{entity}' is invalid")
    return names


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    return (1, value) if isinstance(value, int | float) else (2, str(value))


def _integer(options: Mapping[str, str], name: str) -> int | None:
    raw = options.get(name)
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise invalid_query(f"Invalid value '{raw}' of query option '{name}'")
    return int(raw)


def max_page_size(prefer: str | None, default: int) -> tuple[int | None, str | None]:
    """Rows per page (None: all) and the Preference-Applied value, from the Prefer header."""
    match = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", prefer or "")
    if match is None:
        return default, None
    size = int(match[1])
    return (size or None), f"odata.maxpagesize={size}"


@dataclass(frozen=True)
class Query:
    entity: str  # the entity set, as it starts the next link ("Orders")
    entity_type: str  # the type named in errors ("Document")
    properties: frozenset[str]

    def page(
        self, records: Iterable[dict[str, Any]], options: Mapping[str, str], page_size: int | None
    ) -> dict[str, Any]:
        """One page of the entity set: `value` (and `odata.nextLink` when rows follow), as the Service Layer
        answers; `options` are the query parameters as sent."""
        rows = list(records)
        if options.get("$filter"):
            predicate = parse_filter(options["$filter"], self.properties, self.entity_type)
            rows = [row for row in rows if predicate(row)]
        if options.get("$orderby"):
            for clause in reversed([c.split() for c in options["$orderby"].split(",") if c.strip()]):
                name, direction = clause[0], (clause[1].lower() if len(clause) > 1 else "asc")
                if name not in self.properties or direction not in ("asc", "desc") or len(clause) > 2:
                    raise invalid_query(f"Property '{name}' of '{self.entity_type}' is invalid")
                rows.sort(key=lambda row, n=name: _sort_key(row.get(n)), reverse=direction == "desc")
        selected = _names(options.get("$select", ""), self.properties, self.entity_type)
        skip, top = _integer(options, "$skip") or 0, _integer(options, "$top")
        remaining = rows[skip:] if top is None else rows[skip : skip + top]
        size = len(remaining) if page_size is None else page_size
        shown = remaining[:size]
        body: dict[str, Any] = {
            "odata.metadata": f"$metadata#{self.entity}",
            "value": [{k: row.get(k) for k in selected} if selected else row for row in shown],
        }
        if len(remaining) > size:
            following = {**options, "$skip": str(skip + size)}
            if top is not None:
                following["$top"] = str(top - size)
            body["odata.nextLink"] = f"{self.entity}?{urlencode(following, quote_via=quote, safe=',$')}"
        return body
