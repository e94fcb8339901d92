"""Reading an entity set as SAP Gateway answers it: `$filter` (the subset in `odata_filter`), `$skip` and `$top`
first, then server-driven paging: at most `page_size` entities a page, and `__next` with a `$skiptoken` (the same URL
and options, the token the number of entities already sent). `$inlinecount=allpages` adds `__count` (text), `$expand`
writes the navigation properties inline.

The simulator answers JSON only: a read must ask for it (`$format=json` or `Accept: application/json`), as SAP
answers Atom XML otherwise."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from connectors.sandbox.sap_s4hana.entities import EntityType, to_json
from connectors.sandbox.sap_s4hana.errors import sap_error
from connectors.sandbox.sap_s4hana.odata_filter import parse_filter
from connectors.sandbox.vendor_api import VendorError

_KEPT = "$',:()"  # left as they are in __next, as Gateway writes it
KNOWN_OPTIONS = {"$filter", "$top", "$skip", "$skiptoken", "$inlinecount", "$expand", "$format", "sap-client"}


def wants_json(request: Request) -> bool:
    return request.query_params.get("$format") == "json" or "application/json" in request.headers.get("accept", "")


def require_json(request: Request, service: str) -> None:
    if not wants_json(request):
        raise sap_error(406, "/IWFND/CM_MGW/006", "The sandbox answers JSON only: $format=json or Accept: "
                        "application/json (SAP would answer Atom XML)", service)  # fmt: skip


def _count(request: Request, name: str, service: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise sap_error(400, "/IWBEP/CM_MGW_RT/022", f"Invalid system query option value: {name}={raw}", service)
    return int(raw)


def expanded(request: Request, entity: EntityType) -> set[str]:
    wanted = {name.strip() for name in request.query_params.get("$expand", "").split(",") if name.strip()}
    unknown = wanted - set(entity.navigation)
    if unknown:
        name = sorted(unknown)[0]
        raise sap_error(400, "/IWBEP/CM_MGW_RT/021", f"Property {name} not found in type {entity.name}",
                        entity.service)  # fmt: skip
    return wanted


def _unknown_options(request: Request, entity: EntityType) -> None:
    for name in request.query_params:
        if name.startswith("$") and name not in KNOWN_OPTIONS:
            raise sap_error(400, "/IWBEP/CM_MGW_RT/022", f"System query option '{name}' is not supported by the "
                            "sandbox", entity.service)  # fmt: skip


def read_collection(
    request: Request, records: list[dict[str, Any]], entity: EntityType, service_url: str, page_size: int
) -> dict[str, Any]:
    """`{"d": {"results": [...], "__count"?, "__next"?}}` for the records, in key order."""
    require_json(request, entity.service)
    _unknown_options(request, entity)
    query = request.query_params
    selected = sorted(records, key=lambda record: str(record[entity.key]).rjust(20, "0"))
    if "$filter" in query:
        matches = parse_filter(query["$filter"], entity)
        selected = [record for record in selected if matches(record)]
    total = len(selected)
    skip, top = _count(request, "$skip", entity.service) or 0, _count(request, "$top", entity.service)
    selected = selected[skip:] if top is None else selected[skip : skip + top]
    start = _count(request, "$skiptoken", entity.service) or 0
    page = selected[start : start + page_size]
    expand = expanded(request, entity)
    body: dict[str, Any] = {"results": [to_json(record, entity, service_url, expand) for record in page]}
    if query.get("$inlinecount") == "allpages":
        body["__count"] = str(total)
    if start + page_size < len(selected):
        options = [(name, value) for name, value in query.multi_items() if name != "$skiptoken"]
        options.append(("$skiptoken", str(start + page_size)))
        body["__next"] = f"{service_url}/{entity.entity_set}?" + urlencode(options, safe=_KEPT)
    return {"d": body}


def not_found(entity: EntityType) -> VendorError:
    return sap_error(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{entity.name}'", entity.service)
