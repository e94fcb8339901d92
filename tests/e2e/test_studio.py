"""The studio in a real browser (Playwright driving Debian's Chromium) against a running platform: log in through
Airflow's login page, open "Integrations" from Airflow's navigation, connect an app through the generated form and
test it, build a webhook workflow with a condition and a mapped line-item input, dry-run it, save it, watch its
events, replay a failed one, and build an app version in the App builder.

The tests run in order and share one browser page, as one user's session would. Each page's screenshot goes to
`STUDIO_SCREENSHOTS` when it is set (docs/studio.md shows them: `STUDIO_SCREENSHOTS=docs/studio pytest
tests/e2e/test_studio.py`), else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.platform import Platform, running_platform, wait_for

pytestmark = pytest.mark.slow

WORKFLOW = "wf.studio.paid_orders"
CONNECTION = "studio_shopify"
SHOPIFY_TOKEN = "shpat_sandbox_demo_token"
WRONG_TOKEN = "shpat_wrong_studio_token_4f2a"
WEBHOOK_SECRET = "sandbox-shopify-webhook-secret"
ADDRESS = {
    "customerName": "{{ trigger.shipping_address.name }}",
    "addressLine1": "{{ trigger.shipping_address.address1 }}",
    "city": "{{ trigger.shipping_address.city }}",
    "postalCode": "{{ trigger.shipping_address.zip }}",
    "contactPhone": "{{ trigger.shipping_address.phone }}",
}
LINE = {
    "lineItemSequenceNumber": "{{ index }}",
    "itemID": "{{ line.sku }}",
    "productName": "{{ line.title }}",
    "quantity": "{{ line.quantity }}",
    "customerPrice": "{{ line.price | float }}",
    "lineItemTotal": "{{ (line.price | float) * line.quantity }}",
}
APP_YAML = """\
app:
  key: studio_notes
  name: Studio notes
  category: generic
version: 1.0.0
base_url: https://notes.example.com
auth:
  type: api_key
  fields:
    api_key: {label: API key}
  headers:
    Authorization: "Bearer {{ auth.api_key }}"
actions:
  create_note:
    name: Create note
    kind: create
    inputs:
      text: {type: string, required: true}
    request:
      method: POST
      url: /notes
      json: {text: "{{ inputs.text }}"}
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("the browser tests need Debian's Chromium: apt-get install chromium (.ci/run installs it)")
    return found


@pytest.fixture(scope="module")
def user_apps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("user-apps")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, user_apps: Path) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("studio"), {"INTEGRATIONS_APPS_PATH": str(user_apps)}) as running:
        wait_for(lambda: running.api("GET", "/dags/wf.demo.shopify_order_to_eshopbox").ok, 180, "the demo DAGs",
                 running)  # fmt: skip
        assert running.api("PATCH", "/dags/wf.demo.shopify_order_to_eshopbox", json={"is_paused": False}).ok
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("STUDIO_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(platform: Platform) -> Iterator[Any]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1440, "height": 960})
        context.set_default_timeout(30_000)
        yield context.new_page()
        browser.close()


def studio(page: Any) -> Any:
    """The studio's frame inside Airflow's page (whose own address follows the frame's: /plugin/integrations/…)."""
    frame = page.wait_for_selector("iframe[src*='/integrations/studio/']").content_frame()
    frame.wait_for_selector("main")
    return frame


def go(page: Any, hash_route: str) -> Any:
    """Open a page of the studio and wait until it is shown (the studio marks `main` with the route it shows)."""
    frame = studio(page)
    frame.evaluate(f"location.hash = {json.dumps(hash_route)}")
    frame.wait_for_function("route => document.querySelector('main').dataset.route === route", arg=hash_route)
    return frame


def map_fields(frame: Any, path: str, fields: dict[str, str]) -> None:
    """Add `key ← template` rows to an object input or a line-item mapping."""
    for key, template in fields.items():
        frame.click(f"button[name='{path}.add-field']")
        frame.locator(f"input[name='{path}.key']").last.fill(key)
        frame.locator(f"input[name='{path}.key']").last.dispatch_event("change")
        frame.fill(f"input[name='{path}.{key}']", template)


def subscribe(platform: Platform, address: str) -> None:
    """Shopify's orders/create webhook to `address`, as the store's owner sets it up (once: Shopify refuses a
    second subscription of a topic to one address)."""
    webhooks = f"{platform.sandbox_url}/shopify/admin/api/2024-10/webhooks.json"
    headers = {"X-Shopify-Access-Token": SHOPIFY_TOKEN}
    if any(
        w["address"] == address for w in platform.http.get(webhooks, headers=headers, timeout=10).json()["webhooks"]
    ):
        return
    answer = platform.http.post(webhooks, headers=headers, timeout=10,
                                json={"webhook": {"topic": "orders/create", "address": address}})  # fmt: skip
    assert answer.status_code == 201, answer.text


def event_of(platform: Platform, event: dict[str, Any], order: dict[str, Any]) -> bool:
    return platform.management("GET", f"/events/{event['id']}").json()["payload"]["id"] == order["id"]


def events(platform: Platform, **filters: Any) -> list[dict[str, Any]]:
    answer = platform.management("GET", "/events", params={"workflow": WORKFLOW, **filters})
    return answer.json() if answer.ok else []


def test_log_in_through_airflow_and_open_the_studio_from_its_navigation(platform: Platform, page: Any,
                                                                        shots: Path) -> None:  # fmt: skip
    page.goto(f"{platform.airflow_url}/integrations/studio/")
    page.wait_for_selector("input[name=username]")  # not logged in: sent to Airflow's login page
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", platform.password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/integrations/studio/"))
    page.goto(platform.airflow_url)
    page.get_by_role("link", name="Integrations").click()
    frame = studio(page)
    frame.wait_for_selector("tr[data-dag-id='wf.demo.shopify_order_to_eshopbox']")
    assert "Shopify order created → Eshopbox order" in frame.inner_text("table")
    page.screenshot(path=shots / "workflows.png")


