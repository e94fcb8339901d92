"""AppClient against a real server: typed errors, excerpts, redaction and one log line per attempt."""

from __future__ import annotations

import re

import pytest

from connectors.runtime.errors import (
    EXCERPT_LENGTH,
    AuthExpiredError,
    ConfigurationError,
    PermanentError,
    RateLimitedError,
    RetriesExhaustedError,
    RetryableError,
)
from connectors.runtime.http.client import AppClient, ConnectionValues
from connectors.runtime.http.request import RenderedRequest
from tests.unit.runtime.helpers import SleepRecorder, get, http_records, make_client, make_spec
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer, free_port

LOG_FIELDS = re.compile(
    r"app=probe@1\.0\.0 connection=\S+ method=(?P<method>\S+) url=(?P<url>\S+) status=(?P<status>\S+) "
    r"duration_ms=(?P<duration>[\d.]+) attempt=(?P<attempt>\d+)(?: error=(?P<error>\S+))?$"
)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 410, 422])
def test_client_errors_are_permanent_and_sent_once(scripted_server: ScriptedServer, status: int) -> None:
    scripted_server.reply(status, {"errors": f"nope {status}"})

    with pytest.raises(PermanentError) as caught:
        get(make_client(make_spec(), scripted_server.url, sleep=SleepRecorder()), "/orders/1")

    assert caught.value.status == status
    assert caught.value.method == "GET"
    assert caught.value.url == f"{scripted_server.url}/orders/1"
    assert f"nope {status}" in caught.value.excerpt
    assert not caught.value.retryable
    assert len(scripted_server.requests) == 1


