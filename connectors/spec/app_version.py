"""The app version: the root of one `connectors/apps/<key>/<version>.yaml` file."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from connectors.spec.actions import ActionSpec, SearchSpec
from connectors.spec.auth import AuthSpec
from connectors.spec.base import SpecModel, TypedFieldSpec, describe_type_mismatch
from connectors.spec.templates import is_template
from connectors.spec.triggers import TriggerSpec

SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$"
KEY = r"^[a-z][a-z0-9_]*$"
APP_REF = r"^[a-z][a-z0-9_]*@(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$"


class AppMetaSpec(SpecModel):
    key: str = Field(pattern=KEY, description="Lower-case identifier, also the folder name.")
    name: str
    description: str | None = None
    category: Literal["marketplace", "cart", "shipping", "pos", "erp", "fulfilment", "generic"]


class DeprecationSpec(SpecModel):
    sunset: dt.date = Field(description="From this date workflows on this version stop running.")
    replacement: str | None = Field(default=None, pattern=SEMVER)
    reason: str | None = None


class PropertySpec(TypedFieldSpec):
    """A custom property: a typed client setting whose value lives in the connection."""

    type: Literal["string", "integer", "boolean", "choice", "secret"] = "string"  # type: ignore[assignment]


class EnvironmentVariableSpec(SpecModel):
    """A per-version setting or secret whose value lives in Airflow Variables."""

    type: Literal["string", "integer", "number", "boolean"] = "string"
    required: bool = False
    default: str | int | float | bool | None = None
    secret: bool = False
    description: str | None = None

    @model_validator(mode="after")
    def _check(self) -> EnvironmentVariableSpec:
        if self.default is not None:
            problem = describe_type_mismatch(self.type, self.default)
            if problem:
                raise ValueError(f"default {problem}")
        if self.secret and self.default is not None:
            raise ValueError("a secret environment variable cannot have a default in the definition")
        return self


class RetryPolicySpec(SpecModel):
    """Retries inside one call; past the cap a typed error lets Airflow retry the task later."""

    max_attempts: int = Field(default=5, ge=1, le=20)
    statuses: list[int] = Field(default_factory=lambda: [429, 500, 502, 503, 504])
    initial_backoff: float = Field(default=1.0, ge=0)
    max_backoff: float = Field(default=30.0, ge=0)
    multiplier: float = Field(default=2.0, ge=1)
    jitter: float = Field(default=1.0, ge=0, description="Up to this many seconds are added at random.")
    max_elapsed: float = Field(default=120.0, gt=0, description="Seconds after which no new attempt starts.")
    max_retry_after: float = Field(default=120.0, gt=0, description="A longer Retry-After ends the call at once.")


class CallLimitHeaderSpec(SpecModel):
    """A response header reporting bucket use as `used/limit` (Shopify `X-Shopify-Shop-Api-Call-Limit`)."""

    name: str
    format: Literal["used/limit"] = "used/limit"


class RateLimitSpec(SpecModel):
    """Proactive token bucket per (app, connection)."""

    requests_per_second: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)
    header: CallLimitHeaderSpec | None = None


class GraphQLCostSpec(SpecModel):
    """Cost-based rate limiting (Shopify's calculated query cost): where a response reports the query's cost and
    the bucket's state. Before a query is sent, the client waits until the bucket holds its cost."""

    path: str = Field(default="extensions.cost", description="Dotted path of the cost report in the response body.")
    requested: str = Field(default="requestedQueryCost", description="Key of the query's requested cost.")
    throttle_status: str = Field(default="throttleStatus", description="Key of the bucket's state: "
                                 "maximumAvailable, currentlyAvailable, restoreRate (points per second).")  # fmt: skip


class GraphQLApiSpec(SpecModel):
    """The app's GraphQL endpoint, used by every request with a `graphql` operation."""

    url: str = Field(default="/graphql.json", description="Path relative to base_url (or absolute); Jinja template.")
    throttled_codes: list[str] = Field(
        default_factory=lambda: ["THROTTLED"],
        description="`errors[].extensions.code` values that mean the cost limit was hit: retried after the wait the "
        "throttle status implies. Any other error in a 200 answer, and any `userErrors` of a mutation, is permanent.",
    )
    cost: GraphQLCostSpec | None = Field(default=None, description="Cost-based rate limiting; none = off.")


class TimeoutsSpec(SpecModel):
    connect: float = Field(default=5.0, gt=0)
    read: float = Field(default=30.0, gt=0)


class MigrationSpec(SpecModel):
    """How workflows on an older version move to this one (`integrations workflows upgrade`)."""

    from_: str = Field(alias="from", pattern=r"^(\d+|x)(\.(\d+|x)){0,2}$", description="1.x, 1.2.x or 1.2.3")
    rename_triggers: dict[str, str] = Field(default_factory=dict)
    rename_actions: dict[str, str] = Field(default_factory=dict, description="Actions and searches.")
    rename_inputs: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per action or search (new key): old input -> new input."
    )
    default_inputs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per action or search (new key): values for new required inputs."
    )

    def applies_to(self, version: str) -> bool:
        wanted = self.from_.split(".")
        return all(part in ("x", have) for part, have in zip(wanted, version.split("-")[0].split("."), strict=False))


