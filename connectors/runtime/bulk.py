"""Bulk actions: many items in one request, each item ending on its own.

An action with `bulk:` describes one item by its `inputs`; `bulk.item` is what one item puts in the request and
the request's templates see `items`, the rendered list. The answer names failed items either by index in a list of
errors (Shopify's `userErrors[].field`) or by a per-item result in the order sent (WooCommerce's `batch`). When the
app applies nothing if any item is wrong (`atomic`), the items not named are sent again without the bad ones.

Finding app ids for keys (`resolve:`) goes through a search of the same app, many keys per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from connectors.runtime.errors import ConfigurationError, PermanentError
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.request import render_request, response_body
from connectors.runtime.paths import dig
from connectors.runtime.templating import TemplateError, render_value
from connectors.runtime.values import resolve_values
from connectors.spec.actions import ActionSpec, BulkSpec, ResolveSpec


@dataclass(frozen=True)
class ItemOutcome:
    """How one item of a bulk request ended: `error` None means applied; `code` is the app's error code."""

    error: str | None = None
    code: str | None = None
    result: Any = None
    status_code: int | None = None


@dataclass(frozen=True)
class BulkCall:
    """One item per input item, in order; `requests` is how many requests it took (an atomic retry adds one)."""

    outcomes: list[ItemOutcome]
    requests: int
    request: dict[str, Any]


def bulk_spec(client: AppClient, key: str) -> tuple[ActionSpec, BulkSpec]:
    spec = client.spec.actions[key]
    if spec.bulk is None:
        raise ConfigurationError(f"action '{key}' of {client.spec.ref} is not a bulk action")
    return spec, spec.bulk


def item_values(client: AppClient, key: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """One item's inputs checked and typed as the action declares them (raises ConfigurationError)."""
    spec = client.spec.actions[key]
    return resolve_values(spec.inputs, inputs, f"inputs of action '{key}' in {client.spec.ref}")


def run_bulk_action(client: AppClient, key: str, items: Sequence[Mapping[str, Any]]) -> BulkCall:
    """Send `items` (at most `max_items`, already checked by `item_values`) in one request; per item, whether it
    was applied. An error for the whole request (HTTP status, GraphQL error) raises as for any action."""
    spec, bulk = bulk_spec(client, key)
    if len(items) > bulk.max_items:
        raise ConfigurationError(f"{len(items)} items for action '{key}', which takes at most {bulk.max_items}")
    outcomes: dict[int, ItemOutcome] = {}
    pending = list(range(len(items)))
    requests, described = 0, {}
    while pending:
        rendered = [_render_item(client, bulk, items[index]) for index in pending]
        context = client.template_context(items=rendered)
        request = replace(render_request(spec.request, context, client.base_url, client.graphql_url),
                          item_errors=bulk.errors is not None)  # fmt: skip
        response = client.send(request)
        requests += 1
        described = {"method": request.method, "url": request.url, "items": len(rendered)}
        body = response_body(response)
        failed = _item_errors(bulk, body, len(pending))
        if bulk.atomic and failed:  # nothing applied: the named items failed, the others go again
            for position, outcome in failed.items():
                outcomes[pending[position]] = replace_status(outcome, response.status_code)
            pending = [index for position, index in enumerate(pending) if position not in failed]
            continue
        results = _item_results(bulk, body, len(pending), spec.result)
        for position, index in enumerate(pending):
            outcome = failed.get(position) or ItemOutcome(result=results[position])
            outcomes[index] = replace_status(outcome, response.status_code)
        pending = []
    return BulkCall([outcomes[index] for index in range(len(items))], requests, described)


def replace_status(outcome: ItemOutcome, status_code: int) -> ItemOutcome:
    return ItemOutcome(outcome.error, outcome.code, outcome.result, status_code)


def _render_item(client: AppClient, bulk: BulkSpec, values: Mapping[str, Any]) -> Any:
    try:
        return render_value(bulk.item, client.template_context(inputs=values))
    except TemplateError as exc:
        raise ConfigurationError(str(exc)) from exc


def _item_errors(bulk: BulkSpec, body: Any, count: int) -> dict[int, ItemOutcome]:
    """Position in the request -> its error. An error naming no item of the request fails the whole request."""
    failed: dict[int, ItemOutcome] = {}
    if bulk.errors:
        for error in dig(body, bulk.errors) or []:
            index, message = _index(dig(error, bulk.error_index or "")), str(dig(error, bulk.error_message) or error)
            if index is None or not 0 <= index < count:
                raise PermanentError(f"the app refused the request: {message}")
            code = dig(error, bulk.error_code) if bulk.error_code else None
            previous = failed.get(index)
            text = message if previous is None else f"{previous.error}; {message}"
            failed[index] = ItemOutcome(text, str(code) if code is not None else None)
    if bulk.results and bulk.result_error:
        for position, result in enumerate(_listed(dig(body, bulk.results))[:count]):
            error = dig(result, bulk.result_error) if isinstance(result, dict) else None
            if error:
                message = dig(error, bulk.error_message) if isinstance(error, dict) else error
                code = dig(error, bulk.error_code) if bulk.error_code and isinstance(error, dict) else None
                failed[position] = ItemOutcome(str(message or error), str(code) if code is not None else None)
    return failed


def _item_results(bulk: BulkSpec, body: Any, count: int, result_path: str) -> list[Any]:
    """Each item's result: its entry in the per-item results, or the request's result for all."""
    if bulk.results:
        listed = _listed(dig(body, bulk.results))
        return [listed[i] if i < len(listed) else None for i in range(count)]
    shared = dig(body, result_path)
    return [shared] * count


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _index(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def resolve_keys(client: AppClient, resolve: ResolveSpec, keys: Iterable[str]) -> dict[str, Any]:
    """Key -> value for every key the app's search finds (`max_keys` keys per search); missing keys were not
    found."""
    from connectors.runtime.steps import search_records

    wanted = sorted(set(keys))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), resolve.max_keys):
        chunk = wanted[start : start + resolve.max_keys]
        for record in search_records(client, resolve.search, {resolve.search_input: chunk}):
            key, value = dig(record, resolve.key), dig(record, resolve.value)
            if key is not None and value is not None and str(key) in chunk:
                found.setdefault(str(key), value)
    return found
