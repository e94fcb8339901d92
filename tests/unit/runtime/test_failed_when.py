"""`failed_when`: a 2xx whose body says the action failed is a permanent failure with the body's reason (or a
retryable one when the app asks to try later); any other answer is the action's result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.runtime.errors import PermanentError, RetryableError
from connectors.runtime.steps import run_action
from tests.unit.auth.http_server import JsonHandler, serving
from tests.unit.auth.specs import app_with_auth, client_for

ANSWERS: list[dict[str, Any]] = []


class Answering(JsonHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply(200, ANSWERS.pop(0))


@pytest.fixture
def url() -> Iterator[str]:
    with serving(Answering) as base:
        yield base


def create(url: str, failed_when: dict[str, Any], answer: dict[str, Any]) -> Any:
    ANSWERS[:] = [answer]
    action = {"name": "Create", "request": {"method": "POST", "url": "/orders", "json": {}}, "result": "result",
              "failed_when": failed_when}  # fmt: skip
    spec = app_with_auth({"type": "none"}, url, actions={"create": action})
    return run_action(client_for(spec, {}), "create", {})


CLICKPOST = {"path": "meta.status", "not_in": [200, 323], "message": ["meta.message"]}


def test_an_answer_the_app_counts_as_applied_is_the_result(url: str) -> None:
    done = create(url, CLICKPOST, {"meta": {"status": 323, "message": "Order already placed"}, "result": {"awb": "1"}})
    assert done.outcome == "succeeded" and done.result == {"awb": "1"}


def test_a_refusal_inside_a_200_fails_with_the_apps_reason(url: str) -> None:
    answer = {"meta": {"status": 310, "message": "Invalid pincode"}, "result": None}
    with pytest.raises(PermanentError, match="answered 200 but says it failed: Invalid pincode") as caught:
        create(url, CLICKPOST, answer)
    assert caught.value.status == 200 and not caught.value.retryable


def test_no_value_at_the_path_is_a_failure_when_only_some_values_mean_applied(url: str) -> None:
    with pytest.raises(PermanentError, match=r"meta.status is None"):
        create(url, CLICKPOST, {"unexpected": True})


def test_values_that_mean_failed_and_lists_of_reasons(url: str) -> None:
    delhivery = {"path": "success", "values": [False], "message": ["packages.0.remarks", "rmk"]}
    answer = {"success": False, "packages": [{"status": "Fail", "remarks": ["pin missing", "phone missing"]}]}
    with pytest.raises(PermanentError, match="says it failed: pin missing; phone missing"):
        create(url, delhivery, answer)
    assert create(url, delhivery, {"success": True, "result": {"waybill": "9"}}).result == {"waybill": "9"}


def test_an_app_asking_to_try_later_is_retryable(url: str) -> None:
    later = {**CLICKPOST, "retry": True}
    with pytest.raises(RetryableError, match="Courier down, retry"):
        create(url, later, {"meta": {"status": 319, "message": "Courier down, retry"}})


def test_failed_when_needs_exactly_one_test() -> None:
    from connectors.spec.actions import FailedWhenSpec

    with pytest.raises(ValueError, match="exactly one of 'values'"):
        FailedWhenSpec.model_validate({"path": "ok", "values": [False], "not_in": [True]})
    assert json.dumps(FailedWhenSpec.model_validate({"path": "ok", "values": [False]}).values) == "[false]"
