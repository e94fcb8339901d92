"""End to end: `make run`'s platform (real Airflow standalone, receiver, sandboxes) runs the five seed workflows.

Webhooks arrive from the sandboxes as the vendors send them, are stored by the receiver and become DAG runs
through Airflow's REST API; the polling workflow is backfilled over a past window with `airflow backfill create`.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.platform import Platform, running_platform, wait_for
from tests.e2e.secrets_scan import describe, scan_platform

SEEDS = Path(__file__).resolve().parents[2] / "include" / "workflows"
ALL_DAGS = sorted(f"wf.demo.{seed.stem}" for seed in SEEDS.glob("*.yaml"))  # each seed's key is its file's name
DEMO_CONNECTIONS = json.loads((SEEDS.parent / "connections" / "demo.json").read_text())
DAGS = [  # the ones these tests run: enabled, as a user does in the UI; the others stay paused
    "wf.demo.delhivery_delivered_to_eshopbox",
    "wf.demo.eshopbox_delivered_to_shopify_event",
    "wf.demo.eshopbox_packed_to_shopify_fulfillment",
    "wf.demo.eshopbox_stock_to_shopify",
    "wf.demo.shopify_order_to_eshopbox",
]


EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
BUNDLES = [  # the example DAGs as a second DAG bundle, as docs/provider.md says to add them to `make run`
    {"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle", "kwargs": {}},
    {"name": "examples", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
     "kwargs": {"path": str(EXAMPLES)}},
]  # fmt: skip


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    examples = {"AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(BUNDLES), "DELIVERY_CHECK_SECONDS": "2"}
    with running_platform(tmp_path_factory.mktemp("platform"), examples) as running:
        listed = wait_for(
            lambda: (dags := running.api("GET", "/dags", params={"dag_id_pattern": "wf."}).json()["dags"])
            and len(dags) == len(ALL_DAGS) and dags,
            180, "the seed workflows' DAGs to be parsed", running,
        )  # fmt: skip
        assert sorted(d["dag_id"] for d in listed) == ALL_DAGS
        for dag_id in DAGS:  # what a user does in the UI: enable the DAGs
            assert running.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False}).ok
        yield running


def runs(platform: Platform, dag_id: str) -> list[dict[str, Any]]:
    return platform.api("GET", f"/dags/{dag_id}/dagRuns").json()["dag_runs"]


def eshopbox_orders(platform: Platform, order_id: int) -> list[dict[str, Any]]:
    return [o for o in platform.state("eshopbox")["orders"] if o["customerOrderNumber"] == str(order_id)]


def new_shopify_order(platform: Platform) -> dict[str, Any]:
    created = platform.sandbox("shopify", "/orders", {"sku": "ESB-TEE-BLUE-L", "quantity": 1}, wait="true")
    return created.get("order", created)


def test_signed_shopify_webhook_creates_the_eshopbox_order_through_a_rest_triggered_run(platform: Platform) -> None:
    order = new_shopify_order(platform)
    created = wait_for(lambda: eshopbox_orders(platform, order["id"]), 120, "the Eshopbox order", platform)
    assert created[0]["items"][0]["itemID"] == "ESB-TEE-BLUE-L"
    triggered = [r for r in runs(platform, "wf.demo.shopify_order_to_eshopbox") if r["run_type"] == "manual"]
    assert triggered and all(r["dag_run_id"].startswith("drain__") for r in triggered)

    # Shopify delivers the same webhook again (same X-Shopify-Webhook-Id): acknowledged, nothing new
    deliveries = platform.http.get(f"{platform.sandbox_url}/_sandbox/deliveries", timeout=10).json()["deliveries"]
    delivery = next(d for d in deliveries if d["vendor"] == "shopify" and json.loads(d["body"])["id"] == order["id"])
    assert delivery["status"] == "delivered"
    webhook_id = delivery["headers"]["X-Shopify-Webhook-Id"]
    before = len(runs(platform, "wf.demo.shopify_order_to_eshopbox"))
    platform.sandbox("shopify", f"/redeliver/{webhook_id}", wait="true")
    assert len(runs(platform, "wf.demo.shopify_order_to_eshopbox")) == before
    assert len(eshopbox_orders(platform, order["id"])) == 1


def test_unsigned_or_wrongly_signed_webhook_is_refused_and_not_stored(platform: Platform) -> None:
    url = f"{platform.receiver}/webhooks/shopify/order_created/demo_shopify"
    body = json.dumps({"id": 999, "name": "#999"}).encode()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "forged-1",
        "Content-Type": "application/json",
    }
    before = len(runs(platform, "wf.demo.shopify_order_to_eshopbox"))
    assert platform.http.post(url, data=body, headers=headers, timeout=10).status_code == 401
    forged = {**headers, "X-Shopify-Hmac-Sha256": "bm90IHRoZSByaWdodCBzaWduYXR1cmU="}
    assert platform.http.post(url, data=body, headers=forged, timeout=10).status_code == 401
    assert len(runs(platform, "wf.demo.shopify_order_to_eshopbox")) == before
    assert eshopbox_orders(platform, 999) == []
    registry = create_engine(platform.registry_url)  # the inbox has no trace of it
    with registry.connect() as connection:
        forged_events = text("SELECT count(*) FROM events WHERE dedupe_key = 'forged-1'")
        assert connection.execute(forged_events).scalar_one() == 0
    registry.dispose()


def test_shipment_journey_packed_then_delivered_by_delhivery(platform: Platform) -> None:
    order = new_shopify_order(platform)
    created = wait_for(lambda: eshopbox_orders(platform, order["id"]), 120, "the Eshopbox order", platform)
    shipment_id = created[0]["shipments"][0]["externalShipmentID"] if created[0].get("shipments") else next(
        s["externalShipmentID"] for s in platform.state("eshopbox")["shipments"]
        if s["customerOrderNumber"] == str(order["id"])
    )  # fmt: skip

    # 2. Eshopbox packs it: Shopify gets a fulfillment with the tracking number (workflow 4 filters the event)
    packed = platform.sandbox("eshopbox", f"/shipments/{shipment_id}/status", {"status": "packed"}, wait="true")
    packed = packed.get("shipment", packed)
    fulfillment = wait_for(
        lambda: [f for f in platform.state("shopify")["fulfillments"] if f["order_id"] == order["id"]],
        120, "the Shopify fulfillment", platform,
    )  # fmt: skip
    assert fulfillment[0]["tracking_number"] == packed["trackingID"]

    # 3. Delhivery delivers it: Eshopbox marks the shipment delivered, which (4.) adds Shopify's delivered event
    scan = {"waybill": packed["trackingID"], "status": "Delivered", "status_type": "DL"}
    platform.sandbox("delhivery", "/scan", scan, wait="true")
    wait_for(
        lambda: any(s["externalShipmentID"] == shipment_id and s["status"] == "delivered"
                    for s in platform.state("eshopbox")["shipments"]),
        120, "the Eshopbox shipment to be delivered", platform,
    )  # fmt: skip
    events = wait_for(
        lambda: [e for e in platform.state("shopify")["fulfillment_events"] if e["order_id"] == order["id"]],
        120, "Shopify's delivered event", platform,
    )  # fmt: skip
    assert [e["status"] for e in events] == ["delivered"]


def test_the_example_sensor_waits_in_the_triggerer_until_delhivery_delivers(platform: Platform) -> None:
    """include/examples/delivered_to_shopify_fulfillment_event.py triggered through the REST API: its sensor checks
    once on a worker, defers to Airflow's triggerer, and the triggerer's check after the Delivered scan resumes it."""
    dag_id = "delivered_to_shopify_fulfillment_event"
    wait_for(lambda: platform.api("GET", f"/dags/{dag_id}").ok, 180, "the example DAG to be parsed", platform)
    assert platform.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False}).ok
    awb = f"7{dt.datetime.now().strftime('%d%H%M%S%f')[:12]}"
    platform.sandbox("delhivery", "/shipments", {"waybill": awb})
    created = platform.sandbox("shopify", "/orders", {"sku": "ESB-MUG-WHITE", "quantity": 1})
    by_order = [{"fulfillment_order_id": created["fulfillment_order"]["id"]}]
    fulfillment = platform.http.post(
        f"{platform.sandbox_url}/shopify/admin/api/2025-07/fulfillments.json",
        headers={"X-Shopify-Access-Token": DEMO_CONNECTIONS["demo_shopify"]["extra"]["access_token"]},
        json={"fulfillment": {"line_items_by_fulfillment_order": by_order, "tracking_info": {"number": awb}}},
        timeout=30,
    ).json()["fulfillment"]

    conf = {"order_id": created["order"]["id"], "awb": awb}
    triggered = platform.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
    assert triggered.ok, triggered.text
    run_id = triggered.json()["dag_run_id"]
    sensor = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/wait_delivered"
    wait_for(
        lambda: platform.api("GET", sensor).json().get("state") == "deferred", 240, "the sensor to defer", platform
    )
    assert platform.components("triggerer"), "standalone runs a triggerer"

    platform.sandbox("delhivery", "/scan", {"waybill": awb, "status": "Delivered"})
    ended = wait_for(
        lambda: platform.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"] in ("success", "failed"),
        240, "the example run to end", platform,
    )  # fmt: skip
    assert ended and platform.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"] == "success"
    events = [e for e in platform.state("shopify")["fulfillment_events"] if e["fulfillment_id"] == fulfillment["id"]]
    assert [e["status"] for e in events] == ["delivered"]


def test_the_connection_forms_test_button_proves_the_demo_credentials_and_refuses_a_wrong_secret(
    platform: Platform,
) -> None:
    """What the Connection form's Test button sends (`POST /api/v2/connections/test`): the app's `auth.test`
    request, run by the api-server with the form's values."""
    demo = DEMO_CONNECTIONS["demo_shopify"]
    form = {"connection_id": "demo_shopify", "conn_type": demo["conn_type"], "extra": json.dumps(demo["extra"])}
    answer = platform.api("POST", "/connections/test", json=form).json()
    assert answer == {"status": True, "message": "Connected to Shopify as Sandbox (demo.myshopify.com)."}

    wrong = {**form, "extra": json.dumps({**demo["extra"], "access_token": "shpat_a_wrong_token"})}
    answer = platform.api("POST", "/connections/test", json=wrong).json()
    assert answer["status"] is False and "401" in answer["message"]
    assert "shpat_a_wrong_token" not in answer["message"]


