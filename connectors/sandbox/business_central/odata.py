"""The OData v4 query options Business Central and NAV answer here: `$filter` (comparisons joined by `and`, typed as
OData types them: a DateTimeOffset is compared with an unquoted `2026-01-01T00:00:00Z`, never a quoted string),
`$select`, `$top`, `$skip`, and server-driven paging: at most `odata.maxpagesize` (the `Prefer` header) or the
server's maximum per page, then `@odata.nextLink`, an absolute URL with a `$skiptoken` (the last key sent)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

from connectors.sandbox.business_central.context import odata_error
from connectors.sandbox.timestamps import parse_time
from connectors.sandbox.vendor_api import VendorError

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a is not None and a > b,
    "ge": lambda a, b: a is not None and a >= b, "lt": lambda a, b: a is not None and a < b,
    "le": lambda a, b: a is not None and a <= b,
}  # fmt: skip
KINDS = {"Edm.String": "text", "Edm.Guid": "guid", "Edm.DateTimeOffset": "instant", "Edm.Date": "date",
         "Edm.Decimal": "number", "Edm.Int32": "number", "Edm.Boolean": "boolean"}  # fmt: skip
_TOKEN = re.compile(
    r"\s*(?:(?P<text>'(?:[^']|'')*')|(?P<instant>\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))"
    r"|(?P<date>\d{4}-\d\d-\d\d)|(?P<guid>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})"
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_EDM_OF_LITERAL = {"text": "Edm.String", "instant": "Edm.DateTimeOffset", "date": "Edm.Date", "guid": "Edm.Guid",
                   "number": "Edm.Decimal", "boolean": "Edm.Boolean"}  # fmt: skip
SERVICE_ROOTS = ("/api/v2.0/", "/ODataV4/")  # where BC's and NAV's service roots end
_OPERATOR_NAMES = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual",
                   "lt": "LessThan", "le": "LessThanOrEqual"}  # fmt: skip


@dataclass(frozen=True)
class EntityType:
    """An entity set's type name (`Microsoft.NAV.salesOrder`), its properties' OData types and its key property."""

    name: str
    properties: dict[str, str]
    key: str


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str
    kind: str
    value: Any

    def holds(self, record: dict[str, Any]) -> bool:
        return OPERATORS[self.operator](_typed(record.get(self.field), self.kind), self.value)


def _typed(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None if kind != "text" else value
    if kind == "instant":
        return parse_time(value)
    if kind == "date":
        return dt.date.fromisoformat(str(value)[:10])
    if kind == "number":
        return float(value)
    if kind == "guid":
        return str(value).lower()
    return value


def _literal(kind: str, raw: str) -> Any:
    if kind == "text":
        return raw[1:-1].replace("''", "'")
    if kind == "word":
        if raw not in ("true", "false", "null"):
            raise odata_error(400, f"Syntax error: the literal '{raw}' is not valid.")
        return None if raw == "null" else raw == "true"
    return _typed(raw, kind)


def _bad_syntax(text: str) -> VendorError:
    return odata_error(400, f"Syntax error at position {len(text)} in '{text}'.")


def parse_filter(text: str, entity: EntityType) -> list[Comparison]:
    """`$filter` as comparisons that all must hold; 400 with OData's messages for what BC would refuse."""
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _bad_syntax(text)
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    comparisons = []
    for index in range(0, len(tokens), 4):
        group = tokens[index : index + 3]
        joined = tokens[index + 3] if index + 3 < len(tokens) else None
        if (
            len(group) < 3
            or group[0][0] != "word"
            or group[1][0] != "word"
            or (joined is not None and joined != ("word", "and"))
        ):
            raise _bad_syntax(text)
        (_, name), (_, operator), (kind, raw) = group
        if operator not in OPERATORS:
            raise _bad_syntax(text)
        edm = entity.properties.get(name)
        if edm is None:
            raise odata_error(400, f"Could not find a property named '{name}' on type '{entity.name}'.")
        value = _literal(kind, raw)
        literal_kind = "boolean" if kind == "word" and value is not None else kind
        if (
            value is not None
            and _EDM_OF_LITERAL.get(literal_kind) != edm
            and not (edm == "Edm.Int32" and literal_kind == "number")
        ):
            found = _EDM_OF_LITERAL.get(literal_kind, "Edm.String")
            raise odata_error(400, "A binary operator with incompatible types was detected. Found operand types "
                              f"'{edm}' and '{found}' for operator kind '{_OPERATOR_NAMES[operator]}'.")  # fmt: skip
        comparisons.append(Comparison(name, operator, KINDS[edm], value))
    return comparisons


