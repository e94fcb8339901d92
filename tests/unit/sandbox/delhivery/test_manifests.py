"""Delhivery shipment creation (`connectors.sandbox.delhivery.manifests`): the CMU form body, waybills assigned
from the series, the 200 `success: false` answers for refused packages (a reused order id or waybill) and for a
request Delhivery cannot read, and the token it needs."""

from __future__ import annotations

from tests.unit.sandbox.delhivery.api import TOKEN, create, package, state, track
from tests.unit.sandbox.fixtures import Sandbox


def test_a_package_is_manifested_with_a_new_waybill_and_tracked_by_its_order(sandbox: Sandbox) -> None:
    response = create(sandbox, package("ESB-1001"), package("ESB-1002", payment_mode="COD", cod_amount=499))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["package_count"] == 2 and body["upload_wbn"].startswith("UPL")
    assert (body["prepaid_count"], body["cod_count"], body["cod_amount"]) == (1, 1, 499.0)
    first, second = body["packages"]
    assert (first["status"], first["refnum"], first["payment"]) == ("Success", "ESB-1001", "Pre-paid")
    assert (second["payment"], second["cod_amount"]) == ("COD", 499.0)
    assert len(first["waybill"]) == 13 and first["waybill"] != second["waybill"]
    tracked = track(sandbox, first["waybill"]).json()["ShipmentData"][0]["Shipment"]
    assert (tracked["ReferenceNo"], tracked["Status"]["Status"], tracked["Consignee"]["PinCode"]) == (
        "ESB-1001", "Manifested", "122002",
    )  # fmt: skip
    by_order = sandbox.http.get(
        f"{sandbox.url}/delhivery/api/v1/packages/json/", params={"ref_ids": "ESB-1002"}, headers=TOKEN
    ).json()
    assert by_order["ShipmentData"][0]["Shipment"]["AWB"] == second["waybill"]
    assert state(sandbox)["orders"] == {"ESB-1001": first["waybill"], "ESB-1002": second["waybill"]}


def test_a_reused_order_id_or_waybill_is_refused_in_a_200(sandbox: Sandbox) -> None:
    waybill = create(sandbox, package("ESB-2001", waybill="1490899990001")).json()["packages"][0]["waybill"]
    assert waybill == "1490899990001"  # a waybill of the client's own series is kept
    again = create(sandbox, package("ESB-2001"), package("ESB-2002", waybill=waybill), package("ESB-2003"))
    assert again.status_code == 200
    body = again.json()
    assert body["success"] is False and body["package_count"] == 3 and body["prepaid_count"] == 1
    order, reused, fine = body["packages"]
    assert (order["status"], order["remarks"], order["waybill"]) == ("Fail", ["Duplicate order id"], "")
    assert (reused["status"], reused["remarks"]) == ("Fail", ["Duplicate waybill"])
    assert fine["status"] == "Success"  # packages are judged one by one
    assert set(state(sandbox)["orders"]) == {"ESB-2001", "ESB-2003"}


def test_refused_packages_name_what_is_wrong(sandbox: Sandbox) -> None:
    body = create(sandbox, package("ESB-3001", phone="", pin=""), package("ESB-3002", payment_mode="COD")).json()
    missing, cod = body["packages"]
    assert missing["remarks"] == ["pin is a required field", "phone is a required field"]
    assert cod["remarks"] == ["cod_amount is required for a COD package"] and body["success"] is False
    assert state(sandbox)["orders"] == {}


def test_a_request_delhivery_cannot_read_is_a_200_with_a_remark_and_no_packages(sandbox: Sandbox) -> None:
    unknown = create(sandbox, package("ESB-4001"), warehouse="Nowhere").json()
    assert unknown["rmk"] == "ClientWarehouse matching query does not exist."
    assert (unknown["success"], unknown["error"], unknown["packages"], unknown["upload_wbn"]) == (False, True, [], None)
    url = f"{sandbox.url}/delhivery/api/cmu/create.json"
    as_json = sandbox.http.post(url, json={"shipments": [package("ESB-4002")]}, headers=TOKEN)
    assert as_json.status_code == 200 and as_json.json()["rmk"] == "format key missing in POST"
    empty = sandbox.http.post(url, data={"format": "json", "data": '{"shipments": []}'}, headers=TOKEN)
    assert empty.json()["rmk"] == "shipment list contains no data."
    assert state(sandbox)["orders"] == {}


def test_creating_needs_the_api_token(sandbox: Sandbox) -> None:
    missing = create(sandbox, package("ESB-5001"), headers=None)
    assert missing.status_code == 401 and missing.json() == {"detail": "Authentication credentials were not provided."}
    wrong = create(sandbox, package("ESB-5001"), headers={"Authorization": "Token nope"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid token."}
    assert state(sandbox)["orders"] == {}
