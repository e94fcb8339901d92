"""The limits the simulators enforce (`connectors.sandbox.throttling`), on a hand-moved clock."""

from __future__ import annotations

from connectors.sandbox.throttling import LeakyBucket, SlidingWindow, Throttle, retry_after_seconds
from tests.unit.sandbox.fixtures import NEVER


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_leaky_bucket_holds_size_calls_and_drains_at_rate() -> None:
    clock = Clock()
    bucket = LeakyBucket(size=4, rate=2.0, clock=clock)
    assert [bucket.take() for _ in range(5)] == [True] * 4 + [False]
    assert bucket.used == 4 and bucket.retry_after() == 0.5
    clock.now += 0.5
    assert bucket.used == 3 and bucket.take() and not bucket.take()
    clock.now += 10
    assert bucket.used == 0


def test_sliding_window_allows_limit_calls_in_any_window() -> None:
    clock = Clock()
    window = SlidingWindow(limit=3, window=60.0, clock=clock)
    assert [window.take() for _ in range(3)] == [True] * 3
    clock.now += 30
    assert not window.take()
    assert window.retry_after() == 30.0 and retry_after_seconds(window) == "30"
    clock.now += 30  # the first three calls leave the window together
    assert [window.take() for _ in range(4)] == [True] * 3 + [False]


def test_throttle_counts_refusals_per_client_and_keeps_scopes_apart() -> None:
    throttle = Throttle()

    def one_call() -> SlidingWindow:
        return SlidingWindow(limit=1, window=60.0)

    assert throttle.admit("api", "a", one_call)[0]
    assert not throttle.admit("api", "a", one_call)[0]
    assert not throttle.admit("api", "a", one_call)[0]
    assert throttle.admit("api", "b", one_call)[0]  # another client has its own limit
    assert throttle.admit("token", "a", one_call)[0]  # another scope too
    assert not throttle.admit("token", "a", one_call)[0]
    assert throttle.stats() == {"rate_limited": 3, "rate_limited_by": {"a": 3}}
    assert set(throttle.of("api")) == {"a", "b"}


def test_retry_after_is_at_least_one_second() -> None:
    bucket = LeakyBucket(size=1, rate=1000.0, clock=Clock())
    bucket.take()
    assert retry_after_seconds(bucket) == "1"
    assert float(retry_after_seconds(LeakyBucket(size=1, rate=NEVER))) >= 1
