"""Fault modes of the vendor APIs (`connectors.sandbox.faults`): off by default, set per vendor through
`/<vendor>/_sandbox/faults`, bounded in time or in requests, never applied to the control routes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors.sandbox.faults import Fault, FaultSpec
from tests.unit.sandbox.eshopbox.api import Eshopbox, order_body
from tests.unit.sandbox.fixtures import Sandbox

ORDER = "/wms/api/order"


@pytest.fixture
def esb(sandbox: Sandbox) -> Eshopbox:
    return Eshopbox(sandbox)


def faults(sandbox: Sandbox, vendor: str = "eshopbox") -> list[dict]:
    return sandbox.control(vendor, "/faults", method="GET")["faults"]


def test_no_fault_is_set_until_asked_for(esb: Eshopbox) -> None:
    assert faults(esb.sandbox) == []
    assert esb.wms("GET", "/api/order/404").status_code == 404


def test_unavailable_answers_503_for_n_requests_without_handling_them(esb: Eshopbox) -> None:
    esb.sandbox.control("eshopbox", "/faults", {"mode": "unavailable", "requests": 2})
    first = esb.wms("POST", "/api/order", json=order_body("1001"))
    assert (first.status_code, first.json()) == (503, {"message": "Service Unavailable"})
    assert esb.wms("GET", "/api/order/1001").status_code == 503
    assert esb.wms("GET", "/api/order/1001").status_code == 404  # the two faulted requests did nothing
    assert esb.sandbox.control("eshopbox", "/state", method="GET")["orders"] == []  # control routes never fault
    (fault,) = faults(esb.sandbox)
    assert (fault["served"], fault["active"]) == (2, False)
    assert fault["last_served_at"].endswith("Z")


def test_unavailable_comes_before_authentication_as_a_load_balancers_would(sandbox: Sandbox) -> None:
    sandbox.control("eshopbox", "/faults", {"mode": "unavailable", "requests": 1})
    assert sandbox.http.get(f"{sandbox.url}/eshopbox/wms/api/order/1", timeout=10).status_code == 503
    assert sandbox.http.get(f"{sandbox.url}/eshopbox/wms/api/order/1", timeout=10).status_code == 401


def test_rejected_answers_its_4xx_with_the_vendors_error_body_without_handling_the_request(esb: Eshopbox) -> None:
    esb.sandbox.control(
        "eshopbox", "/faults", {"mode": "rejected", "status": 422, "detail": "channel disabled", "requests": 1}
    )
    refused = esb.wms("POST", "/api/order", json=order_body("1001"))
    assert (refused.status_code, refused.json()) == (422, {"message": "channel disabled"})
    assert esb.wms("GET", "/api/order/1001").status_code == 404  # nothing was created
    assert esb.wms("POST", "/api/order", json=order_body("1001")).status_code in (200, 201)  # the fault is spent
    with pytest.raises(Exception, match="400"):
        esb.sandbox.control("eshopbox", "/faults", {"mode": "rejected", "status": 503})  # only a 4xx


def test_a_fault_matches_only_its_method_and_path(esb: Eshopbox) -> None:
    esb.sandbox.control("eshopbox", "/faults", {"mode": "unavailable", "method": "post", "path": ORDER})
    assert esb.wms("GET", "/api/order/1001").status_code == 404
    assert esb.wms("POST", "/api/order", json=order_body("1001")).status_code == 503
    assert esb.wms("POST", "/api/update-status", json={}).status_code == 400  # another path: handled


def test_commit_then_503_stores_the_order_and_loses_the_answer(esb: Eshopbox) -> None:
    esb.sandbox.control("eshopbox", "/faults", {"mode": "commit_then_503", "method": "POST", "path": ORDER})
    lost = esb.wms("POST", "/api/order", json=order_body("1001"))
    assert lost.status_code == 503
    assert esb.wms("GET", "/api/order/1001").json()["customerOrderNumber"] == "1001"  # created all the same

    resent = esb.wms("POST", "/api/order", json=order_body("1001"))  # a blind resend, itself faulted again
    assert resent.status_code == 503
    esb.sandbox.control("eshopbox", "/faults", method="DELETE")
    assert esb.wms("POST", "/api/order", json=order_body("1001")).status_code == 409
    state = esb.sandbox.control("eshopbox", "/state", method="GET")
    assert len(state["orders"]) == 1
    assert state["refused_duplicates"] == {"1001": 2}  # every create sent again for an existing order
    counts = esb.sandbox.control("eshopbox", "/order_counts", method="GET")
    assert counts == {"created": {"1001": 1}, "refused_duplicates": {"1001": 2}}


def test_delay_holds_the_answer_after_handling_the_request(esb: Eshopbox) -> None:
    esb.sandbox.control("eshopbox", "/faults", {"mode": "delay", "delay": 1.0, "requests": 1, "path": ORDER})
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(esb.wms, "POST", "/api/order", json=order_body("1001"), timeout=10)
        deadline = time.monotonic() + 5
        while not (held := faults(esb.sandbox)[0]["in_flight"]) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert held == 1
        orders = esb.sandbox.control("eshopbox", "/state", method="GET")["orders"]
        assert [o["customerOrderNumber"] for o in orders] == ["1001"]  # stored while the answer is held
        assert answer.result().status_code == 200
    assert time.monotonic() - started >= 1.0
    assert faults(esb.sandbox)[0]["in_flight"] == 0


def test_a_fault_set_for_seconds_ends_on_its_own() -> None:
    fault = Fault(FaultSpec(mode="unavailable", seconds=30), set_at=100.0)
    assert fault.active(100.0) and fault.active(129.9)
    assert not fault.active(130.0)
    counted = Fault(FaultSpec(mode="unavailable", seconds=30, requests=1), set_at=100.0)
    counted.served = 1
    assert not counted.active(101.0)  # whichever bound comes first


@pytest.mark.parametrize(
    ("vendor", "path", "body"),
    [
        ("shopify", "/admin/api/2024-10/orders.json", {"errors": "Service Unavailable"}),
        ("delhivery", "/api/v1/packages/json/?waybill=1", {"detail": "Service Unavailable"}),
    ],
)
def test_every_vendor_answers_a_fault_in_its_own_error_shape(
    sandbox: Sandbox, vendor: str, path: str, body: dict
) -> None:
    sandbox.control(vendor, "/faults", {"mode": "unavailable", "requests": 1})
    response = sandbox.http.get(f"{sandbox.url}/{vendor}{path}", timeout=10)
    assert (response.status_code, response.json()) == (503, body)
    assert faults(sandbox, "eshopbox") == []  # faults are per vendor


def test_reset_clears_faults_and_bad_fault_bodies_are_refused(sandbox: Sandbox) -> None:
    sandbox.control("eshopbox", "/faults", {"mode": "unavailable"})
    sandbox.control("eshopbox", "/reset")
    assert faults(sandbox) == []
    for bad in ({"mode": "explode"}, {"mode": "delay", "delay": -1}, {"mode": "unavailable", "requests": 0}, [1]):
        response = sandbox.http.post(f"{sandbox.url}/eshopbox/_sandbox/faults", json=bad, timeout=10)
        assert response.status_code == 400, bad
    assert faults(sandbox) == []


def test_rate_limited_answers_429_with_retry_after_without_handling_the_request(esb: Eshopbox) -> None:
    esb.sandbox.control("eshopbox", "/faults", {"mode": "rate_limited", "retry_after": 3, "requests": 1, "path": ORDER})
    refused = esb.wms("POST", "/api/order", json=order_body("1001"))
    assert (refused.status_code, refused.headers["Retry-After"], refused.json()) == (
        429, "3", {"message": "Too Many Requests"},
    )  # fmt: skip
    assert esb.sandbox.control("eshopbox", "/state", method="GET")["orders"] == []
    assert esb.wms("POST", "/api/order", json=order_body("1001")).status_code == 200  # the fault is spent