def test_backfill_pushes_a_past_windows_stock_changes(platform: Platform) -> None:
    start = dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC)

    def at(minutes: int) -> str:
        return (start + dt.timedelta(minutes=minutes)).isoformat()

    stock = [
        {"sku": "ESB-MUG-WHITE", "warehouseId": "GGN", "sellable": 41, "updatedAt": at(5)},
        {"sku": "ESB-TEE-RED-M", "warehouseId": "GGN", "sellable": 17, "updatedAt": at(65)},
    ]
    platform.sandbox("eshopbox", "/inventory", {"items": stock})
    backfill(platform, "wf.demo.eshopbox_stock_to_shopify", start, start + dt.timedelta(minutes=120))
    levels = wait_for(
        lambda: {(lv["inventory_item_id"], lv["available"]) for lv in platform.state("shopify")["inventory_levels"]}
        >= {(44000000003, 41), (44000000001, 17)} or None,
        180, "the backfilled inventory levels", platform,
    )  # fmt: skip
    assert levels


def backfill(platform: Platform, dag_id: str, start: dt.datetime, end: dt.datetime, *options: str) -> None:
    """`airflow backfill create` as a user runs it, once the DAG's previous backfill has ended (one at a time);
    returns once the backfill is created (its runs go on)."""
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "airflow"), "backfill", "create", "--dag-id", dag_id,
               "--from-date", start.isoformat(), "--to-date", end.isoformat(), *options]  # fmt: skip
    env = {"AIRFLOW_HOME": str(platform.home), "PATH": str(bin_dir), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    outputs: list[str] = []

    def created() -> bool | None:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        outputs.append(done.stdout + done.stderr)
        return done.returncode == 0 or None

    wait_for(created, 300, f"a backfill of {dag_id} to be created: {outputs[-1:] if outputs else ''}", platform)


def window_run(platform: Platform, dag_id: str, start: dt.datetime, after: str | None = None) -> dict[str, Any] | None:
    """The DAG's run for the data interval starting at `start`, once it has ended (after `after`, its end date)."""
    for run in runs(platform, dag_id):
        began = dt.datetime.fromisoformat(run["data_interval_start"].replace("Z", "+00:00"))
        ended = run["state"] in ("success", "failed") and run["end_date"]
        if began == start and ended and (after is None or run["end_date"] > after):
            return run
    return None


def test_a_backfilled_window_of_5000_skus_sets_every_level_once(platform: Platform) -> None:
    """5,000 SKUs changed in one past hour: every Shopify level as Eshopbox holds it, none dropped, no 429; the same
    window backfilled again writes nothing."""
    dag_id, count = "wf.demo.eshopbox_stock_to_shopify", 5000
    start = dt.datetime(2026, 11, 3, 0, tzinfo=dt.UTC)
    shape = {"count": count, "sku_prefix": "BULK-", "start": 0, "pad": 5}
    platform.sandbox("shopify", "/inventory_items/bulk", {**shape, "location_ids": [65000000001]})
    changed_at = (start + dt.timedelta(minutes=30)).isoformat()
    body = {**shape, "warehouse_id": "GGN", "sellable": "random", "updated_at": changed_at}
    held = platform.sandbox("eshopbox", "/inventory/bulk", body)
    stock = held["sellable"]
    assert len(stock) == count
    throttled_before = platform.state("shopify")["rate_limited"]

    backfill(platform, dag_id, start, start + dt.timedelta(hours=1))
    first = wait_for(lambda: window_run(platform, dag_id, start), 900, "the backfill run", platform)
    assert first["state"] == "success", platform.log_tail()
    levels = platform.sandbox("shopify", "/inventory_levels", method="GET", location_id=65000000001)
    assert {sku: levels.get(sku) for sku in stock} == stock  # every level, none dropped
    assert platform.state("shopify")["rate_limited"] == throttled_before  # no THROTTLED answer
    registry = create_engine(platform.registry_url)
    pushed = text(
        "SELECT count(*), max(a.updated_at) FROM action_log a JOIN workflows w ON w.id = a.workflow_id "
        "WHERE w.key = 'eshopbox_stock_to_shopify' AND a.outcome = 'succeeded'"
    )
    with registry.connect() as connection:
        logged, last = connection.execute(pushed).one()
    assert logged >= count

    # the same window again, as after an outage: its run is cleared and runs once more
    backfill(platform, dag_id, start, start + dt.timedelta(hours=1), "--reprocess-behavior", "completed")
    again = wait_for(lambda: window_run(platform, dag_id, start, after=first["end_date"]), 600, "the rerun", platform)
    assert again["state"] == "success"
    with registry.connect() as connection:
        assert connection.execute(pushed).one() == (logged, last)  # nothing pushed again
    registry.dispose()
    assert platform.sandbox("shopify", "/inventory_levels", method="GET", location_id=65000000001) == levels


def test_a_burst_of_200_orders_each_reaches_eshopbox_exactly_once(platform: Platform) -> None:
    """200 orders created in the Shopify sandbox at once: 200 signed webhooks, drained by a few batched runs."""
    from concurrent.futures import ThreadPoolExecutor

    def create(n: int) -> int:
        created = platform.sandbox("shopify", "/orders", {"sku": "ESB-MUG-WHITE", "quantity": 1 + n % 3})
        return created.get("order", created)["id"]

    with ThreadPoolExecutor(16) as pool:
        order_ids = set(pool.map(create, range(200)))
    assert len(order_ids) == 200

    def all_created() -> bool:
        numbers = [o["customerOrderNumber"] for o in platform.state("eshopbox")["orders"]]
        return {str(i) for i in order_ids} <= set(numbers)

    wait_for(all_created, 600, "all 200 orders in Eshopbox", platform)
    numbers = [o["customerOrderNumber"] for o in platform.state("eshopbox")["orders"]]
    assert all(numbers.count(str(i)) == 1 for i in order_ids)  # exactly once each
    registry = create_engine(platform.registry_url)
    query = text(
        "SELECT e.status, count(*) FROM events e JOIN workflows w ON w.id = e.workflow_id "
        "WHERE w.key = 'shopify_order_to_eshopbox' GROUP BY e.status"
    )
    with registry.connect() as connection:
        counts = wait_for(
            lambda: (rows := dict(connection.execute(query).all())) and set(rows) == {"done"} and rows,
            120, "every event done", platform,
        )  # fmt: skip
        runs_used = connection.execute(text("SELECT count(DISTINCT dag_run_id) FROM events")).scalar_one()
    registry.dispose()
    assert counts["done"] >= 200
    assert runs_used < 100  # batched: far fewer runs than events


def test_no_test_secret_in_task_logs_or_databases_after_the_workflows_ran(platform: Platform) -> None:
    """Last, once every workflow above has run: no credential of the demo connections, nor the admin password or the
    Fernet key, in clear or in base64, in any log under the Airflow home, in Airflow's metadata database (XComs
    included) or in the registry."""
    leaks = scan_platform(platform.home)
    assert not leaks, describe(leaks)
