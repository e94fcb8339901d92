"""Emission of outbound webhooks, as the vendors send them: delivered from a background thread with the vendor's
retry policy, every attempt and the HTTP status received recorded in the state. Signing and headers are each
vendor's business (see `shopify.context`); this module only delivers bytes.

A delivery keeps its id and headers across retries and redeliveries, so `X-Shopify-Webhook-Id` repeats exactly as
Shopify repeats it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from starlette.concurrency import run_in_threadpool

from connectors.sandbox.state import SandboxState
from connectors.sandbox.timestamps import iso_z, now


@dataclass
class Delivery:
    id: str
    vendor: str
    topic: str
    url: str
    headers: dict[str, str]
    body: bytes
    retries: int = 0
    backoff: float = 0.0
    status: str = "pending"  # pending | retrying | delivered | failed (the last attempt's outcome)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vendor": self.vendor,
            "topic": self.topic,
            "url": self.url,
            "headers": dict(self.headers),
            "body": self.body.decode("utf-8", "replace"),
            "status": self.status,
            "attempts": list(self.attempts),
        }


class WebhookSender:
    """Sends deliveries in daemon threads; `wait=True` (tests, CLI) sends in the caller's thread."""

    def __init__(self, state: SandboxState, timeout: float = 5.0) -> None:
        self.state, self.timeout = state, timeout

    def send(
        self,
        vendor: str,
        topic: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        retries: int = 0,
        backoff: float = 0.0,
        delivery_id: str | None = None,
        wait: bool = False,
    ) -> Delivery:
        delivery = Delivery(
            id=delivery_id or str(uuid.uuid4()),
            vendor=vendor,
            topic=topic,
            url=url,
            headers={"Content-Type": "application/json", **headers},
            body=body,
            retries=retries,
            backoff=backoff,
        )
        with self.state.lock:
            self.state.deliveries[delivery.id] = delivery
        self._start(delivery, redelivery=False, wait=wait)
        return delivery

    def redeliver(self, delivery_id: str, wait: bool = False) -> Delivery | None:
        """Send a recorded delivery again, byte for byte and with the same headers (one attempt, no retries)."""
        with self.state.lock:
            delivery = self.state.deliveries.get(delivery_id)
            if delivery is None:
                return None
            delivery.done.clear()
        self._start(delivery, redelivery=True, wait=wait)
        return delivery

    def _start(self, delivery: Delivery, redelivery: bool, wait: bool) -> None:
        if wait:
            self._run(delivery, redelivery)
        else:
            threading.Thread(target=self._run, args=(delivery, redelivery), daemon=True, name="sandbox-webhook").start()

    def _run(self, delivery: Delivery, redelivery: bool) -> None:
        session = requests.Session()
        session.trust_env = False  # never through a proxy: the receiver is usually on this machine
        tries = 1 if redelivery else 1 + max(0, delivery.retries)
        try:
            for number in range(tries):
                if number and delivery.backoff:
                    time.sleep(delivery.backoff * 2 ** (number - 1))
                if self._attempt(session, delivery, redelivery, last=number == tries - 1):
                    return
        finally:
            session.close()
            delivery.done.set()

    def _attempt(self, session: requests.Session, delivery: Delivery, redelivery: bool, last: bool) -> bool:
        record: dict[str, Any] = {"at": iso_z(now()), "status": None, "error": None, "redelivery": redelivery}
        try:
            response = session.post(delivery.url, data=delivery.body, headers=delivery.headers, timeout=self.timeout)
            record["status"] = response.status_code
            ok = 200 <= response.status_code < 300
        except requests.RequestException as exc:
            record["error"] = type(exc).__name__
            ok = False
        with self.state.lock:
            record["attempt"] = len(delivery.attempts) + 1
            delivery.attempts.append(record)
            delivery.status = "delivered" if ok else "failed" if last else "retrying"
        return ok


async def settle(deliveries: Iterable[Delivery], timeout: float = 30.0) -> None:
    """Wait (off the event loop) until the given webhook deliveries have finished, retries included."""
    for delivery in deliveries:
        await run_in_threadpool(delivery.done.wait, timeout)


async def redeliver(
    sender: WebhookSender, state: SandboxState, vendor: str, delivery_id: str, wait: bool
) -> dict[str, Any] | None:
    """Send `vendor`'s delivery `delivery_id` again, byte for byte (the vendor's own retry); None when it has no
    such delivery. With `wait`, answers once the delivery has finished."""
    with state.lock:
        known = state.deliveries.get(delivery_id)
    if known is None or known.vendor != vendor:
        return None
    delivery = sender.redeliver(delivery_id)
    if wait:
        await settle([delivery])
    with state.lock:
        return delivery.as_dict()