def test_401_means_the_connection_needs_reconnecting(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(401, {"errors": "[API] Invalid API key or access token"})

    with pytest.raises(AuthExpiredError) as caught:
        get(make_client(make_spec(), scripted_server.url, sleep=SleepRecorder()), "/shop.json")

    assert caught.value.status == 401
    assert "Invalid API key" in caught.value.excerpt
    assert len(scripted_server.requests) == 1


def test_429_is_a_rate_limited_error_after_the_cap(scripted_server: ScriptedServer) -> None:
    scripted_server.default = Scripted(429, {"errors": "slow down"}, {"Retry-After": "0.01"})
    sleep = SleepRecorder()

    with pytest.raises(RetriesExhaustedError) as caught:
        get(make_client(make_spec(), scripted_server.url, sleep=sleep), "/orders")

    assert isinstance(caught.value.last, RateLimitedError)
    assert caught.value.retryable
    assert sleep.delays == [0.01, 0.01]  # Retry-After, not the policy's backoff


def test_the_excerpt_is_truncated(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(400, "x" * 5000)

    with pytest.raises(PermanentError) as caught:
        get(make_client(make_spec(), scripted_server.url), "/big")

    assert caught.value.excerpt == "x" * EXCERPT_LENGTH


def test_post_json_body_and_headers_arrive(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(201, {"id": 7})
    client = make_client(make_spec(), scripted_server.url)
    request = RenderedRequest(
        "POST", f"{client.base_url}/orders", params={"dry": "1"}, headers={"X-Trace": "t-1"}, json={"qty": 5}
    )

    assert client.send(request).json() == {"id": 7}

    [received] = scripted_server.requests
    assert (received.method, received.path, received.params) == ("POST", "/orders", {"dry": "1"})
    assert received.headers["X-Trace"] == "t-1"
    assert received.headers["Content-Type"] == "application/json"
    assert received.json == {"qty": 5}


def test_secrets_never_reach_errors_or_logs(scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    key, token = "shpat_k3y_in_query_0001", "shpat_t0ken_in_header_0002"
    spec = make_spec(
        auth={
            "type": "api_key",
            "fields": {"api_key": {"label": "API key"}, "token": {"label": "Token"}},
            "query": {"key": "{{ auth.api_key }}"},
            "headers": {"X-Shopify-Access-Token": "{{ auth.token }}"},
        }
    )
    client = make_client(spec, scripted_server.url, credentials={"api_key": key, "token": token})
    scripted_server.reply(403, {"errors": f"token {token} lacks scope", "key": key})

    with pytest.raises(PermanentError) as caught:
        get(client, "/orders", status="any")

    [received] = scripted_server.requests
    assert received.params == {"status": "any", "key": key}
    assert received.headers["X-Shopify-Access-Token"] == token
    error = caught.value
    for text in (str(error), error.excerpt, error.url, caplog.text):
        assert key not in text and token not in text
    assert "key=***" in error.url and "status=any" in error.url
    [record] = http_records(caplog)
    assert "key=***" in record.getMessage()


def test_one_log_record_per_attempt(scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    scripted_server.reply(503)
    scripted_server.reply(502)
    scripted_server.reply(200, {"ok": True})

    get(make_client(make_spec(), scripted_server.url, sleep=SleepRecorder()), "/orders", page=2)

    records = http_records(caplog)
    assert len(records) == 3
    url = f"{scripted_server.url}/orders?page=2"
    for attempt, (record, status) in enumerate(zip(records, (503, 502, 200), strict=True), start=1):
        match = LOG_FIELDS.match(record.getMessage())
        assert match, record.getMessage()
        assert match["method"] == "GET"
        assert match["url"] == url
        assert match["status"] == str(status)
        assert float(match["duration"]) >= 0
        assert match["attempt"] == str(attempt)
        assert match["error"] is None
        assert record.http["attempt"] == attempt  # type: ignore[attr-defined]
        assert record.http["status"] == status  # type: ignore[attr-defined]


def test_a_failed_connection_is_logged_with_its_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    port = free_port()
    client = make_client(make_spec(), f"http://127.0.0.1:{port}", sleep=SleepRecorder())

    with pytest.raises(RetriesExhaustedError) as caught:
        get(client, "/ping")

    assert isinstance(caught.value.last, RetryableError)
    assert caught.value.status is None
    records = http_records(caplog)
    assert [r.http["attempt"] for r in records] == [1, 2, 3]  # type: ignore[attr-defined]
    for record in records:
        match = LOG_FIELDS.match(record.getMessage())
        assert match, record.getMessage()
        assert (match["method"], match["status"], match["error"]) == ("GET", "None", "ConnectionError")


def test_duration_is_measured(scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    scripted_server.reply(200, delay=0.2)

    get(make_client(make_spec(), scripted_server.url), "/slowish")

    [record] = http_records(caplog)
    assert 180 <= record.http["duration_ms"] < 2000  # type: ignore[attr-defined]


def test_send_unauthenticated_returns_a_4xx_for_the_auth_to_judge(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(400, {"error": "invalid_grant"})
    scripted_server.reply(503)
    scripted_server.reply(200, {"access_token": "abc"})
    client = make_client(make_spec(), scripted_server.url, sleep=SleepRecorder())

    refused = client.send_unauthenticated("POST", f"{scripted_server.url}/token", data={"grant_type": "x"})
    assert refused.status_code == 400

    granted = client.send_unauthenticated("POST", f"{scripted_server.url}/token", data={"grant_type": "x"})
    assert granted.json() == {"access_token": "abc"}  # the 503 in between was retried
    assert len(scripted_server.requests) == 3
    assert scripted_server.requests[0].body == b"grant_type=x"


def test_missing_environment_fails_before_anything_is_sent() -> None:
    with pytest.raises(ConfigurationError, match="'base_url' is required"):
        AppClient(make_spec(), ConnectionValues("c-missing-env"), environment={})


def test_missing_credentials_fail_before_anything_is_sent() -> None:
    spec = make_spec(auth={"type": "api_key", "fields": {"api_key": {}}, "headers": {"X-Key": "{{ auth.api_key }}"}})
    with pytest.raises(ConfigurationError, match="api_key"):
        AppClient(spec, ConnectionValues("c-no-key"), environment={"base_url": "http://127.0.0.1:9"})
