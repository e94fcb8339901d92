"""GraphQL over HTTP: errors in a 200 answer, and the calculated query cost of cost-limited APIs (Shopify).

A GraphQL server answers 200 even when the operation failed: `errors: [...]` at the top level (a syntax error, a
missing object, `THROTTLED`), or `userErrors` in a mutation's payload (validation). Both are errors here: a
throttled code is retryable after the wait the bucket's state implies, anything else is permanent.

Cost: before sending, the client waits until its cost bucket holds the query's cost. The cost is the
`requestedQueryCost` the app reported for the same query last time, or a static estimate by Shopify's rules:
a scalar costs 0, an object 1, a connection (a field with `first` or `last`) 2 plus N times one node, a mutation 10.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import graphql

from connectors.runtime.paths import dig
from connectors.spec.app_version import GraphQLApiSpec, GraphQLCostSpec

MUTATION_COST = 10
CONNECTION_COST = 2
OBJECT_COST = 1
NODE_WRAPPERS = frozenset({"edges", "node", "nodes"})  # a connection's node, counted once per page item
FREE_FIELDS = frozenset({"pageInfo", "userErrors"})


@dataclass(frozen=True)
class ThrottleStatus:
    """The app's cost bucket after a request: `maximum` points, `available` now, `restore_rate` points per second."""

    maximum: float
    available: float
    restore_rate: float

    def wait_for(self, cost: float) -> float:
        """Seconds until the bucket holds `cost` (at most its maximum)."""
        missing = min(cost, self.maximum) - self.available
        return max(0.0, missing / self.restore_rate) if self.restore_rate > 0 else 0.0


@dataclass(frozen=True)
class CostReport:
    requested: float | None
    status: ThrottleStatus | None


def read_cost(body: Any, spec: GraphQLCostSpec) -> CostReport:
    """The cost report of a response body (`extensions.cost` on Shopify); empty when absent or malformed."""
    report = dig(body, spec.path) if isinstance(body, dict) else None
    if not isinstance(report, dict):
        return CostReport(None, None)
    requested = report.get(spec.requested)
    status = report.get(spec.throttle_status)
    throttle = None
    if isinstance(status, dict):
        try:
            throttle = ThrottleStatus(
                float(status["maximumAvailable"]), float(status["currentlyAvailable"]), float(status["restoreRate"])
            )
        except (KeyError, TypeError, ValueError):
            throttle = None
    return CostReport(float(requested) if isinstance(requested, int | float) else None, throttle)


@dataclass(frozen=True)
class GraphQLFailure:
    """What went wrong in a 200 answer: `throttled` failures may be retried."""

    message: str
    throttled: bool


def find_failure(body: Any, spec: GraphQLApiSpec, user_errors: bool = True) -> GraphQLFailure | None:
    """Top-level `errors`, or `userErrors` in any payload under `data` (unless the caller reads them per item);
    None when the operation succeeded."""
    if not isinstance(body, dict):
        return GraphQLFailure("the GraphQL answer is not a JSON object", throttled=False)
    errors = body.get("errors")
    if errors:
        errors = errors if isinstance(errors, list) else [errors]
        codes = {dig(error, "extensions.code") for error in errors if isinstance(error, dict)}
        messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        return GraphQLFailure(f"GraphQL errors: {messages}", throttled=bool(codes & set(spec.throttled_codes)))
    data = body.get("data")
    if not user_errors:
        return None
    for field, payload in (data or {}).items() if isinstance(data, dict) else ():
        user_errors = payload.get("userErrors") if isinstance(payload, dict) else None
        if user_errors:
            described = "; ".join(_describe_user_error(error) for error in user_errors)
            return GraphQLFailure(f"{field} refused: {described}", throttled=False)
    return None


def _describe_user_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    field = error.get("field")
    where = ".".join(str(part) for part in field) + ": " if isinstance(field, list) else ""
    code = f" ({error['code']})" if error.get("code") else ""
    return f"{where}{error.get('message', '')}{code}"


def estimate_cost(query: str, variables: dict[str, Any] | None = None) -> int:
    """The requested cost of an operation by Shopify's rules, without its schema (a field with a selection set is
    an object; with `first` or `last` it is a connection)."""
    document = _parse(query)
    operation = next(d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode))
    if operation.operation == graphql.OperationType.MUTATION:
        return MUTATION_COST * len(operation.selection_set.selections)
    return _selection_cost(operation.selection_set, variables or {})


@functools.lru_cache(maxsize=256)
def _parse(query: str) -> graphql.DocumentNode:
    return graphql.parse(query, no_location=True)


def _selection_cost(selection_set: graphql.SelectionSetNode | None, variables: dict[str, Any]) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, graphql.FieldNode):
            total += _field_cost(selection, variables)
        elif isinstance(selection, graphql.InlineFragmentNode):
            total += _selection_cost(selection.selection_set, variables)
    return total


def _field_cost(field: graphql.FieldNode, variables: dict[str, Any]) -> int:
    if field.selection_set is None or field.name.value in FREE_FIELDS:
        return 0
    size = _page_size(field, variables)
    if size is None:
        return OBJECT_COST + _selection_cost(field.selection_set, variables)
    node = _node_selection_cost(field.selection_set, variables)
    return CONNECTION_COST + size * (OBJECT_COST + node)


def _node_selection_cost(selection_set: graphql.SelectionSetNode, variables: dict[str, Any]) -> int:
    """The cost of one node of a connection: what is selected below `nodes` or `edges { node }`."""
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, graphql.FieldNode) and selection.name.value in NODE_WRAPPERS:
            total += _node_selection_cost(selection.selection_set, variables) if selection.selection_set else 0
        elif isinstance(selection, graphql.FieldNode):
            total += _field_cost(selection, variables)
    return total


def _page_size(field: graphql.FieldNode, variables: dict[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        value = graphql.value_from_ast_untyped(argument.value, variables)
        return int(value) if isinstance(value, int) else None
    return None
