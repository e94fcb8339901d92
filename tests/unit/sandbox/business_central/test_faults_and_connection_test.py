"""What the sandbox's faults and the connection Test button show for both apps: a sales order created by BC whose
answer was lost is found instead of created again, and `auth.test` proves (or refuses, without the secret) the
credentials of each app."""

from __future__ import annotations

from connectors.runtime.connection_test import prove_credentials
from connectors.runtime.steps import run_action as run_step
from tests.unit.sandbox.business_central.api import COMPANY_ID, business_central, dynamics_nav, state
from tests.unit.sandbox.fixtures import Sandbox

WRONG = "wrong-secret-value-123"


def test_a_create_answered_503_after_bc_committed_it_is_found_not_created_again(sandbox: Sandbox) -> None:
    fault = {"mode": "commit_then_503", "method": "POST", "path": "/v2.0/", "requests": 1}
    sandbox.control("business_central", "/faults", fault)
    inputs = {"external_document_number": "LOST-ANSWER-1", "customer_number": "C-ESHOPBOX", "order_date": "2026-11-20",
              "lines": [{"lineType": "Item", "lineObjectNumber": "ESB-MUG-WHITE", "quantity": 1}]}  # fmt: skip

    result = run_step(business_central(sandbox, connection="bc-fault"), "create_sales_order", inputs)

    assert result.outcome == "found" and result.result["externalDocumentNumber"] == "LOST-ANSWER-1"
    assert len(state(sandbox)["companies"][COMPANY_ID]["sales_orders"]) == 1
    (served,) = sandbox.control("business_central", "/faults", method="GET")["faults"]
    assert served["served"] == 1


def test_an_unavailable_bc_answers_503_in_its_error_shape(sandbox: Sandbox) -> None:
    sandbox.control("business_central", "/faults", {"mode": "unavailable", "requests": 1})
    response = sandbox.http.get(f"{sandbox.url}/business_central/v2.0/x/Production/api/v2.0/companies", timeout=10)
    assert response.status_code == 503 and response.json()["error"]["code"] == "ServiceUnavailable"


def test_the_test_button_proves_each_apps_credentials(sandbox: Sandbox) -> None:
    nav_server = f"{sandbox.url}/business_central/nav"
    assert prove_credentials(business_central(sandbox, connection="bc-test")).ok
    assert prove_credentials(dynamics_nav(nav_server, connection="nav-test")).ok
    for refused in (
        prove_credentials(business_central(sandbox, secret=WRONG, connection="bc-test-wrong")),
        prove_credentials(dynamics_nav(nav_server, password=WRONG, connection="nav-test-wrong")),
    ):
        assert not refused.ok and WRONG not in refused.message