def _integer(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise odata_error(400, f"Invalid value '{raw}' for {name} query option found.")
    return int(raw)


def max_page_size(request: Request, server_max: int) -> tuple[int, str | None]:
    """The page size and, when the client asked one with `Prefer: odata.maxpagesize=N`, the preference applied."""
    match = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", request.headers.get("prefer", ""))
    if match is None or int(match.group(1)) < 1:
        return server_max, None
    size = min(int(match.group(1)), server_max)
    return size, f"odata.maxpagesize={size}"


def query_page(
    request: Request, records: Iterable[dict[str, Any]], entity: EntityType, server_max: int
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """The records of this page (in key order), the next page's absolute link, and the preference applied."""
    params = request.query_params
    comparisons = parse_filter(params["$filter"], entity) if params.get("$filter") else []
    key = entity.key
    found = sorted((r for r in records if all(c.holds(r) for c in comparisons)), key=lambda r: str(r[key]))
    skip_token = params.get("$skiptoken")
    if skip_token is not None:
        found = [r for r in found if str(r[key]) > skip_token]
    found = found[_integer(request, "$skip") or 0 :]
    top = _integer(request, "$top")
    if top is not None:
        found = found[:top]
    size, applied = max_page_size(request, server_max)
    page, rest = found[:size], found[size:]
    next_link = None
    if rest:
        query = [(k, v) for k, v in params.multi_items() if k != "$skiptoken"]
        if top is not None:  # what is left of $top for the pages after this one
            query = [(k, str(top - size) if k == "$top" else v) for k, v in query]
        query = [(k, v) for k, v in query if k != "$skip"]
        query.append(("$skiptoken", str(page[-1][key])))
        next_link = str(request.url.replace(query=urlencode(query, safe="$',:()")))
    return page, next_link, applied


def select(record: dict[str, Any], request: Request, entity: EntityType) -> dict[str, Any]:
    """`$select`: the named properties (and `@odata.etag`); navigation properties stay as expanded."""
    raw = request.query_params.get("$select")
    if not raw:
        return record
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in entity.properties]
    if unknown:
        raise odata_error(400, f"Could not find a property named '{unknown[0]}' on type '{entity.name}'.")
    return {k: v for k, v in record.items() if k in names or k.startswith("@") or k not in entity.properties}


def expanded(request: Request, entity: EntityType, allowed: tuple[str, ...]) -> set[str]:
    """The navigation properties `$expand` asks for; 400 for one the entity does not have."""
    names = {name.strip() for name in request.query_params.get("$expand", "").split(",") if name.strip()}
    unknown = sorted(names - set(allowed))
    if unknown:
        raise odata_error(400, f"Could not find a property named '{unknown[0]}' on type '{entity.name}'.")
    return names


def _context(request: Request) -> str:
    """`<service root>/$metadata#<resource path>`, as `@odata.context` names what a page holds."""
    url = str(request.url.replace(query=""))
    for marker in SERVICE_ROOTS:
        root, found, resource = url.partition(marker)
        if found:
            return f"{root}{marker}$metadata#{unquote(resource)}"
    return url


def collection(
    request: Request,
    records: Iterable[dict[str, Any]],
    entity: EntityType,
    server_max: int,
    show: Callable[[dict[str, Any]], dict[str, Any]],
) -> JSONResponse:
    """One page of an entity set: `@odata.context`, `value` (each record through `show`, then `$select`) and
    `@odata.nextLink` while more match; `Preference-Applied` echoes the page size the client asked for."""
    page, next_link, applied = query_page(request, records, entity, server_max)
    value = [select(show(record), request, entity) for record in page]
    body: dict[str, Any] = {"@odata.context": _context(request), "value": value}
    if next_link:
        body["@odata.nextLink"] = next_link
    return JSONResponse(body, headers={"Preference-Applied": applied} if applied else None)