class AppVersionSpec(SpecModel):
    """One immutable definition of an app (`shopify@1.0.0`)."""

    app: AppMetaSpec
    version: str = Field(pattern=SEMVER)
    status: Literal["active", "deprecated"] = "active"
    deprecation: DeprecationSpec | None = None
    base_url: str = Field(description="Jinja template over properties and env.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Other hosts requests may go to besides base_url's: URLs whose scheme, host and port count "
        "(a path is ignored); Jinja templates over properties and env. Every other host is refused, so data "
        "mapped into a URL cannot send the connection's credentials elsewhere. Token and login URLs of the auth "
        "block are always allowed.",
        examples=[["https://{{ properties.workspace }}.myeshopbox.com"]],
    )
    auth: AuthSpec
    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    environment: dict[str, EnvironmentVariableSpec] = Field(default_factory=dict)
    triggers: dict[str, TriggerSpec] = Field(default_factory=dict)
    actions: dict[str, ActionSpec] = Field(default_factory=dict)
    searches: dict[str, SearchSpec] = Field(default_factory=dict)
    retry: RetryPolicySpec = Field(default_factory=RetryPolicySpec)
    rate_limit: RateLimitSpec | None = None
    graphql: GraphQLApiSpec | None = Field(
        default=None, description="The GraphQL endpoint; required when a request has a `graphql` operation."
    )
    timeouts: TimeoutsSpec = Field(default_factory=TimeoutsSpec)
    migrations: list[MigrationSpec] = Field(default_factory=list)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_are_urls(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            parts = urlsplit(host)
            if not is_template(host) and (parts.scheme not in ("http", "https") or not parts.hostname):
                raise ValueError(f"{host!r} is not an http(s) URL such as https://api.example.com")
        return hosts

    @model_validator(mode="after")
    def _deprecation_matches_status(self) -> AppVersionSpec:
        if self.status == "deprecated" and self.deprecation is None:
            raise ValueError("a deprecated version needs a 'deprecation' block (sunset, replacement, reason)")
        if self.status == "active" and self.deprecation is not None:
            raise ValueError("'deprecation' is only allowed when status is 'deprecated'")
        return self

    @model_validator(mode="after")
    def _graphql_endpoint_declared(self) -> AppVersionSpec:
        requests = [t.request for t in self.triggers.values() if t.type == "polling"]
        requests += [s.request for s in self.searches.values()] + [a.request for a in self.actions.values()]
        if self.graphql is None and any(r.graphql is not None and r.url is None for r in requests):
            raise ValueError("requests with a 'graphql' operation need the app's 'graphql' block (its endpoint)")
        return self

    @property
    def ref(self) -> str:
        return f"{self.app.key}@{self.version}"
