"""What the chaos scenarios share: the platform with a fault proxy in front of Eshopbox, Shopify order webhooks sent
the way Shopify sends them (signed, concurrently, each resent until acknowledged), and the figures of a scenario
read from the registry and the Eshopbox sandbox: events, lost, duplicated, time to recover.

The workflow under test is the seed `shopify_order_to_eshopbox`: a Shopify order webhook becomes an Eshopbox order
(find-or-create by customerOrderNumber, which is the Shopify order id).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psutil
import requests
from sqlalchemy import Engine, bindparam, create_engine, text

from tests.chaos.report import Outcome, record
from tests.e2e.platform import ROOT, Platform, wait_for
from tests.servers.fault_proxy import FaultProxy

WORKFLOW = "shopify_order_to_eshopbox"
DAG_ID = "wf.demo.shopify_order_to_eshopbox"
TASK_ID = "process_events"
WEBHOOK_PATH = "/webhooks/shopify/order_created/demo_shopify"
ORDER_CREATE = "/wms/api/order"  # Eshopbox's create order, under the sandbox's /eshopbox mount
# Task instance states that hold (or are about to take) a worker slot, or wait to retry in one
HOLDING = ("running", "queued", "scheduled", "up_for_retry", "up_for_reschedule", "restarting")
FINAL = ("done", "failed", "filtered")
DEMO_CONNECTIONS = json.loads((ROOT / "include" / "connections" / "demo.json").read_text())
WEBHOOK_SECRET = DEMO_CONNECTIONS["demo_shopify"]["extra"]["webhook_secret"]


def eshopbox_through(proxy: FaultProxy) -> dict[str, str]:
    """Environment for `running_platform`: the Eshopbox app's base URLs (an Airflow Variable, which an
    `AIRFLOW_VAR_*` variable overrides) pointed at the proxy, which forwards to the sandbox's /eshopbox."""
    base = f"{proxy.url}/eshopbox"
    urls = {"WMS_BASE_URL": f"{base}/wms", "AUTH_BASE_URL": f"{base}/auth", "PLATFORM_BASE_URL": f"{base}/platform"}
    return {"AIRFLOW_VAR_INTEGRATIONS_ENV__ESHOPBOX__1_0_0": json.dumps(urls)}


@dataclass(frozen=True)
class Order:
    id: int  # the Shopify order id, which becomes Eshopbox's customerOrderNumber
    webhook_id: str  # its `orders/create` delivery's X-Shopify-Webhook-Id: the event's dedupe key


@dataclass(frozen=True)
class Webhook:
    order: Order
    body: bytes
    headers: dict[str, str]


@dataclass
class Sender:
    """Delivers webhooks as Shopify does: from many threads, each resent after a non-2xx answer or a failed
    connection (backoff from 0.5 s doubling to 5 s) until acknowledged; `give_up_after` seconds after `send` began,
    nothing is sent any more (a receiver that never recovers ends the test, not the machine's afternoon)."""

    url: str
    threads: int = 32
    give_up_after: float = 120.0
    acknowledged: set[str] = field(default_factory=set)  # webhook ids answered 2xx
    answers: Counter[str] = field(default_factory=Counter)  # every answer by status, or the error of no answer
    last_acknowledged_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def send(self, webhooks: Sequence[Webhook]) -> None:
        deadline = time.monotonic() + self.give_up_after
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(lambda webhook: self._deliver(webhook, deadline), webhooks))

    def start(self, webhooks: Sequence[Webhook]) -> Future[None]:
        """`send` in a thread of its own: the caller injects a fault meanwhile."""
        pool = ThreadPoolExecutor(1)
        future = pool.submit(self.send, webhooks)
        pool.shutdown(wait=False)
        return future

    @property
    def refused(self) -> int:
        """Deliveries not acknowledged (a non-2xx answer or none), each of which was resent."""
        with self._lock:
            return sum(count for outcome, count in self.answers.items() if not outcome.startswith("2"))

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.trust_env = False
        return self._local.session

    def _deliver(self, webhook: Webhook, deadline: float) -> None:
        pause = 0.5
        while time.monotonic() < deadline:
            try:
                answer = self._session().post(self.url, data=webhook.body, headers=webhook.headers, timeout=30)
                outcome = str(answer.status_code)
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            with self._lock:
                self.answers[outcome] += 1
                if outcome.startswith("2"):
                    self.acknowledged.add(webhook.order.webhook_id)
                    self.last_acknowledged_at = time.time()
                    return
            time.sleep(pause)  # Shopify's own retry schedule, compressed: the backoff of a sender, not a sync
            pause = min(5.0, pause * 2)


