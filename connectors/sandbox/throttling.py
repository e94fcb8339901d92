"""Request-rate limits the simulators enforce per client, and an exact count of the 429s they serve.

Why exact: benchmarks assert that the platform's own pacing keeps every vendor under its limit (zero 429s during a
webhook burst). So the decision to refuse and the count are made in one call, under the state lock, and the caller
answers each refusal with exactly one 429: the counter is the number of 429s served, not an estimate.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast


class Limit(Protocol):
    """One client's allowance: `take` spends one request or refuses it."""

    def take(self) -> bool: ...

    def retry_after(self) -> float:
        """Seconds until `take` would succeed again."""
        ...


class LeakyBucket:
    """Each call adds one; the bucket drains `rate` per second; full means refused (Shopify's REST limit, and any
    "N requests per second with a burst of B" limit)."""

    def __init__(self, size: int, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.rate, self.clock = size, rate, clock
        self.level, self.stamp = 0.0, clock()

    def _drain(self) -> None:
        moment = self.clock()
        self.level = max(0.0, self.level - (moment - self.stamp) * self.rate)
        self.stamp = moment

    def take(self) -> bool:
        self._drain()
        if self.level + 1 > self.size:
            return False
        self.level += 1
        return True

    def retry_after(self) -> float:
        self._drain()
        return max(0.0, (self.level + 1 - self.size) / self.rate)

    @property
    def used(self) -> int:
        self._drain()
        return min(self.size, math.ceil(self.level))


class SlidingWindow:
    """At most `limit` calls in any `window` seconds ("750 requests per 5 minutes", "10 token calls a minute")."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.calls: deque[float] = deque()

    def _forget(self) -> float:
        moment = self.clock()
        while self.calls and moment - self.calls[0] >= self.window:
            self.calls.popleft()
        return moment

    def take(self) -> bool:
        moment = self._forget()
        if len(self.calls) >= self.limit:
            return False
        self.calls.append(moment)
        return True

    def retry_after(self) -> float:
        moment = self._forget()
        return 0.0 if len(self.calls) < self.limit else self.window - (moment - self.calls[0])


L = TypeVar("L", bound=Limit)


@dataclass
class Throttle:
    """One vendor's limits, one per (scope, client), and the 429s served per client.

    It lives in the vendor's state, so resetting the vendor clears both the limits and the count. Every method
    expects the state lock to be held. `client` is whatever the vendor limits by: a shop, a client id, an IP.
    """

    limits: dict[tuple[str, str], Limit] = field(default_factory=dict)
    rate_limited_by: dict[str, int] = field(default_factory=dict)

    def admit(self, scope: str, client: str, make: Callable[[], L]) -> tuple[bool, L]:
        """Spend one request of `client` in `scope` (creating its limit with `make`); a refusal is counted here, so
        the caller must answer it with a 429."""
        limit = cast("L | None", self.limits.get((scope, client)))  # `make` is the same per scope
        if limit is None:
            limit = self.limits[(scope, client)] = make()
        allowed = limit.take()
        if not allowed:
            self.rate_limited_by[client] = self.rate_limited_by.get(client, 0) + 1
        return allowed, limit

    def of(self, scope: str) -> dict[str, Limit]:
        """The limits of one scope by client (e.g. Shopify's call-limit bucket per shop)."""
        return {client: limit for (name, client), limit in self.limits.items() if name == scope}

    def stats(self) -> dict[str, Any]:
        """What the control API shows: `rate_limited` (429s served) and `rate_limited_by` (per client)."""
        return {"rate_limited": sum(self.rate_limited_by.values()), "rate_limited_by": dict(self.rate_limited_by)}


def retry_after_seconds(limit: Limit) -> str:
    """A `Retry-After` value in whole seconds, at least 1 (what most APIs send)."""
    return str(max(1, math.ceil(limit.retry_after())))