def test_the_apps_page_shows_each_version_from_its_definition(platform: Platform, page: Any, shots: Path) -> None:
    frame = go(page, "#/apps")
    frame.wait_for_selector("tr[data-ref='delhivery@1.1.0']")
    frame.click("tr[data-ref='shopify@1.0.0']")
    frame.wait_for_selector("text=Connection fields")
    text = frame.inner_text("main")
    assert "Admin API access token" in text and "order_created" in text and "Auth: api_key" in text
    page.screenshot(path=shots / "app.png")

    frame = go(page, "#/apps/eshopbox/1.0.0")  # its environment: the Airflow Variable `make run` imported
    field = frame.wait_for_selector("#environment input[name='env.WMS_BASE_URL']")
    assert field.input_value() == f"{platform.sandbox_url}/eshopbox/wms"
    field.fill(f"{platform.sandbox_url}/eshopbox/wms/")  # an edit, saved through the management API
    frame.click("button[name=save-environment]")
    frame.wait_for_selector("#environment >> text=Saved.")
    assert frame.input_value("#environment input[name='env.WMS_BASE_URL']").endswith("/eshopbox/wms/")
    frame.fill("#environment input[name='env.WMS_BASE_URL']", f"{platform.sandbox_url}/eshopbox/wms")  # as it was
    frame.click("button[name=save-environment]")
    frame.wait_for_selector("#environment >> text=Saved.")


def test_connect_an_app_through_the_generated_form_and_test_it(platform: Platform, page: Any, shots: Path) -> None:
    frame = go(page, "#/connect/shopify/1.0.0")
    frame.wait_for_selector("#connect-form input[name=access_token]")
    assert frame.get_attribute("input[name=access_token]", "type") == "password"
    frame.fill("input[name=connection_id]", CONNECTION)
    frame.fill("input[name=description]", "Studio client's Shopify store (the local sandbox)")
    frame.fill("input[name=shop]", "demo")
    frame.fill("input[name=webhook_secret]", WEBHOOK_SECRET)
    frame.fill("input[name=access_token]", WRONG_TOKEN)
    frame.click("button[name=test]")
    refused = frame.wait_for_selector("#connect-output .message.bad")
    assert "401" in refused.inner_text() and WRONG_TOKEN not in frame.inner_text("#connect-output")

    frame.fill("input[name=access_token]", SHOPIFY_TOKEN)
    frame.click("button[name=test]")
    assert "Connected to Shopify" in frame.wait_for_selector("#connect-output .message.ok").inner_text()
    page.screenshot(path=shots / "connect.png")
    frame.click("button[name=save]")
    frame.wait_for_selector("#connect-output >> text=Saved connection")
    stored = platform.api("GET", f"/connections/{CONNECTION}").json()
    assert stored["conn_type"] == "integrations_shopify"


