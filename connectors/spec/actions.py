"""Actions (writes) and searches (reads used to look something up first)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from connectors.spec.base import RequestSpec, SpecModel, TypedFieldSpec
from connectors.spec.triggers import OutputFieldSpec


class SearchFirstSpec(SpecModel):
    """Run a search before the action: find-or-create, or find-then-update."""

    search: str = Field(description="Key of a search in this app version.")
    inputs: dict[str, str] = Field(default_factory=dict, description="Search inputs, templated from action inputs.")
    mode: Literal["find_or_create", "find_then_update"] = "find_or_create"


class IdempotencyKeySpec(SpecModel):
    """The app deduplicates requests that carry the same key in a header (e.g. `Idempotency-Key`): every attempt
    of one step for one event sends the same key, so the request may be re-sent safely."""

    header: str = Field(description="Request header that carries the key.")


class ResultFailedWhenSpec(SpecModel):
    """An item failed when a value inside its result is one of `values` (Flipkart's `status: FAILURE`); its
    error is the messages of the errors at `errors` (each message at `error_message`, its code at `error_code`)."""

    path: str = Field(description="Dotted path, inside one result, to the value saying how the item ended.")
    values: list[Any] = Field(min_length=1, description="Values meaning the item failed (any other: applied).")
    errors: list[str] = Field(
        default_factory=lambda: ["errors"],
        description="Dotted paths, inside one result, to its errors (a list or one), joined as the item's error.",
    )


class FailedWhenSpec(SpecModel):
    """A 2xx answer whose body says the action failed (Delhivery's `success: false`, ClickPost's `meta.status`
    other than 200 or 323): the step fails with the reason the body gives, as a refusal would."""

    path: str = Field(description="Dotted path, in the answer body, to the value saying how the action ended.")
    values: list[Any] | None = Field(default=None, description="Values meaning it failed (compared as text).")
    not_in: list[Any] | None = Field(
        default=None, description="Values meaning it was applied; any other, or none at the path, means it failed."
    )
    message: list[str] = Field(
        default_factory=list,
        description="Dotted paths to the reason (texts or lists of texts), joined; e.g. `packages.0.remarks`, `rmk`.",
    )
    retry: bool = Field(
        default=False,
        description="The app asks to try again later (a courier's momentary error): retried with the event's "
        "backoff instead of failing at once.",
    )

    @model_validator(mode="after")
    def _one_test(self) -> FailedWhenSpec:
        if (self.values is None) == (self.not_in is None):
            raise ValueError("failed_when needs exactly one of 'values' (failed) and 'not_in' (applied)")
        return self


class BulkSpec(SpecModel):
    """The action takes many items in one request (Shopify `inventorySetQuantities`, WooCommerce `products/batch`,
    Flipkart `listings/v3/update/inventory`): `inputs` describe one item, `item` is what one item puts in the
    request, and the request's templates see `items`: the list of rendered items, or with `keyed_by` an object
    {key: rendered item}. Each item ends on its own: the answer says which items failed."""

    max_items: int = Field(ge=1, le=10_000, description="Most items one request may carry.")
    item: Any = Field(description="One item as the request carries it; templates see `inputs` of that item.")
    keyed_by: str | None = Field(
        default=None,
        description=(
            "Template rendered per item with its `inputs` (e.g. `{{ inputs.sku }}`): `items` is then an object "
            "{key: item} and `results` an object keyed the same way. Items sharing a key go in successive requests."
        ),
    )
    errors: str | None = Field(
        default=None, description="Dotted path to a list of per-item errors in the answer (e.g. `userErrors`)."
    )
    error_index: str | None = Field(
        default=None, description="Dotted path, inside one error, to the index of the item it names (`field.2`)."
    )
    error_code: str | None = Field(default=None, description="Dotted path, inside one error, to its code.")
    error_message: str = Field(default="message", description="Dotted path, inside one error, to its message.")
    results: str | None = Field(
        default=None,
        description=(
            "Dotted path to per-item results ('' = the root): a list in the order the items were sent, or with "
            "`keyed_by` an object keyed like `items` (an item without a result there failed)."
        ),
    )
    result_error: str | None = Field(
        default=None, description="Dotted path, inside one result, to its error: present means that item failed."
    )
    result_failed_when: ResultFailedWhenSpec | None = Field(
        default=None, description="A value inside one result meaning that item failed (e.g. `status: FAILURE`)."
    )
    atomic: bool = Field(
        default=False,
        description="An item error means the app applied none of the request: the items not named are sent again.",
    )

    @model_validator(mode="after")
    def _errors_name_items(self) -> BulkSpec:
        if self.keyed_by is not None and (self.errors or self.error_index):
            raise ValueError(
                "'keyed_by' finds each item's result by its key: 'errors' and 'error_index' name items by their "
                "position in a list and cannot be used with it (use 'results' with 'result_error' or "
                "'result_failed_when')"
            )
        if self.keyed_by is not None and not self.keyed_by.strip():
            raise ValueError("'keyed_by' is empty: give a template such as '{{ inputs.sku }}'")
        if self.errors and not self.error_index:
            raise ValueError("'errors' needs 'error_index': the path, inside one error, to the item's index")
        if self.result_error and self.results is None:
            raise ValueError("'result_error' needs 'results': the path to the per-item results")
        if self.result_failed_when and self.results is None:
            raise ValueError("'result_failed_when' needs 'results': the path to the per-item results")
        return self


class ResolveSpec(SpecModel):
    """An input the app finds itself from another input, through one of its searches (a SKU -> the app's own
    item id). Found values are kept per connection, so each key is searched once; a value the app later calls
    unknown (`unknown_codes`) is searched again."""

    search: str = Field(description="Key of a search in this app version that finds items by their keys.")
    key_input: str = Field(description="Input of the action holding the key (e.g. `sku`).")
    search_input: str = Field(description="Input of the search receiving the list of keys to find.")
    key: str = Field(description="Dotted path, inside one match, to its key.")
    value: str = Field(description="Dotted path, inside one match, to the value to use.")
    max_keys: int = Field(default=50, ge=1, le=1000, description="Most keys one search may look for.")
    unknown_codes: list[str] = Field(
        default_factory=list, description="Item error codes meaning the resolved value is stale (search again)."
    )


class SearchSpec(SpecModel):
    name: str
    description: str | None = None
    inputs: dict[str, TypedFieldSpec] = Field(default_factory=dict)
    request: RequestSpec
    records: str = Field(default="", description="Dotted path to the matches; '' = root.")
    output: dict[str, OutputFieldSpec] = Field(default_factory=dict)


class ActionSpec(SpecModel):
    name: str
    description: str | None = None
    kind: Literal["create", "update", "delete"] = "create"
    inputs: dict[str, TypedFieldSpec] = Field(default_factory=dict)
    request: RequestSpec
    result: str = Field(default="", description="Dotted path to the created/updated object; '' = root.")
    output: dict[str, OutputFieldSpec] = Field(default_factory=dict)
    failed_when: FailedWhenSpec | None = Field(
        default=None, description="A 2xx answer whose body says the action failed (bulk actions: `bulk.errors`)."
    )
    search_first: SearchFirstSpec | None = None
    idempotency_key: IdempotencyKeySpec | None = None
    bulk: BulkSpec | None = None
    resolve: dict[str, ResolveSpec] = Field(
        default_factory=dict, description="Inputs the app finds itself (input name -> how), cached per connection."
    )
    identity: list[str] = Field(
        default_factory=list,
        description=(
            "Inputs naming the thing this action sets (e.g. item and location). Items whose other inputs equal "
            "what was last pushed through the same connection are not sent again (only what changed)."
        ),
    )
