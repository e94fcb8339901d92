"""paytm_mall@1.0.0 through our runtime against the sandbox: the two-step login (session auth with an `exchange`
step), `?authtoken=` on every call, login again on an expired token, a wrong password or client secret asking for
reconnect, the polling trigger across offset pages, and every action along the fulfilment cycle."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.runtime.errors import AuthExpiredError
from connectors.runtime.polling import poll
from tests.unit.sandbox.fixtures import Sandbox
from tests.unit.sandbox.paytm_mall.api import MID, exchange, login, new_order, paytm_mall
from tests.unit.sandbox.test_apps_against_sandbox import run_action

START, END = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)


def at(minute: int) -> str:
    return (START + dt.timedelta(minutes=minute)).isoformat()


def state(sandbox: Sandbox) -> dict:
    return sandbox.control("paytm_mall", "/state", method="GET")


def test_the_two_step_login_and_the_authtoken_check(sandbox: Sandbox) -> None:
    assert login(sandbox, password="wrong").status_code == 401
    code = login(sandbox).json()["code"]
    assert exchange(sandbox, code, secret="wrong").status_code == 401
    token = exchange(sandbox, code).json()["access_token"]
    assert exchange(sandbox, code).json() == {"status": "FAILURE", "message": "Invalid or expired code"}  # single use
    url = f"{sandbox.url}/paytm_mall/fulfillment/v1/merchant/{MID}/orders.json"
    assert sandbox.http.get(url, params={"authtoken": token}, timeout=10).status_code == 200
    missing = sandbox.http.get(url, timeout=10)
    assert missing.status_code == 401 and missing.json()["message"] == "authtoken is missing"
    assert sandbox.http.get(url, params={"authtoken": "nope"}, timeout=10).status_code == 401
    assert sandbox.http.get(url.replace(MID, "999"), params={"authtoken": token}, timeout=10).status_code == 403


def test_polling_logs_in_in_two_steps_and_follows_offset_pages(sandbox: Sandbox) -> None:
    inside = [new_order(sandbox, updated_at=at(m))["id"] for m in range(0, 60, 2)]  # 30: two pages of 25
    new_order(sandbox, updated_at=at(90))  # after the window
    acknowledged = new_order(sandbox, updated_at=at(5))
    client = paytm_mall(sandbox, connection="paytm-poll")
    run_action(client, "acknowledge_order", {"order_id": acknowledged["id"],
                                             "item_ids": [i["id"] for i in acknowledged["items"]]})  # fmt: skip

    polled = list(poll(client, "orders_to_fulfil", START, END))

    assert [order["id"] for order in polled] == inside
    assert (state(sandbox)["login_calls"], state(sandbox)["token_calls"]) == (1, 1)


def test_an_expired_authtoken_logs_in_again_once(sandbox: Sandbox) -> None:
    client, order = paytm_mall(sandbox, connection="paytm-expiry"), new_order(sandbox)
    inputs = {"order_id": order["id"], "item_ids": [order["items"][0]["id"]]}
    assert run_action(client, "acknowledge_order", inputs).json()["status"] == "SUCCESS"
    sandbox.control("paytm_mall", "/expire_tokens")
    assert run_action(client, "acknowledge_order", inputs).json()["status"] == "SUCCESS"
    assert (state(sandbox)["login_calls"], state(sandbox)["token_calls"]) == (2, 2)


@pytest.mark.parametrize("wrong", [{"password": "wrong"}, {"secret": "wrong"}])
def test_wrong_credentials_ask_for_reconnect(sandbox: Sandbox, wrong: dict[str, str]) -> None:
    client = paytm_mall(sandbox, connection=f"paytm-wrong-{sorted(wrong)[0]}", **wrong)
    with pytest.raises(AuthExpiredError):
        run_action(client, "mark_shipped", {"fulfillment_ids": "1"})


def test_acknowledge_fulfil_ship_and_update_stock(sandbox: Sandbox) -> None:
    client, order = paytm_mall(sandbox), new_order(sandbox, items=[{"sku": "ESB-MUG-WHITE", "qty": 2, "price": 250}])
    item_ids = [item["id"] for item in order["items"]]
    assert run_action(client, "acknowledge_order", {"order_id": order["id"], "item_ids": item_ids}).ok
    created = run_action(client, "create_fulfillment", {
        "order_id": order["id"], "order_item_ids": item_ids, "tracking_number": "DLV123", "shipper_id": 7,
        "shipping_description": "Delhivery", "weight": 500,
    }).json()  # fmt: skip
    assert created["status"] == "CREATED" and created["tracking_number"] == "DLV123"
    shipped = run_action(client, "mark_shipped", {"fulfillment_ids": created["id"]}).json()
    assert shipped["fulfillments"] == [{"id": created["id"], "status": "SUCCESS"}]
    stock = run_action(client, "update_stock", {"sku": "ESB-MUG-WHITE", "qty": 9}).json()
    assert stock["data"] == [{"sku": "ESB-MUG-WHITE", "status": "SUCCESS"}]

    now = state(sandbox)
    stored = next(o for o in now["orders"] if o["id"] == order["id"])
    assert [item["status"] for item in stored["items"]] == [15]
    assert next(p for p in now["products"] if p["sku"] == "ESB-MUG-WHITE")["qty"] == 9
