"""Retries inside one call, against a real HTTP server: backoff, Retry-After, the cap, what is not retried."""

from __future__ import annotations

import email.utils
import threading
import time

import pytest

from connectors.runtime.errors import (
    PermanentError,
    RateLimitedError,
    RetriesExhaustedError,
    RetryableError,
    parse_retry_after,
)
from tests.unit.runtime.helpers import SleepRecorder, get, http_records, make_client, make_spec
from tests.unit.runtime.scripted_server import Scripted, ScriptedServer, free_port


def test_503_then_200_succeeds_on_the_second_request(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(503, {"error": "busy"})
    scripted_server.reply(200, {"ok": True})
    sleep = SleepRecorder()

    response = get(make_client(make_spec(), scripted_server.url, sleep=sleep), "/orders")

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert scripted_server.paths == ["/orders", "/orders"]
    assert len(sleep.delays) == 1


def test_429_retry_after_seconds_is_waited_for_really(scripted_server: ScriptedServer) -> None:
    # A backoff of 10 s would be used if Retry-After were ignored; Retry-After: 1 must replace it.
    spec = make_spec(retry={"max_attempts": 3, "initial_backoff": 10, "max_backoff": 10, "jitter": 0})
    scripted_server.reply(429, {"errors": "Exceeded 2 calls per second"}, {"Retry-After": "1"})
    scripted_server.reply(200, {"ok": True})

    response = get(make_client(spec, scripted_server.url), "/orders")  # the real time.sleep

    assert response.status_code == 200
    assert len(scripted_server.requests) == 2
    [gap] = scripted_server.gaps()
    assert 0.95 <= gap < 5


def test_retry_after_as_http_date(scripted_server: ScriptedServer) -> None:
    retry_at = email.utils.formatdate(time.time() + 30, usegmt=True)  # e.g. "Wed, 21 Oct 2015 07:28:00 GMT"
    scripted_server.reply(503, headers={"Retry-After": retry_at})
    scripted_server.reply(200, {"ok": True})
    sleep = SleepRecorder()

    get(make_client(make_spec(), scripted_server.url, sleep=sleep), "/orders")

    [delay] = sleep.delays
    assert 28 <= delay <= 31  # HTTP-dates have whole seconds


def test_retry_after_http_date_in_the_past_means_no_wait(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(503, headers={"Retry-After": email.utils.formatdate(time.time() - 60, usegmt=True)})
    scripted_server.reply(200)
    sleep = SleepRecorder()

    get(make_client(make_spec(), scripted_server.url, sleep=sleep), "/orders")

    assert sleep.delays == [0.0]


@pytest.mark.parametrize(
    "value", ["Sun Nov  6 08:49:37 2095", "Sunday, 06-Nov-95 08:49:37 GMT", "Sun, 06 Nov 2095 08:49:37 GMT"]
)
def test_every_http_date_format_is_gmt_whatever_the_local_timezone(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 9110 5.6.7: HTTP-dates are always GMT, also asctime() dates, which carry no zone.
    reference = email.utils.parsedate_to_datetime("Sun, 06 Nov 2095 08:49:37 GMT").timestamp()
    now = reference - 100
    if "-95" in value:  # RFC 850 two-digit years: parse relative to 1995
        now = email.utils.parsedate_to_datetime("Mon, 06 Nov 1995 08:49:37 GMT").timestamp() - 100
    monkeypatch.setenv("TZ", "IST-5:30")  # a POSIX zone string: no tz database needed
    time.tzset()
    try:
        assert parse_retry_after(value, now=now) == pytest.approx(100)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("value", "expected"), [("2", 2.0), (" 1.5 ", 1.5), ("-3", 0.0), ("", None), (None, None), ("soon", None)]
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_connection_refused_until_the_server_comes_up(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="connectors.http")
    port = free_port()  # nothing listens here yet
    late = ScriptedServer(port=port)
    late.reply(200, {"ok": True})
    spec = make_spec(
        retry={"max_attempts": 20, "initial_backoff": 0.2, "max_backoff": 0.2, "jitter": 0, "max_elapsed": 10}
    )
    client = make_client(spec, f"http://127.0.0.1:{port}")

    def come_up_later() -> None:
        time.sleep(1.0)
        late.start()

    starter = threading.Thread(target=come_up_later, daemon=True)
    started = time.monotonic()
    starter.start()
    try:
        response = get(client, "/ping")
        elapsed = time.monotonic() - started
    finally:
        starter.join()
        late.stop()

    assert response.json() == {"ok": True}
    assert elapsed >= 0.95
    assert len(late.requests) == 1
    records = http_records(caplog)
    assert len(records) >= 3  # refused at least a few times first
    assert all("error=ConnectionError" in r.getMessage() for r in records[:-1])
    assert "status=200" in records[-1].getMessage()


def test_422_is_not_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(422, {"errors": {"email": ["is invalid"]}})
    sleep = SleepRecorder()

    with pytest.raises(PermanentError) as caught:
        get(make_client(make_spec(), scripted_server.url, sleep=sleep), "/customers")

    error = caught.value
    assert not isinstance(error, RetryableError)
    assert error.status == 422
    assert "is invalid" in error.excerpt
    assert "422" in str(error) and "is invalid" in str(error)
    assert len(scripted_server.requests) == 1
    assert sleep.delays == []


def test_501_is_not_retried_but_a_declared_status_is(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(501)
    with pytest.raises(PermanentError):
        get(make_client(make_spec(), scripted_server.url, sleep=SleepRecorder()), "/a")
    assert len(scripted_server.requests) == 1

    spec = make_spec(retry={"max_attempts": 3, "initial_backoff": 0, "jitter": 0, "statuses": [409]})
    scripted_server.reply(409, {"error": "conflict, try again"})
    scripted_server.reply(200)
    assert get(make_client(spec, scripted_server.url, sleep=SleepRecorder()), "/b").status_code == 200
    assert scripted_server.paths == ["/a", "/b", "/b"]


def test_retry_cap_raises_retries_exhausted_with_last_status_and_attempts(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(500, {"error": "first"})
    scripted_server.default = Scripted(503, {"error": "still down"})
    spec = make_spec(retry={"max_attempts": 4, "initial_backoff": 0.1, "jitter": 0})
    sleep = SleepRecorder()

    with pytest.raises(RetriesExhaustedError) as caught:
        get(make_client(spec, scripted_server.url, sleep=sleep), "/orders")

    error = caught.value
    assert error.attempts == 4
    assert error.status == 503
    assert isinstance(error.last, RetryableError) and error.last.status == 503
    assert "still down" in error.excerpt
    assert "4 attempts" in str(error)
    assert len(scripted_server.requests) == 4
    assert len(sleep.delays) == 3


def test_retry_after_longer_than_max_retry_after_stops_at_once(scripted_server: ScriptedServer) -> None:
    spec = make_spec(retry={"max_attempts": 5, "max_retry_after": 60, "max_elapsed": 100_000})
    scripted_server.reply(429, {"errors": "daily quota"}, {"Retry-After": "600"})
    scripted_server.default = Scripted(200)
    sleep = SleepRecorder()

    with pytest.raises(RetriesExhaustedError) as caught:
        get(make_client(spec, scripted_server.url, sleep=sleep), "/orders")

    assert sleep.delays == []
    assert len(scripted_server.requests) == 1
    assert caught.value.attempts == 1
    assert caught.value.status == 429
    assert caught.value.retry_after == 600  # kept, so the task can be retried that much later
    assert isinstance(caught.value.last, RateLimitedError)


def test_backoff_grows_exponentially_with_bounded_jitter(scripted_server: ScriptedServer) -> None:
    scripted_server.default = Scripted(503)
    initial, multiplier, jitter = 0.5, 2.0, 0.25
    spec = make_spec(
        retry={
            "max_attempts": 6,
            "initial_backoff": initial,
            "multiplier": multiplier,
            "jitter": jitter,
            "max_backoff": 100,
            "max_elapsed": 1000,
        }
    )
    sleep = SleepRecorder()

    with pytest.raises(RetriesExhaustedError):
        get(make_client(spec, scripted_server.url, sleep=sleep), "/x")

    assert len(sleep.delays) == 5
    extras = []
    for attempt, delay in enumerate(sleep.delays):
        base = initial * multiplier**attempt
        assert base <= delay <= base + jitter, (attempt, delay)
        extras.append(delay - base)
    assert sleep.delays == sorted(sleep.delays)
    assert len(set(extras)) > 1  # jitter is random, not a constant


def test_backoff_is_capped_at_max_backoff(scripted_server: ScriptedServer) -> None:
    scripted_server.default = Scripted(503)
    spec = make_spec(retry={"max_attempts": 6, "initial_backoff": 0.5, "multiplier": 3, "jitter": 0, "max_backoff": 2})
    sleep = SleepRecorder()

    with pytest.raises(RetriesExhaustedError):
        get(make_client(spec, scripted_server.url, sleep=sleep), "/x")

    assert sleep.delays == [0.5, 1.5, 2, 2, 2]


def test_no_attempt_starts_past_max_elapsed(scripted_server: ScriptedServer) -> None:
    scripted_server.default = Scripted(503)
    spec = make_spec(
        retry={"max_attempts": 10, "initial_backoff": 0.2, "multiplier": 2, "jitter": 0, "max_elapsed": 0.5}
    )

    with pytest.raises(RetriesExhaustedError) as caught:
        get(make_client(spec, scripted_server.url), "/x")  # real sleeps: 0.2 s, then 0.4 s would pass 0.5 s

    assert caught.value.attempts == 2
    assert len(scripted_server.requests) == 2


def test_read_timeout_is_retried(scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="connectors.http")
    scripted_server.reply(200, {"late": True}, delay=1.5)
    scripted_server.reply(200, {"late": False})
    spec = make_spec(timeouts={"connect": 1, "read": 0.3})
    sleep = SleepRecorder()
    started = time.monotonic()

    response = get(make_client(spec, scripted_server.url, sleep=sleep), "/slow")

    assert response.json() == {"late": False}
    assert time.monotonic() - started < 1.2  # gave up on the slow answer instead of waiting for it
    assert len(scripted_server.requests) == 2
    first, second = (r.getMessage() for r in http_records(caplog))
    assert "attempt=1" in first and "status=None" in first and "error=ReadTimeout" in first
    assert "attempt=2" in second and "status=200" in second


def test_read_timeouts_until_the_cap(scripted_server: ScriptedServer) -> None:
    scripted_server.reply(200, delay=1.0, times=2)
    spec = make_spec(timeouts={"connect": 1, "read": 0.2}, retry={"max_attempts": 2, "initial_backoff": 0, "jitter": 0})

    with pytest.raises(RetriesExhaustedError) as caught:
        get(make_client(spec, scripted_server.url, sleep=SleepRecorder()), "/slow")

    assert caught.value.attempts == 2
    assert caught.value.status is None
    assert "timed out" in str(caught.value.last)
