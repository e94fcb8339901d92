"""Delhivery pickup requests (`connectors.sandbox.delhivery.pickups`) and shipping charges
(`connectors.sandbox.delhivery.charges`): what each answers, what each refuses, and the token both need."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.unit.sandbox.delhivery.api import WAREHOUSE, charges, request_pickup, state
from tests.unit.sandbox.fixtures import Sandbox


def tomorrow() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=1, hours=6)).date().isoformat()


def pickup_body(**changes: Any) -> dict[str, Any]:
    return {
        "pickup_location": WAREHOUSE,
        "pickup_date": tomorrow(),
        "pickup_time": "14:00:00",
        "expected_package_count": 3,
        **changes,
    }


def test_a_pickup_is_booked_once_per_warehouse_and_day(sandbox: Sandbox) -> None:
    booked = request_pickup(sandbox, pickup_body())
    assert booked.status_code == 200
    body = booked.json()
    assert (body["pickup_location_name"], body["pickup_date"], body["pickup_time"]) == (WAREHOUSE, tomorrow(),
                                                                                       "14:00:00")  # fmt: skip
    assert body["expected_package_count"] == 3 and isinstance(body["pickup_id"], int) and body["incoming_center_name"]
    again = request_pickup(sandbox, pickup_body(pickup_time="16:00:00"))
    assert again.status_code == 400
    assert again.json()["pr_exist"] is True and again.json()["pickup_id"] == body["pickup_id"]
    assert again.json()["success"] is False and "already exists" in again.json()["error"]["message"]
    assert [p["pickup_id"] for p in state(sandbox)["pickups"]] == [body["pickup_id"]]


def test_a_pickup_is_refused_for_an_unknown_warehouse_a_past_date_or_no_packages(sandbox: Sandbox) -> None:
    cases = {
        "ClientWarehouse matching query does not exist.": pickup_body(pickup_location="Nowhere"),
        "pickup_date cannot be in the past": pickup_body(pickup_date="2020-01-01"),
        "pickup_date must be a date (YYYY-MM-DD)": pickup_body(pickup_date="tomorrow"),
        "pickup_time must be a time (hh:mm:ss)": pickup_body(pickup_time="2pm"),
        "expected_package_count must be a positive number": pickup_body(expected_package_count=0),
    }
    for message, body in cases.items():
        refused = request_pickup(sandbox, body)
        assert refused.status_code == 400 and refused.json() == {"success": False, "error": {"message": message}}
    assert state(sandbox)["pickups"] == []


def test_pickups_and_charges_need_the_api_token(sandbox: Sandbox) -> None:
    for response in (request_pickup(sandbox, pickup_body(), headers=None), charges(sandbox, headers=None)):
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert request_pickup(sandbox, pickup_body(), headers={"Authorization": "Token nope"}).status_code == 401
    assert state(sandbox)["pickups"] == []


def test_charges_by_weight_slab_zone_and_payment(sandbox: Sandbox) -> None:
    (prepaid,) = charges(sandbox).json()
    assert (prepaid["charged_weight"], prepaid["zone"], prepaid["status"]) == (500, "E", "Delivered")
    assert prepaid["charge_COD"] == 0.0 and prepaid["total_amount"] > prepaid["gross_amount"] > 0
    (cod,) = charges(sandbox, cgm=1200, pt="COD", o_pin="122002", d_pin="122018").json()
    assert (cod["charged_weight"], cod["zone"], cod["charge_COD"]) == (1500, "A", 35.0)
    (rto,) = charges(sandbox, ss="RTO").json()
    assert rto["charge_DL"] == 0.0 and rto["charge_RTO"] == prepaid["charge_DL"]
    refused = charges(sandbox, md="X")
    assert refused.status_code == 400 and "md" in refused.json()["error"]