@dataclass(frozen=True)
class Event:
    dedupe_key: str
    id: int
    status: str
    attempts: int
    updated_at: dt.datetime
    not_before: dt.datetime | None
    error: str | None


class Chaos:
    """The running platform, the proxy in front of its Eshopbox, and the registry."""

    def __init__(self, platform: Platform, proxy: FaultProxy) -> None:
        self.platform, self.proxy = platform, proxy
        self.registry: Engine = create_engine(platform.registry_url, pool_pre_ping=True)  # survives a restart
        with self.registry.connect() as connection:
            self.workflow_id = connection.execute(
                text("SELECT id FROM workflows WHERE client = 'demo' AND key = :key"), {"key": WORKFLOW}
            ).scalar_one()
        self.template: dict[str, Any] = {}
        self._ids = itertools.count(7_100_000_000_000)

    def close(self) -> None:
        self.registry.dispose()

    # -- orders and webhooks ---------------------------------------------------------------------------------------

    def shopify_orders(self, count: int) -> list[Order]:
        """Orders created in the Shopify sandbox as shoppers would: each emits its signed `orders/create` webhook
        to the receiver (with Shopify's retries)."""

        def create(_: int) -> Order:
            created = self.platform.sandbox("shopify", "/orders", {"sku": "ESB-MUG-WHITE", "quantity": 1})
            self.template = self.template or created["order"]
            return Order(created["order"]["id"], created["deliveries"][0])

        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(create, range(count)))

    def webhooks(self, count: int) -> list[Webhook]:
        """Signed `orders/create` deliveries of new orders shaped like the sandbox's (`template`), sent by a
        `Sender` instead of the sandbox: to another receiver, repeated, or resent on the test's terms."""
        made = []
        for _ in range(count):
            order = Order(next(self._ids), str(uuid.uuid4()))
            body = json.dumps({**copy.deepcopy(self.template), "id": order.id, "name": f"#C{order.id}"}).encode()
            signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Hmac-Sha256": base64.b64encode(signature).decode(),
                "X-Shopify-Webhook-Id": order.webhook_id,
                "X-Shopify-Shop-Domain": "demo.myshopify.com",
            }
            made.append(Webhook(order, body, headers))
        return made

    # -- what the platform did -------------------------------------------------------------------------------------

    def events(self, orders: Iterable[Order]) -> dict[str, Event]:
        """The workflow's events of these orders, by dedupe key (the webhook id)."""
        keys = [order.webhook_id for order in orders]
        query = text(
            "SELECT dedupe_key, id, status, attempts, updated_at, not_before, error FROM events "
            "WHERE workflow_id = :workflow AND dedupe_key IN :keys"
        ).bindparams(bindparam("keys", expanding=True))
        with self.registry.connect() as connection:
            rows = connection.execute(query, {"workflow": self.workflow_id, "keys": keys}).all()
        return {row.dedupe_key: Event(*row) for row in rows}

    def running_events(self) -> int:
        with self.registry.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM events WHERE workflow_id = :w AND status = 'running'"),
                {"w": self.workflow_id},
            ).scalar_one()

    def actions(self, orders: Iterable[Order]) -> Counter[str]:
        """Action log rows per event (dedupe key): one per step taken, whatever the retries."""
        query = text(
            "SELECT dedupe_key FROM action_log WHERE workflow_id = :workflow AND dedupe_key IN :keys"
        ).bindparams(bindparam("keys", expanding=True))
        with self.registry.connect() as connection:
            keys = [order.webhook_id for order in orders]
            return Counter(row[0] for row in connection.execute(query, {"workflow": self.workflow_id, "keys": keys}))

    def eshopbox_orders(self) -> tuple[dict[str, int], dict[str, int]]:
        """Orders stored per customerOrderNumber, and creates refused because the order existed."""
        counts = self.platform.sandbox("eshopbox", "/order_counts", method="GET")
        return counts["created"], counts["refused_duplicates"]

    def holding_task_instances(self) -> list[dict[str, Any]]:
        """The workflow's task instances that hold a worker slot or wait for one (see `HOLDING`)."""
        found = self.platform.api(
            "GET", f"/dags/{DAG_ID}/dagRuns/~/taskInstances", params={"state": list(HOLDING), "limit": 100}
        )
        found.raise_for_status()
        return found.json()["task_instances"]

    def task_process(self, ti_id: str) -> psutil.Process | None:
        """The process running task instance `ti_id` (the task runner retitles itself `airflow worker -- <id>`; its
        supervisor is `airflow worker -- LocalExecutor: <id>`)."""
        for process in psutil.process_iter(["cmdline"]):
            if " ".join(process.info["cmdline"] or []).split() == ["airflow", "worker", "--", ti_id]:
                return process
        return None

    def sandbox_fault(self, **spec: Any) -> dict[str, Any]:
        return self.platform.sandbox("eshopbox", "/faults", spec)

    def sandbox_faults(self) -> list[dict[str, Any]]:
        return self.platform.sandbox("eshopbox", "/faults", method="GET")["faults"]

    def clear_sandbox_faults(self) -> None:
        self.platform.sandbox("eshopbox", "/faults", method="DELETE")

    # -- measuring -------------------------------------------------------------------------------------------------

    def wait_final(self, orders: Sequence[Order], timeout: float, what: str) -> dict[str, Event]:
        """Every order's event stored and final (done, failed, filtered), within `timeout` seconds."""

        def final() -> tuple[dict[str, Event]] | None:
            events = self.events(orders)
            ended = len(events) == len(orders) and all(e.status in FINAL for e in events.values())
            return (events,) if ended else None

        return wait_for(final, timeout, what, self.platform)[0]

    def measure(
        self,
        scenario: str,
        orders: Sequence[Order],
        fault_ended_at: float | Callable[[], float],
        timeout: float,
        acknowledged: set[str] | None = None,
    ) -> tuple[Outcome, dict[str, Event]]:
        """Wait (up to `timeout`) for the scenario's events to end, then count and record: lost = acknowledged orders
        not in Eshopbox, duplicated = orders stored more than once plus creates sent again for an existing order,
        time to recover = from the end of the fault (wall clock; a callable is read once the events ended) to the
        last event done. Recorded before any assertion, so a failing scenario shows its figures."""
        acknowledged_orders = [o for o in orders if acknowledged is None or o.webhook_id in acknowledged]
        try:
            events = self.wait_final(acknowledged_orders, timeout, f"the {scenario} scenario's events to end")
        except AssertionError:  # not all ended in time: count what there is
            events = self.events(acknowledged_orders)
        created, refused = self.eshopbox_orders()
        numbers = [str(o.id) for o in acknowledged_orders]
        lost = sum(1 for n in numbers if not created.get(n))
        duplicated = sum(max(0, created.get(n, 0) - 1) + refused.get(n, 0) for n in numbers)
        done = [e.updated_at.timestamp() for e in events.values() if e.status == "done"]
        recovered = len(done) == len(acknowledged_orders) and not lost
        fault_end = fault_ended_at() if callable(fault_ended_at) else fault_ended_at
        recover = max(0.0, max(done) - fault_end) if recovered and done else None
        outcome = Outcome(len(acknowledged_orders), lost, duplicated, recover, sent=len(orders))
        record(scenario, outcome)
        return outcome, events


def holds_for(check: Callable[[], str | None], seconds: float, every: float = 0.5) -> None:
    """`check` returns None (fine) or what is wrong; it must stay fine at every look for `seconds`: an invariant
    over a window, not a wait."""
    deadline = time.monotonic() + seconds
    while True:
        problem = check()
        if problem is not None:
            raise AssertionError(problem)
        if time.monotonic() >= deadline:
            return
        time.sleep(every)


def parse_time(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def describe(events: dict[str, Event]) -> str:
    by_status = Counter(e.status for e in events.values())
    errors = Counter((e.error or "")[:160] for e in events.values() if e.status != "done")
    return f"events by status {dict(by_status)}; errors {dict(errors)}"
