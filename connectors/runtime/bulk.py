"""Bulk actions: many items in one request, each item ending on its own.

An action with `bulk:` describes one item by its `inputs`; `bulk.item` is what one item puts in the request and
the request's templates see `items`, the rendered list (or, with `keyed_by`, an object {key: item}, as Flipkart's
`{"<sku>": {...}}`). The answer names failed items by index in a list of errors (Shopify's `userErrors[].field`),
by a per-item result in the order sent (WooCommerce's `batch`) or by a per-item result under the item's key
(Flipkart's `{"<sku>": {"status": ...}}`). When the app applies nothing if any item is wrong (`atomic`), the items
not named are sent again without the bad ones.

Finding app ids for keys (`resolve:`) goes through a search of the same app, many keys per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from connectors.runtime.errors import ConfigurationError, PermanentError
from connectors.runtime.http.client import AppClient
from connectors.runtime.http.request import RenderedRequest, render_request, response_body
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
    was applied. An error for the whole request (HTTP status, GraphQL error) raises as for any action.

    With `keyed_by`, one request carries one item per key: items sharing a key with an earlier item go in the
    next request, in order (the last one sent is the one that stays)."""
    spec, bulk = bulk_spec(client, key)
    if len(items) > bulk.max_items:
        raise ConfigurationError(f"{len(items)} items for action '{key}', which takes at most {bulk.max_items}")
    outcomes: dict[int, ItemOutcome] = {}
    keys = _item_keys(client, bulk, items) if bulk.keyed_by is not None else {}
    for index in [index for index in range(len(items)) if keys.get(index, "") is None]:
        outcomes[index] = ItemOutcome(f"'keyed_by' ({bulk.keyed_by}) gave no key for this item")
    pending = [index for index in range(len(items)) if index not in outcomes]
    requests, described = 0, {}
    while pending:
        sending = _one_per_key(pending, keys) if keys else pending
        waiting = [index for index in pending if index not in set(sending)]
        request = _render_request(client, spec, bulk, items, sending, keys)
        response = client.send(request)
        requests += 1
        described = {"method": request.method, "url": request.url, "items": len(sending)}
        body = response_body(response)
        if keys:
            failed, results = _keyed_outcomes(bulk, body, [str(keys[index]) for index in sending])
        else:
            failed = _item_errors(bulk, body, len(sending))
        if bulk.atomic and failed:  # nothing applied: the named items failed, the others go again
            for position, outcome in failed.items():
                outcomes[sending[position]] = replace_status(outcome, response.status_code)
            unnamed = [index for position, index in enumerate(sending) if position not in failed]
            pending = sorted(unnamed + waiting)
            continue
        if not keys:
            results = _item_results(bulk, body, len(sending), spec.result)
        for position, index in enumerate(sending):
            outcome = failed.get(position) or ItemOutcome(result=results[position])
            outcomes[index] = replace_status(outcome, response.status_code)
        pending = waiting
    return BulkCall([outcomes[index] for index in range(len(items))], requests, described)


def replace_status(outcome: ItemOutcome, status_code: int) -> ItemOutcome:
    return ItemOutcome(outcome.error, outcome.code, outcome.result, status_code)


def _render_request(
    client: AppClient,
    spec: ActionSpec,
    bulk: BulkSpec,
    items: Sequence[Mapping[str, Any]],
    sending: Sequence[int],
    keys: Mapping[int, str | None],
) -> RenderedRequest:
    rendered: list[Any] | dict[str, Any]
    if keys:
        rendered = {str(keys[index]): _render_item(client, bulk, items[index]) for index in sending}
    else:
        rendered = [_render_item(client, bulk, items[index]) for index in sending]
    context = client.template_context(items=rendered)
    request = render_request(spec.request, context, client.base_url, client.graphql_url)
    return replace(request, item_errors=bulk.errors is not None)


def _render_item(client: AppClient, bulk: BulkSpec, values: Mapping[str, Any]) -> Any:
    try:
        return render_value(bulk.item, client.template_context(inputs=values))
    except TemplateError as exc:
        raise ConfigurationError(str(exc)) from exc


def _item_keys(client: AppClient, bulk: BulkSpec, items: Sequence[Mapping[str, Any]]) -> dict[int, str | None]:
    """Each item's key (`keyed_by` rendered with its inputs); None when it renders empty."""
    keys: dict[int, str | None] = {}
    for index, values in enumerate(items):
        try:
            value = render_value(bulk.keyed_by, client.template_context(inputs=values))
        except TemplateError as exc:
            raise ConfigurationError(f"bulk.keyed_by: {exc}") from exc
        keys[index] = None if value is None or str(value) == "" else str(value)
    return keys


def _one_per_key(pending: Sequence[int], keys: Mapping[int, str | None]) -> list[int]:
    """The first pending item of each key, in order: a later item with the same key waits for the next request."""
    seen: set[str | None] = set()
    sending = []
    for index in pending:
        if keys[index] not in seen:
            seen.add(keys[index])
            sending.append(index)
    return sending


def _keyed_outcomes(bulk: BulkSpec, body: Any, keys: Sequence[str]) -> tuple[dict[int, ItemOutcome], list[Any]]:
    """Per position: the item's error (its result says so, or the answer has no result for its key) and its
    result. Without `results`, every item has the request's result and is applied."""
    if bulk.results is None:
        return {}, [body] * len(keys)
    answered = dig(body, bulk.results)
    answered = answered if isinstance(answered, dict) else {}
    failed: dict[int, ItemOutcome] = {}
    results: list[Any] = []
    for position, key in enumerate(keys):
        if key not in answered:
            failed[position] = ItemOutcome(f"the answer has no result for it (key '{key}')")
            results.append(None)
            continue
        results.append(answered[key])
        outcome = _result_failure(bulk, answered[key])
        if outcome is not None:
            failed[position] = outcome
    return failed, results


def _result_failure(bulk: BulkSpec, result: Any) -> ItemOutcome | None:
    """The error one per-item result reports (`result_error`, `result_failed_when`), None when it was applied."""
    if not isinstance(result, dict):
        return None
    if bulk.result_error:
        error = dig(result, bulk.result_error)
        if error:
            message = dig(error, bulk.error_message) if isinstance(error, dict) else error
            code = dig(error, bulk.error_code) if bulk.error_code and isinstance(error, dict) else None
            return ItemOutcome(str(message or error), str(code) if code is not None else None)
    when = bulk.result_failed_when
    if when is not None:
        value = dig(result, when.path)
        if value in when.values:
            messages, codes = [], []
            for path in when.errors:
                for error in _listed(dig(result, path)):
                    if isinstance(error, dict):
                        messages.append(str(dig(error, bulk.error_message) or error))
                        code = dig(error, bulk.error_code) if bulk.error_code else None
                        if code is not None:
                            codes.append(str(code))
                    else:
                        messages.append(str(error))
            text = "; ".join(messages) or f"{when.path} is {value}"
            return ItemOutcome(text, codes[0] if codes else None)
    return None


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
    if bulk.results is not None and (bulk.result_error or bulk.result_failed_when):
        for position, result in enumerate(_listed(dig(body, bulk.results))[:count]):
            outcome = _result_failure(bulk, result)
            if outcome is not None:
                failed[position] = outcome
    return failed


def _item_results(bulk: BulkSpec, body: Any, count: int, result_path: str) -> list[Any]:
    """Each item's result: its entry in the per-item results, or the request's result for all."""
    if bulk.results is not None:
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
