"""Bulk actions whose request carries items keyed by a value of each (Flipkart's `{"<sku>": {...}}`) and whose
answer has one result per key: results found by key, FAILURE / WARNING, a key without a result, keys sent twice."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connectors.runtime.bulk import run_bulk_action
from connectors.spec.actions import BulkSpec
from tests.unit.runtime.helpers import make_client, make_spec
from tests.unit.runtime.scripted_server import ScriptedServer

URL = "/stock/update"


def keyed_spec(**bulk: Any) -> Any:
    action = {
        "name": "Set stock",
        "kind": "update",
        "inputs": {"sku": {"required": True}, "count": {"type": "integer", "required": True}},
        "bulk": {
            "max_items": 10,
            "keyed_by": "{{ inputs.sku }}",
            "item": {"count": "{{ inputs.count }}"},
            "results": "",
            "result_failed_when": {"path": "status", "values": ["FAILURE"], "errors": ["errors", "attribute_errors"]},
            "error_message": "description",
            "error_code": "code",
            **bulk,
        },
        "request": {"method": "POST", "url": URL, "idempotent": True, "json": "{{ items }}"},
    }
    return make_spec(actions={"set_stock": action})


def items(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"sku": sku, "count": count} for sku, count in pairs]


def test_items_go_as_an_object_and_results_are_found_by_key(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {  # not in the order sent
        "C": {"status": "WARNING", "errors": [{"severity": "WARNING", "description": "listing disabled"}]},
        "A": {"status": "SUCCESS", "errors": [], "attribute_errors": []},
        "B": {"status": "FAILURE", "errors": [{"description": "Listing not found", "code": "NOT_FOUND"}],
              "attribute_errors": [{"attribute": "inventory", "description": "must be >= 0"}]},
    })  # fmt: skip
    client = make_client(keyed_spec(), scripted_server.url)

    call = run_bulk_action(client, "set_stock", items(("A", 1), ("B", -2), ("C", 3)))

    assert scripted_server.requests[0].json == {"A": {"count": 1}, "B": {"count": -2}, "C": {"count": 3}}
    a, b, c = call.outcomes
    assert a.error is None and a.result == {"status": "SUCCESS", "errors": [], "attribute_errors": []}
    assert b.error == "Listing not found; must be >= 0" and b.code == "NOT_FOUND"
    assert c.error is None and c.result["status"] == "WARNING"  # a warning: applied
    assert {a.status_code, b.status_code, c.status_code} == {200} and call.requests == 1


def test_an_item_without_a_result_fails(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {"A": {"status": "SUCCESS"}})
    call = run_bulk_action(make_client(keyed_spec(), scripted_server.url), "set_stock", items(("A", 1), ("B", 2)))
    assert call.outcomes[0].error is None
    assert call.outcomes[1].error == "the answer has no result for it (key 'B')"


def test_an_answer_that_is_no_object_fails_every_item(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, [])
    call = run_bulk_action(make_client(keyed_spec(), scripted_server.url), "set_stock", items(("A", 1)))
    assert call.outcomes[0].error == "the answer has no result for it (key 'A')"


def test_items_sharing_a_key_go_in_successive_requests_in_order(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {"A": {"status": "SUCCESS"}, "B": {"status": "SUCCESS"}})
    scripted_server.reply(200, {"A": {"status": "SUCCESS"}})
    scripted_server.reply(200, {"A": {"status": "FAILURE", "errors": [{"description": "bad"}]}})
    client = make_client(keyed_spec(), scripted_server.url)

    call = run_bulk_action(client, "set_stock", items(("A", 1), ("B", 2), ("A", 3), ("A", 4)))

    assert [r.json for r in scripted_server.requests] == [
        {"A": {"count": 1}, "B": {"count": 2}}, {"A": {"count": 3}}, {"A": {"count": 4}},
    ]  # fmt: skip
    assert [o.error for o in call.outcomes] == [None, None, None, "bad"] and call.requests == 3


def test_an_item_whose_key_renders_empty_fails_unsent(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {"A": {"status": "SUCCESS"}})
    call = run_bulk_action(make_client(keyed_spec(), scripted_server.url), "set_stock", items(("A", 1), ("", 2)))
    assert call.outcomes[0].error is None
    assert call.outcomes[1].error is not None and "gave no key" in call.outcomes[1].error
    assert scripted_server.requests[0].json == {"A": {"count": 1}}


def test_result_error_works_by_key_too(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {"out": {"A": {"ok": True}, "B": {"error": {"description": "nope", "code": "X"}}}})
    spec = keyed_spec(results="out", result_error="error", result_failed_when=None)
    call = run_bulk_action(make_client(spec, scripted_server.url), "set_stock", items(("A", 1), ("B", 2)))
    assert call.outcomes[0].error is None and call.outcomes[0].result == {"ok": True}
    assert (call.outcomes[1].error, call.outcomes[1].code) == ("nope", "X")


def test_atomic_sends_the_unnamed_keys_again(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {"A": {"status": "SUCCESS"}, "B": {"status": "FAILURE", "errors": ["no"]}})
    scripted_server.reply(200, {"A": {"status": "SUCCESS"}})
    call = run_bulk_action(
        make_client(keyed_spec(atomic=True), scripted_server.url), "set_stock", items(("A", 1), ("B", 2))
    )
    assert [r.json for r in scripted_server.requests] == [{"A": {"count": 1}, "B": {"count": 2}}, {"A": {"count": 1}}]
    assert [o.error for o in call.outcomes] == [None, "no"] and call.requests == 2


def test_list_results_may_say_failure_with_a_status_too(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, {"update": [{"status": "OK"}, {"status": "FAILURE", "errors": [{"description": "x"}]}]})
    spec = keyed_spec(keyed_by=None, results="update")
    call = run_bulk_action(make_client(spec, scripted_server.url), "set_stock", items(("A", 1), ("B", 2)))
    assert scripted_server.requests[0].json == [{"count": 1}, {"count": 2}]
    assert [o.error for o in call.outcomes] == [None, "x"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"errors": "userErrors", "error_index": "field.2"}, "'keyed_by' finds each item's result by its key"),
        ({"keyed_by": " "}, "'keyed_by' is empty"),
        ({"result_failed_when": {"path": "status", "values": ["FAILURE"]}, "keyed_by": None}, "needs 'results'"),
        ({"result_failed_when": {"path": "status", "values": []}}, "at least 1 item"),
    ],
)
def test_refused_combinations(extra: dict[str, Any], message: str) -> None:
    document = {"max_items": 5, "item": {}, "keyed_by": "{{ inputs.sku }}", **extra}
    with pytest.raises(ValidationError, match=message):
        BulkSpec.model_validate(document)