def test_build_a_webhook_workflow_with_a_condition_and_line_items_then_dry_run_and_save(
    platform: Platform, page: Any, shots: Path
) -> None:
    platform.sandbox("shopify", "/orders", {"sku": "ESB-TEE-BLUE-L", "quantity": 1}, wait="true")  # a sample event
    demo = {"workflow": "wf.demo.shopify_order_to_eshopbox"}
    wait_for(lambda: platform.management("GET", "/events", params=demo).json(), 60, "a sample Shopify event")
    frame = go(page, "#/workflows/new")
    frame.fill("input[name=client]", "studio")
    frame.fill("input[name=key]", "paid_orders")
    frame.fill("input[name=name]", "Studio: paid Shopify orders → Eshopbox")
    frame.select_option("select[name='trigger.app']", "shopify@1.0.0")
    frame.select_option("select[name='trigger.connection']", CONNECTION)
    frame.select_option("select[name='trigger.key']", "order_created")
    frame.click("button[name=add-condition-all]")
    frame.fill("input[name='conditions.all[0].field']", "financial_status")
    frame.fill("input[name='conditions.all[0].value']", "paid")
    frame.click("button[name=add-action]")
    frame.select_option("select[name='steps[0].app']", "eshopbox@1.0.0")
    frame.select_option("select[name='steps[0].connection']", "demo_eshopbox")
    frame.click("button[name=save]")  # no action chosen yet: refused, the problem shown on its field
    refused = frame.wait_for_selector("label.has-problem[data-path='steps[0].action']")
    assert "create_order" in refused.inner_text()  # the problem names the actions there are
    frame.select_option("select[name='steps[0].action']", "create_order")
    inputs = {
        "customer_order_number": "STUDIO-{{ trigger.id }}",
        "subtotal": "{{ trigger.subtotal_price | float }}",
        "order_total": "{{ trigger.total_price | float }}",
    }
    for name, template in inputs.items():
        frame.fill(f"input[name='steps[0].inputs.{name}']", template)
    frame.click("button[name='steps[0].inputs.shipping_address.map-fields']")
    map_fields(frame, "steps[0].inputs.shipping_address.map", ADDRESS)
    frame.select_option("select[name='steps[0].inputs.items.for_each']", "line_items")  # one entry per line item
    map_fields(frame, "steps[0].inputs.items.map", LINE)
    frame.click("button[name=dry-run]")
    report = frame.wait_for_selector("#dry-run")
    text = report.inner_text()
    assert "would run" in text and "nothing was sent" in text
    assert frame.locator("#dry-run li.outcome.holds").count() == 1  # financial_status equals paid
    assert "/api/order" in text and "ESB-TEE-BLUE-L" in text and "STUDIO-" in text
    report.scroll_into_view_if_needed()
    page.screenshot(path=shots / "builder.png")

    frame.click("button[name=save]")
    frame.wait_for_selector(f"text={WORKFLOW}")
    assert platform.management("GET", f"/workflows/{WORKFLOW}").json()["enabled"] is True
    toggle = frame.wait_for_selector("button[name=pause]", timeout=120_000)  # the DAG was parsed
    if toggle.inner_text() == "Unpause DAG":  # new DAGs start paused: unpause it from the studio
        toggle.click()
        frame.wait_for_selector("#dag-state >> text=running")
    wait_for(lambda: not platform.api("GET", f"/dags/{WORKFLOW}").json()["is_paused"], 30, "the DAG unpaused")

    frame.fill("input[name=name]", "Studio: paid Shopify orders to Eshopbox")  # an edit shows what will change
    assert "name:" in frame.wait_for_selector("#changes").inner_text()
    frame.click("button[name=save]")
    frame.wait_for_selector("#builder-output >> text=Saved (updated)")
    assert platform.management("GET", f"/workflows/{WORKFLOW}").json()["revision"] == 2
    assert frame.input_value("select[name='steps[0].action']") == "create_order"  # a stored step opens as it was

    frame.click("button[name=toggle]")  # Disable, then a save keeps it disabled
    frame.wait_for_selector("#builder-output >> text=Disabled")
    frame.fill("input[name=name]", "Studio: paid Shopify orders → Eshopbox")
    frame.click("button[name=save]")
    frame.wait_for_selector("#builder-output >> text=Saved (updated)")
    assert platform.management("GET", f"/workflows/{WORKFLOW}").json()["enabled"] is False
    frame.click("button[name=toggle]")
    frame.wait_for_selector("#builder-output >> text=Enabled")
    assert platform.management("GET", f"/workflows/{WORKFLOW}").json()["enabled"] is True


