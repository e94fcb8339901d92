"""The Marg sandbox's contract: credentials in the body, the master sync by Datetime and Index, order lines, the
(configured) rate limit and faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.sandbox import SandboxServer
from tests.unit.sandbox.fixtures import Sandbox, fast_config
from tests.unit.sandbox.marg.api import DEMO, masters, post, state


@pytest.mark.parametrize(
    "credentials",
    [{"CompanyCode": "OTHERCO"}, {"MargID": "1"}, {"CompanyCode": None, "MargID": None}],
)
def test_a_body_without_the_company_credentials_is_refused(sandbox: Sandbox, credentials: dict[str, str]) -> None:
    refused = post(sandbox, "MargMST2017", Datetime="", Index="0", **credentials)
    assert refused.status_code == 401
    assert refused.json() == {"Details": {"Status": "Failure", "Message": "Invalid CompanyCode or MargID"}}


def test_company_code_is_matched_without_case_and_keys_in_any_case(sandbox: Sandbox) -> None:
    body = {"companycode": DEMO.company_code.lower(), "Margid": int(DEMO.marg_id), "Datetime": "", "index": "0"}
    response = sandbox.http.post(f"{sandbox.url}/marg/api/eOnlineData/MargMST2017", json=body, timeout=10)
    assert response.status_code == 200 and response.json()["Details"]["Status"] == "Sucess"


def test_blank_datetime_answers_every_item_and_a_datetime_only_what_changed_since(sandbox: Sandbox) -> None:
    everything = masters(sandbox)
    assert [row["code"] for row in everything["pro_N"]] == ["ESB-TEE-RED-M", "ESB-MUG-WHITE"]
    assert everything["Datastatus"] == "Completed" and everything["pro_N"][0]["stock"] == "40.000"
    sandbox.control(
        "marg", "/products", {"items": [{"code": "ESB-MUG-WHITE", "stock": 7, "at": "2026-11-20 10:15:00"}]}
    )
    changed = masters(sandbox, since="2026-11-20 10:15:00")  # IST, inclusive
    assert [(row["code"], row["stock"]) for row in changed["pro_N"]] == [("ESB-MUG-WHITE", "7.000")]
    assert changed["pro_N"][0]["rid"] != everything["pro_N"][1]["rid"]  # a change renews the row version
    nothing = masters(sandbox, since="2026-11-20 10:15:01")
    assert (nothing["pro_N"], nothing["Status"], nothing["Message"]) == ([], "No Record Found", "No Record Found")


def test_a_bad_datetime_is_refused(sandbox: Sandbox) -> None:
    refused = post(sandbox, "MargMST2017", Datetime="20/11/2026", Index="0")
    assert refused.status_code == 400 and refused.json()["Details"]["Status"] == "Failure"


def test_index_pages_through_rows_oldest_change_first() -> None:
    with SandboxServer(fast_config(marg={"page_size": 2})) as server:
        sandbox = Sandbox(server)
        items = [{"code": f"SKU-{n}", "stock": n, "at": f"2026-11-20 10:0{n}:00"} for n in range(3)]
        sandbox.control("marg", "/products", {"items": items})
        first = masters(sandbox, since="2026-11-20 10:00:00")
        assert [row["code"] for row in first["pro_N"]] == ["SKU-0", "SKU-1"]
        assert (first["Datastatus"], first["Index"]) == ("Pending", "1")
        second = masters(sandbox, since="2026-11-20 10:00:00", index="1")
        assert [row["code"] for row in second["pro_N"]] == ["SKU-2"] and second["Datastatus"] == "Completed"


def test_order_lines_of_one_order_share_its_marg_number(sandbox: Sandbox) -> None:
    line = {"OrderID": "ESB-1", "CustomerID": "C001", "ProductCode": "ESB-TEE-RED-M", "Quantity": "2", "Type": "S"}
    first = post(sandbox, "InsertOrderDetail", **line).json()["Details"]
    second = post(sandbox, "InsertOrderDetail", **{**line, "ProductCode": "ESB-MUG-WHITE"}).json()["Details"]
    assert first["OrderDetails"] == second["OrderDetails"] == [{"OrderID": "ESB-1", "OrderNo": "SO/00001"}]
    assert len(state(sandbox)["order_lines"]) == 2


def test_an_order_line_for_an_unknown_item_or_without_a_quantity_is_refused(sandbox: Sandbox) -> None:
    unknown = post(sandbox, "InsertOrderDetail", OrderID="E", CustomerID="C", ProductCode="NOPE", Quantity="1")
    missing = post(sandbox, "InsertOrderDetail", OrderID="E", CustomerID="C", ProductCode="ESB-MUG-WHITE")
    assert unknown.status_code == 400 and unknown.json()["Details"]["Message"] == "Product NOPE not found"
    assert missing.status_code == 400 and "Quantity" in missing.json()["Details"]["Message"]
    assert state(sandbox)["order_lines"] == []


LIMIT = 3


@pytest.fixture(scope="module")
def _limited() -> Iterator[SandboxServer]:
    with SandboxServer(fast_config(marg={"requests_per_second": 1e-9, "burst": LIMIT})) as server:
        yield server


def test_rate_limit_answers_429_with_retry_after(_limited: SandboxServer) -> None:
    _limited.state.reset()
    sandbox = Sandbox(_limited)
    statuses = [post(sandbox, "MargMST2017", Datetime="", Index="0").status_code for _ in range(LIMIT)]
    refused = post(sandbox, "MargMST2017", Datetime="", Index="0")
    assert statuses == [200] * LIMIT and refused.status_code == 429
    assert refused.json() == {"Details": {"Status": "Failure", "Message": "Request limit exceeded"}}
    assert int(refused.headers["retry-after"]) >= 1
    assert sandbox.rate_limited("marg") == (1, {DEMO.company_code: 1})


def test_the_rate_limit_is_off_by_default(sandbox: Sandbox) -> None:
    assert {post(sandbox, "MargMST2017", Datetime="", Index="0").status_code for _ in range(20)} == {200}


def test_faults_answer_in_margs_envelope(sandbox: Sandbox) -> None:
    sandbox.control("marg", "/faults", {"mode": "unavailable", "requests": 1})
    down = post(sandbox, "MargMST2017", Datetime="", Index="0")
    assert down.status_code == 503 and down.json()["Details"]["Status"] == "Failure"
    assert post(sandbox, "MargMST2017", Datetime="", Index="0").status_code == 200


def test_credentials_outside_ascii_are_refused_not_an_error(sandbox: Sandbox) -> None:
    assert post(sandbox, "MargMST2017", CompanyCode="कंपनी", Datetime="", Index="0").status_code == 401
