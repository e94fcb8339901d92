"""Shared building blocks of the app-definition language."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import graphql
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


def _as_texts(value: Any) -> Any:
    return [str(item) for item in value] if isinstance(value, list) else value


Choices = Annotated[list[str] | None, BeforeValidator(_as_texts, json_schema_input_type=list[str | int] | None)]
"""Every value a field can take, written as text (`[1, 8, 9]` and `["1", "8", "9"]` are the same vocabulary)."""


class SpecModel(BaseModel):
    """Base of every block: unknown keys are errors, loaded definitions are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class GraphQLOperationSpec(SpecModel):
    """A GraphQL operation POSTed as `{"query", "variables"}` to the app's GraphQL endpoint (`graphql.url`)."""

    query: str = Field(
        description="The GraphQL document, sent as written (not a template: pass data through `variables`).",
        examples=["query ($id: ID!) { order(id: $id) { id name } }"],
    )
    variables: dict[str, Any] = Field(default_factory=dict, description="Variables (templated).")
    operation_name: str | None = Field(default=None, description="Which operation of the document to run.")

    @model_validator(mode="after")
    def _parses(self) -> GraphQLOperationSpec:
        operation_kind(self.query, self.operation_name)
        return self


def operation_kind(query: str, operation_name: str | None = None) -> str:
    """`query`, `mutation` or `subscription`: the kind of the operation the document runs (a syntax error or an
    ambiguous document raises ValueError)."""
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError as exc:
        raise ValueError(f"the GraphQL query does not parse: {exc.message}") from None
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if operation_name is not None:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    if len(operations) != 1:
        raise ValueError("the GraphQL document must hold exactly one operation (or name one in operation_name)")
    return operations[0].operation.value


class RequestSpec(SpecModel):
    """A templated HTTP request. `url` is absolute or a path joined to the app's base URL; a `graphql` request
    is a POST to the app's GraphQL endpoint."""

    method: HttpMethod = "GET"
    url: str | None = Field(
        default=None,
        description="Absolute URL or a path relative to base_url; Jinja template. Required unless `graphql` is "
        "given (then it defaults to the app's `graphql.url`).",
    )
    graphql: GraphQLOperationSpec | None = Field(
        default=None,
        description="A GraphQL operation: sent as a POST with a JSON body; errors in a 200 answer are errors. A query "
        "is safe to repeat, a mutation is not unless `idempotent: true`.",
    )
    params: dict[str, Any] | str = Field(default_factory=dict, description="Query parameters, or one template.")
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json", description="JSON body (templated).")
    form: dict[str, Any] | None = Field(default=None, description="Form-encoded body (templated).")
    idempotent: bool | None = Field(
        default=None,
        description="Sending it twice has the effect of sending it once, so a failed attempt may be re-sent. "
        "Default: true for GET, PUT and DELETE, false for POST and PATCH.",
    )

    @model_validator(mode="after")
    def _one_body(self) -> RequestSpec:
        if self.json_body is not None and self.form is not None:
            raise ValueError("a request has either a json body or a form body, not both")
        if self.graphql is None and self.url is None:
            raise ValueError("a request needs a 'url' (or a 'graphql' operation)")
        if self.graphql is not None and (self.json_body is not None or self.form is not None or self.params):
            raise ValueError("a graphql request carries its data in 'graphql.variables', not json, form or params")
        if self.graphql is not None and "method" in self.model_fields_set and self.method != "POST":
            raise ValueError("a graphql request is a POST")
        return self

    @property
    def safe_to_repeat(self) -> bool | None:
        """Declared, else for GraphQL: a query may be repeated, a mutation not; None = the method decides."""
        if self.idempotent is not None or self.graphql is None:
            return self.idempotent
        return operation_kind(self.graphql.query, self.graphql.operation_name) == "query"


class TypedFieldSpec(SpecModel):
    """A typed value a user supplies: a custom property, an action input or an environment variable."""

    label: str | None = None
    type: Literal["string", "integer", "number", "boolean", "choice", "secret", "object", "array", "datetime"] = (
        "string"
    )
    required: bool = False
    default: Any = None
    choices: Choices = None
    pattern: str | None = Field(
        default=None,
        description="Regular expression (Python syntax) the whole value must match; checked before any request. "
        "Give one to every property that builds a URL.",
        examples=["[a-z0-9][a-z0-9-]*"],
    )
    help: str | None = None

    @model_validator(mode="after")
    def _check_pattern(self) -> TypedFieldSpec:
        if self.pattern is None:
            return self
        if self.type not in PATTERN_TYPES:
            raise ValueError(f"'pattern' is only allowed with type 'string' or 'secret', not '{self.type}'")
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"pattern {self.pattern!r} is not a valid regular expression: {exc}") from None
        return self

    @model_validator(mode="after")
    def _check_choices_and_default(self) -> TypedFieldSpec:
        if self.type == "choice" and not self.choices:
            raise ValueError("type 'choice' needs a non-empty 'choices' list")
        if self.choices and self.type not in ("choice", "string", "integer"):
            raise ValueError(f"'choices' is only allowed with type 'choice', 'string' or 'integer', not '{self.type}'")
        if self.default is not None:
            problem = describe_type_mismatch(self.type, self.default, self.choices) or describe_pattern_mismatch(
                self.type, self.default, self.pattern
            )
            if problem:
                raise ValueError(f"default {problem}")
        return self


PATTERN_TYPES = ("string", "secret")

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "secret": (str,),
    "choice": (str,),
    "datetime": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def describe_type_mismatch(type_name: str, value: Any, choices: list[str] | None = None) -> str | None:
    """Return why `value` is not a valid `type_name`, or None when it is."""
    bool_as_number = type_name in ("integer", "number") and isinstance(value, bool)  # bool is an int in Python
    if bool_as_number or not isinstance(value, _PYTHON_TYPES[type_name]):
        return f"{value!r} is not of type {type_name}"
    if choices and str(value) not in choices:  # an integer's choices are written as text too
        return f"{value!r} is not one of {', '.join(choices)}"
    return None


def describe_pattern_mismatch(type_name: str, value: Any, pattern: str | None) -> str | None:
    """Return why `value` does not match `pattern` as a whole, or None when it does (or there is no pattern).
    A secret's value is never shown."""
    if pattern is None or not isinstance(value, str) or re.fullmatch(pattern, value):
        return None
    shown = "(a secret)" if type_name == "secret" else repr(value)
    return f"{shown} does not match the pattern {pattern!r}"