def test_a_sandbox_event_is_done_on_the_events_page_with_its_step_entries(
    platform: Platform, page: Any, shots: Path
) -> None:
    subscribe(platform, f"{platform.receiver}/webhooks/shopify/order_created/{CONNECTION}")
    order = platform.sandbox("shopify", "/orders", {"sku": "ESB-MUG-WHITE", "quantity": 2}, wait="true")
    order = order.get("order", order)
    number = f"STUDIO-{order['id']}"
    created = wait_for(lambda: [o for o in platform.state("eshopbox")["orders"] if o["customerOrderNumber"] == number],
                       120, "the order created by the studio's workflow", platform)  # fmt: skip
    assert [(i["itemID"], i["quantity"]) for i in created[0]["items"]] == [("ESB-MUG-WHITE", 2)]
    assert created[0]["shippingAddress"]["postalCode"] == order["shipping_address"]["zip"]
    done = wait_for(lambda: [e for e in events(platform, status="done") if event_of(platform, e, order)], 60,
                    "the event done", platform)  # fmt: skip

    frame = go(page, f"#/events?workflow={WORKFLOW}")
    frame.wait_for_selector(f"tr[data-event-id='{done[0]['id']}']")
    page.screenshot(path=shots / "events.png")
    frame.click(f"tr[data-event-id='{done[0]['id']}']")
    entry = frame.wait_for_selector(".step-entry[data-step='step_1']")
    assert "succeeded" in entry.inner_text() and "HTTP 200" in entry.inner_text()
    entry.query_selector("summary").click()  # what was sent
    assert number in entry.inner_text() and "sandbox-client-secret" not in frame.inner_text("main")
    page.screenshot(path=shots / "event.png")


def test_a_failed_event_is_replayed_from_the_studio_once_the_fault_is_cleared(platform: Platform, page: Any) -> None:
    fault = {"mode": "rejected", "status": 422, "detail": "channel switched off", "method": "POST",
             "path": "/wms/api/order"}  # fmt: skip
    platform.sandbox("eshopbox", "/faults", fault)
    try:
        order = platform.sandbox("shopify", "/orders", {"sku": "ESB-TEE-BLUE-L", "quantity": 3}, wait="true")
        order = order.get("order", order)
        failed = wait_for(lambda: [e for e in events(platform, status="failed") if event_of(platform, e, order)],
                          120, "the failed event", platform)  # fmt: skip
    finally:
        platform.sandbox("eshopbox", "/faults", method="DELETE")
    assert "channel switched off" in failed[0]["error"]

    frame = go(page, f"#/events/{failed[0]['id']}")
    frame.wait_for_selector("button[name=replay]")
    assert "failed" in frame.inner_text("main")
    frame.click("button[name=replay]")
    frame.wait_for_selector("#event-output .message.ok")
    wait_for(lambda: platform.management("GET", f"/events/{failed[0]['id']}").json()["status"] == "done", 120,
             "the replayed event to be done", platform)  # fmt: skip


def test_build_an_app_version_in_the_app_builder_and_use_it_in_a_workflow(
    platform: Platform, page: Any, shots: Path, user_apps: Path
) -> None:
    frame = go(page, "#/builder")
    editor = frame.wait_for_selector("textarea[name=yaml]")
    editor.fill(APP_YAML.replace("kind: create", "kind: explode"))
    problem = frame.wait_for_selector("#app-problems .problem")
    assert "line 16" in problem.inner_text() and "kind" in problem.inner_text()
    editor.fill(APP_YAML)
    frame.wait_for_selector("#app-problems >> text=Valid.")
    editor.press("Control+End")  # a new line at the top level: the language's top-level keys are offered
    frame.wait_for_selector("#schema-keys button:text-is('environment')")
    assert "Top-level keys" in frame.inner_text("main")
    page.screenshot(path=shots / "app-builder.png")
    frame.click("button[name=save-app]")
    assert "Saved studio_notes@1.0.0" in frame.wait_for_selector("#builder-result .message.ok").inner_text()
    assert (user_apps / "studio_notes" / "1.0.0.yaml").read_text() == APP_YAML

    assert any(a["ref"] == "studio_notes@1.0.0" for a in platform.management("GET", "/apps").json())
    frame = go(page, "#/workflows/new")  # offered to workflows at once
    frame.click("button[name=add-action]")
    frame.select_option("select[name='steps[0].app']", "studio_notes@1.0.0")
    frame.select_option("select[name='steps[0].action']", "create_note")
    assert frame.locator("input[name='steps[0].inputs.text']").count() == 1
    workflow = {
        "client": "studio", "key": "notes", "name": "Shopify order → a note",
        "trigger": {"app": "shopify@1.0.0", "connection": CONNECTION, "key": "order_created"},
        "steps": [{"key": "note", "app": "studio_notes@1.0.0", "connection": "studio_notes_demo",
                   "action": "create_note", "inputs": {"text": "Order {{ trigger.name }}"}}],
    }  # fmt: skip
    checked = platform.management("POST", "/workflows/validate",
                  json={"definition": workflow, "allow_missing_connections": True}).json()  # fmt: skip
    assert checked["valid"], checked
