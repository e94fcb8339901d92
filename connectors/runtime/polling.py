"""Polling a trigger over a time window [start, end): the window is Airflow's data interval, so any past period
can be polled again (backfill)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from connectors.runtime.http.client import AppClient
from connectors.runtime.http.pagination import build_paginator
from connectors.runtime.http.request import render_request, response_body
from connectors.runtime.paths import dig
from connectors.spec.triggers import PollingTriggerSpec, WindowSpec

MAX_PAGES = 10_000


def format_instant(moment: dt.datetime, window: WindowSpec) -> str | int:
    moment = moment.astimezone(dt.UTC)
    if window.format == "iso8601":
        return moment.isoformat().replace("+00:00", "Z")
    if window.format == "epoch":
        return int(moment.timestamp())
    return moment.strftime(window.format)


def poll(
    client: AppClient, key: str, start: dt.datetime, end: dt.datetime, params: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record the trigger returns for the window, across pages (the window starts `overlap_seconds`
    earlier, so records updated at a boundary are not lost; the inbox removes the duplicates)."""
    trigger: PollingTriggerSpec = client.spec.triggers[key]  # type: ignore[assignment]
    window: dict[str, Any] = {"start": start, "end": end}
    if trigger.window:
        overlap = dt.timedelta(seconds=trigger.window.overlap_seconds)
        window["start_text"] = format_instant(start - overlap, trigger.window)
        window["end_text"] = format_instant(end, trigger.window)
    context = client.template_context(window=window, params=params or {})
    request = render_request(trigger.request, context, client.base_url, client.graphql_url)
    if trigger.window and trigger.window.start_param:
        query = {**request.params, trigger.window.start_param: window["start_text"]}
        if trigger.window.end_param:
            query[trigger.window.end_param] = window["end_text"]
        request = replace(request, params=query)
    paginator = build_paginator(trigger.pagination, client.base_url)
    page: Any = paginator.first(request)
    for _ in range(MAX_PAGES):
        response = client.send(page)
        records = dig(response_body(response), trigger.records) or []
        yield from records
        page = paginator.next(page, response, records)
        if page is None:
            return
    raise RuntimeError(f"polling {client.spec.ref} {key} stopped after {MAX_PAGES} pages")
