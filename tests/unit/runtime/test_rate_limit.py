"""The token bucket, the app's usage header, and the bucket shared by every client of one connection."""

from __future__ import annotations

import time

import pytest

from connectors.runtime.http.rate_limit import TokenBucket, bucket_for, parse_call_limit
from connectors.spec.app_version import RateLimitSpec
from tests.unit.runtime.helpers import get, make_client, make_spec, unique_connection
from tests.unit.runtime.scripted_server import ScriptedServer

CALL_LIMIT = "X-Shopify-Shop-Api-Call-Limit"


class FakeTime:
    """A clock and a sleep that advances it, so waits are recorded without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_burst_then_one_token_per_interval() -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=4, capacity=3, clock=fake.clock, sleep=fake.sleep)

    waited = [bucket.acquire() for _ in range(6)]

    assert waited[:3] == [0, 0, 0]  # the burst
    assert waited[3:] == pytest.approx([0.25, 0.25, 0.25])  # then 1/rate each
    assert fake.sleeps == pytest.approx([0.25, 0.25, 0.25])


def test_tokens_refill_with_time_up_to_capacity() -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=2, capacity=5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        bucket.acquire()
    assert bucket.available == pytest.approx(0)

    fake.now += 1.0
    assert bucket.available == pytest.approx(2)
    fake.now += 60
    assert bucket.available == pytest.approx(5)  # never above capacity
    for _ in range(5):
        assert bucket.acquire() == 0
    assert fake.sleeps == []


def test_partial_token_waits_only_for_the_missing_part() -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=2, capacity=1, clock=fake.clock, sleep=fake.sleep)
    bucket.acquire()
    fake.now += 0.3  # 0.6 of a token back

    assert bucket.acquire() == pytest.approx(0.2)


@pytest.mark.parametrize("capacity", [1, 10, 40])
def test_observe_usage_leaves_at_most_the_apps_share(capacity: int) -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=2, capacity=capacity, clock=fake.clock, sleep=fake.sleep)

    bucket.observe_usage(38, 40)

    assert bucket.available <= capacity * 2 / 40 + 1e-9


def test_observe_usage_never_adds_tokens() -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=2, capacity=4, clock=fake.clock, sleep=fake.sleep)
    for _ in range(4):
        bucket.acquire()

    bucket.observe_usage(0, 40)  # the app thinks it is idle: we still have none left
    assert bucket.available == pytest.approx(0)

    bucket.observe_usage(10, 0)  # nonsense limit: ignored
    bucket.observe_usage(50, 40)  # over the limit: nothing left, and a wait longer than one interval
    assert bucket.available <= 0
    assert bucket.acquire() > 1 / 2


def test_observe_usage_then_acquire_waits() -> None:
    fake = FakeTime()
    bucket = TokenBucket(rate=2, capacity=40, clock=fake.clock, sleep=fake.sleep)

    bucket.observe_usage(39, 40)  # one call left in the app's bucket
    assert bucket.acquire() == 0
    assert bucket.acquire() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("32/40", (32.0, 40.0)), ("1/80", (1.0, 80.0)), (None, None), ("", None), ("40", None), ("a/b", None)],
)
def test_parse_call_limit(value: str | None, expected: tuple[float, float] | None) -> None:
    assert parse_call_limit(value) == expected


def test_bucket_for_is_shared_per_app_and_connection() -> None:
    spec = RateLimitSpec(requests_per_second=2, burst=4)
    first, second = unique_connection(), unique_connection()

    assert bucket_for("probe@1.0.0", first, spec) is bucket_for("probe@1.0.0", first, spec)
    assert bucket_for("probe@1.0.0", first, spec) is not bucket_for("probe@1.0.0", second, spec)
    assert bucket_for("probe@1.0.0", first, spec) is not bucket_for("probe@2.0.0", first, spec)
    assert bucket_for("probe@1.0.0", first, spec).capacity == 4


def test_two_clients_of_one_connection_share_one_bucket(scripted_server: ScriptedServer) -> None:
    spec = make_spec(rate_limit={"requests_per_second": 5, "burst": 1})
    connection = unique_connection()
    one = make_client(spec, scripted_server.url, connection_id=connection)
    two = make_client(spec, scripted_server.url, connection_id=connection)
    other = make_client(spec, scripted_server.url)
    assert one.bucket is two.bucket
    assert one.bucket is not other.bucket


def test_requests_are_spaced_by_the_rate(scripted_server: ScriptedServer) -> None:
    spec = make_spec(rate_limit={"requests_per_second": 5, "burst": 1})
    client = make_client(spec, scripted_server.url)
    scripted_server.reply(200, times=3)

    for _ in range(3):
        get(client, "/orders")

    gaps = scripted_server.gaps()
    assert len(gaps) == 2
    assert all(gap >= 0.17 for gap in gaps), gaps  # 1/5 s, less a little clock slack


def test_call_limit_header_makes_the_next_request_wait(scripted_server: ScriptedServer) -> None:
    spec = make_spec(rate_limit={"requests_per_second": 2, "burst": 2, "header": {"name": CALL_LIMIT}})
    client = make_client(spec, scripted_server.url)
    assert client.bucket is not None
    waits: list[float] = []

    def recording_sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    client.bucket._sleep = recording_sleep  # the bucket is process-wide: observe its waits
    scripted_server.reply(200, {"orders": []}, {CALL_LIMIT: "39/40"})
    scripted_server.reply(200, {"orders": []}, {CALL_LIMIT: "1/40"})

    get(client, "/orders")
    get(client, "/orders")

    # Burst 2 would let the second request go at once; the header leaves 2 * 1/40 tokens -> wait (1 - 0.05) / 2.
    assert 0.40 <= sum(waits) <= 0.48  # 0.475 less what refilled while the test ran (a loaded machine is slow)
    [gap] = scripted_server.gaps()
    assert gap >= 0.40


def test_without_a_usage_header_the_burst_goes_at_once(scripted_server: ScriptedServer) -> None:
    spec = make_spec(rate_limit={"requests_per_second": 2, "burst": 2, "header": {"name": CALL_LIMIT}})
    client = make_client(spec, scripted_server.url)
    waits: list[float] = []
    client.bucket._sleep = waits.append  # type: ignore[union-attr]
    scripted_server.reply(200, {"orders": []}, {CALL_LIMIT: "1/40"}, times=2)

    get(client, "/orders")
    get(client, "/orders")

    assert waits == [] and len(scripted_server.requests) == 2
