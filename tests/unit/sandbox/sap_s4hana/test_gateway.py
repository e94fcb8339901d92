"""The S/4HANA sandbox's logon and CSRF contract: Basic logon (the ICF's 401 page), sessions in
`SAP_SESSIONID_<SID>_<client>`, the CSRF token fetched with a GET and bound to its session, writes refused with 403
`x-csrf-token: Required` without it, with another session's or after the session expired; the optional rate limit
and faults in Gateway's error body."""

from __future__ import annotations

import requests

from tests.unit.sandbox.fixtures import LIMIT, Sandbox
from tests.unit.sandbox.sap_s4hana.api import (
    AUTH,
    JSON,
    ORDER,
    SESSION_COOKIE,
    fetch_token,
    new_session,
    odata,
    sap_state,
)


def create(sandbox: Sandbox, http: requests.Session, token: str | None) -> requests.Response:
    headers = {**JSON, **({"x-csrf-token": token} if token else {})}
    return http.post(odata(sandbox) + "/A_SalesOrder", json=ORDER, auth=AUTH, headers=headers, timeout=10)


def test_fetch_answers_a_token_and_the_session_cookies_it_is_bound_to(sandbox: Sandbox) -> None:
    http = new_session()
    response = http.get(odata(sandbox) + "/", headers={"x-csrf-token": "Fetch"}, auth=AUTH, timeout=10)
    assert response.status_code == 200 and response.json() == {
        "d": {"EntitySets": ["A_SalesOrder", "A_SalesOrderItem"]}
    }
    token = response.headers["x-csrf-token"]
    assert len(token) == 24 and token.endswith("==")
    assert set(http.cookies.keys()) == {SESSION_COOKIE, "sap-usercontext"}
    assert http.cookies["sap-usercontext"] == "sap-client=100"
    assert fetch_token(sandbox, http) == token  # the same session keeps its token
    assert fetch_token(sandbox, new_session()) != token  # another session has its own


def test_a_write_with_the_token_and_its_cookies_is_accepted_and_repeats_with_them(sandbox: Sandbox) -> None:
    http = new_session()
    token = fetch_token(sandbox, http)
    first, second = create(sandbox, http, token), create(sandbox, http, token)
    assert first.status_code == second.status_code == 201
    assert first.json()["d"]["to_Item"]["results"][0]["Material"] == "ESB-MUG-WHITE"
    assert first.headers["Location"].endswith(f"A_SalesOrder('{first.json()['d']['SalesOrder']}')")


def test_a_write_without_a_token_is_refused_before_anything_is_done(sandbox: Sandbox) -> None:
    http = new_session()
    fetch_token(sandbox, http)
    before = len(sap_state(sandbox)["sales_orders"])
    refused = create(sandbox, http, None)
    assert refused.status_code == 403 and refused.headers["x-csrf-token"] == "Required"
    assert refused.text == "CSRF token validation failed"
    assert len(sap_state(sandbox)["sales_orders"]) == before and sap_state(sandbox)["csrf_refusals"] == 1


def test_a_token_without_its_session_cookie_is_refused(sandbox: Sandbox) -> None:
    token = fetch_token(sandbox, new_session())
    refused = create(sandbox, new_session(), token)  # Basic logon alone opens a new session: not the token's
    assert refused.status_code == 403 and refused.headers["x-csrf-token"] == "Required"


def test_a_token_dies_with_its_session_and_a_new_fetch_works(sandbox: Sandbox) -> None:
    http = new_session()
    token = fetch_token(sandbox, http)
    assert sandbox.control("sap_s4hana", "/sessions/expire")["expired"] >= 1
    refused = create(sandbox, http, token)
    assert refused.status_code == 403 and refused.headers["x-csrf-token"] == "Required"
    assert SESSION_COOKIE in refused.headers["set-cookie"]  # a new session
    fresh = fetch_token(sandbox, http)
    assert fresh != token and create(sandbox, http, fresh).status_code == 201


def test_a_session_times_out_after_its_idle_time(small_pages: Sandbox) -> None:
    http = new_session()
    token = fetch_token(small_pages, http)
    with small_pages.state.lock:
        for session in small_pages.state.sap_s4hana.sessions.values():
            session.expires_at -= small_pages.server.app.state.config.sap_s4hana.session_ttl
    assert create(small_pages, http, token).status_code == 403


def test_a_wrong_password_is_the_icf_logon_page(sandbox: Sandbox) -> None:
    response = sandbox.http.get(odata(sandbox) + "/A_SalesOrder", auth=(AUTH[0], "wrong"), headers=JSON, timeout=10)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="SAP NetWeaver Application Server [S4H/100]"'
    assert response.headers["content-type"].startswith("text/html") and "Logon failed" in response.text


def test_no_credentials_and_no_session_is_refused_but_a_live_session_cookie_logs_on(sandbox: Sandbox) -> None:
    assert sandbox.http.get(odata(sandbox) + "/A_SalesOrder", headers=JSON, timeout=10).status_code == 401
    http = new_session()
    fetch_token(sandbox, http)
    assert http.get(odata(sandbox) + "/A_SalesOrder", headers=JSON, timeout=10).status_code == 200


def test_rate_limit_answers_429_with_retry_after_and_counts_it(limited: Sandbox) -> None:
    statuses = [
        limited.http.get(odata(limited) + "/A_SalesOrder", auth=AUTH, headers=JSON, timeout=10).status_code
        for _ in range(LIMIT + 2)
    ]
    assert statuses == [200] * LIMIT + [429, 429]
    refused = limited.http.get(odata(limited) + "/A_SalesOrder", auth=AUTH, headers=JSON, timeout=10)
    assert int(refused.headers["Retry-After"]) >= 1 and "error" in refused.json()
    assert limited.rate_limited("sap_s4hana") == (3, {AUTH[0]: 3})


def test_rate_limit_is_off_by_default(sandbox: Sandbox) -> None:
    statuses = {sandbox.http.get(odata(sandbox) + "/", auth=AUTH, timeout=10).status_code for _ in range(30)}
    assert statuses == {200}


def test_a_fault_answers_503_in_gateways_error_body(sandbox: Sandbox) -> None:
    sandbox.control("sap_s4hana", "/faults", {"mode": "unavailable", "requests": 1})
    response = sandbox.http.get(odata(sandbox) + "/A_SalesOrder", auth=AUTH, headers=JSON, timeout=10)
    assert response.status_code == 503 and set(response.json()["error"]) == {"code", "message", "innererror"}
    assert sandbox.http.get(odata(sandbox) + "/A_SalesOrder", auth=AUTH, headers=JSON, timeout=10).status_code == 200
