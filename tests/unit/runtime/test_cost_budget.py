"""The client's GraphQL cost budget comes from a factory: the process's `CostBucket` by default, any shared budget
(the registry's) when given; it takes each query's cost before sending and is fed the app's throttle status."""

from __future__ import annotations

from typing import Any

import requests

from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.rate_limit import CostBucket, cost_bucket_for
from connectors.runtime.http.request import RenderedRequest
from connectors.spec.app_version import AppVersionSpec
from tests.unit.runtime.helpers import make_spec, unique_connection
from tests.unit.runtime.scripted_server import ScriptedServer

QUERY = "query { shop { name } }"  # estimated at 1 point: one object


def graphql_spec() -> AppVersionSpec:
    return make_spec(graphql={"url": "/graphql.json", "cost": {"path": "extensions.cost"}})


class RecordingBudget:
    """A `CostBudget` that records what the client asked of it."""

    def __init__(self) -> None:
        self.known_costs: dict[str, float] = {}
        self.taken: list[float] = []
        self.observed: list[tuple[float, float, float]] = []

    def acquire(self, cost: float = 1.0) -> float:
        self.taken.append(cost)
        return 0.0

    def observe(self, maximum: float, available: float, restore_rate: float) -> None:
        self.observed.append((maximum, available, restore_rate))


def client(spec: AppVersionSpec, base_url: str, connection_id: str, **kwargs: Any) -> AppClient:
    session = requests.Session()
    session.trust_env = False
    return AppClient(
        spec, ConnectionValues(connection_id), environment={"base_url": base_url}, session=session, **kwargs
    )


def answer(requested: float, available: float) -> dict[str, Any]:
    status = {"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": 50.0}
    return {"data": {"shop": {"name": "Acme"}}, "extensions": {"cost": {"requestedQueryCost": requested,
                                                                         "throttleStatus": status}}}  # fmt: skip


def send(app: AppClient) -> None:
    app.send(RenderedRequest("POST", app.base_url + "/graphql.json", json={"query": QUERY}, graphql=True))


def test_a_client_built_directly_keeps_the_process_cost_bucket(scripted_server: ScriptedServer) -> None:
    connection_id = unique_connection()
    app = client(graphql_spec(), scripted_server.url, connection_id)
    assert isinstance(app.cost_bucket, CostBucket) and app.cost_bucket is cost_bucket_for("probe", connection_id)


def test_the_given_cost_budget_takes_each_querys_cost_and_hears_the_app(scripted_server: ScriptedServer) -> None:
    budget, asked = RecordingBudget(), []

    def factory(spec: AppVersionSpec, connection_id: str) -> RecordingBudget:
        asked.append((spec.app.key, connection_id))
        return budget

    app = client(graphql_spec(), scripted_server.url, "acme", cost_budget=factory)
    scripted_server.reply(200, answer(requested=4, available=996))
    scripted_server.reply(200, answer(requested=4, available=992))
    send(app)
    send(app)
    assert asked == [("probe", "acme")] and app.cost_bucket is budget
    assert budget.taken == [1, 4]  # the estimate, then what the app charged for the same query
    assert budget.observed == [(1000, 996, 50), (1000, 992, 50)]
    assert budget.known_costs == {QUERY: 4}


def test_an_app_without_a_cost_limit_asks_for_no_cost_budget(scripted_server: ScriptedServer) -> None:
    def factory(spec: AppVersionSpec, connection_id: str) -> RecordingBudget:
        raise AssertionError("no cost budget for an app without `graphql.cost`")

    app = client(make_spec(), scripted_server.url, "acme", cost_budget=factory)
    assert app.cost_bucket is None
