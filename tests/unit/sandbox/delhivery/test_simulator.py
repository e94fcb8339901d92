"""The Delhivery simulator (`connectors.sandbox.delhivery.simulator`): token auth, tracking, and the documented
tracking limit per client IP with the count of the 429s it serves."""

from __future__ import annotations

from tests.unit.sandbox.delhivery.api import TOKEN, track
from tests.unit.sandbox.fixtures import LIMIT, Sandbox

CLIENT_IP = "127.0.0.1"


def test_tracking_needs_the_api_token(sandbox: Sandbox) -> None:
    missing = track(sandbox, "1", headers=None)
    assert missing.status_code == 401 and missing.json() == {"detail": "Authentication credentials were not provided."}
    assert track(sandbox, "1", headers={"Authorization": "Bearer sandbox-delhivery-token"}).status_code == 401
    wrong = track(sandbox, "1", headers={"Authorization": "Token nope"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid token."}
    assert track(sandbox, "1").status_code == 200


def test_tracking_several_waybills(sandbox: Sandbox) -> None:
    sandbox.control("delhivery", "/shipments", {"waybill": "111", "reference_no": "1001"})
    sandbox.control("delhivery", "/shipments", {"waybill": "222", "reference_no": "1002"})
    body = track(sandbox, "111,222,333").json()
    shipments = {entry["Shipment"]["AWB"]: entry["Shipment"] for entry in body["ShipmentData"]}
    assert set(shipments) == {"111", "222"}
    status = shipments["111"]["Status"]
    assert (status["Status"], status["StatusType"]) == ("Manifested", "UD")
    assert set(status) == {"Status", "StatusType", "StatusDateTime", "StatusLocation", "Instructions"}
    assert shipments["222"]["ReferenceNo"] == "1002"
    assert track(sandbox, "333").json() == {"Error": "No such waybill or Order Id found"}


def test_every_429_is_counted_per_ip_until_reset(limited_sandbox: Sandbox) -> None:
    assert track(limited_sandbox, "1", headers={"Authorization": "Token nope"}).status_code == 401  # not counted
    statuses = [track(limited_sandbox, "1").status_code for _ in range(LIMIT + 2)]
    assert statuses == [200] * LIMIT + [429] * 2
    refused = track(limited_sandbox, "1")
    assert refused.json()["detail"].startswith("Request was throttled.")
    assert int(refused.headers["Retry-After"]) >= 1
    assert limited_sandbox.rate_limited("delhivery") == (3, {CLIENT_IP: 3})
    limited_sandbox.control("delhivery", "/scan", {"waybill": "9", "status": "Delivered"})  # control: not limited
    limited_sandbox.control("delhivery", "/reset")
    assert limited_sandbox.rate_limited("delhivery") == (0, {})
    assert track(limited_sandbox, "1").status_code == 200


def test_concurrent_burst_counts_exactly_the_429s_served(limited_sandbox: Sandbox) -> None:
    url = f"{limited_sandbox.url}/delhivery/api/v1/packages/json/?waybill=1"
    answers = limited_sandbox.burst(url, 40, TOKEN)
    assert answers == {200: LIMIT, 429: 40 - LIMIT}
    assert limited_sandbox.rate_limited("delhivery") == (answers[429], {CLIENT_IP: answers[429]})
