"""Fairness between clients: who may start a query now, who waits, who is told to come back.

Why: every query runs in one of a worker's few executor children (``QUERY_EXECUTORS``) for up to
``QUERY_TIMEOUT`` seconds, and a request waiting for a child holds one of the worker's few
gunicorn threads (``SERVER_THREADS``). Eight clients sending queries that run until the time
limit used to take every child and every thread: all other requests, cached answers included,
waited for those queries to be stopped. Like Wikidata's query service, each client now gets

* a **concurrency limit** (``QUERY_CLIENT_CONCURRENCY`` queries running or waiting at once),
* a **query-time budget** (``QUERY_CLIENT_BUDGET`` seconds of query time per rolling
  ``QUERY_BUDGET_WINDOW`` seconds; the time of queries still running counts too),

and the worker a **bounded queue**: at most ``QUERY_QUEUE_SIZE`` queries wait for a free child,
each at most ``QUERY_QUEUE_TIMEOUT`` seconds (default: ``QUERY_TIMEOUT`` plus ``QUEUE_SLACK``, by
which a running query has been stopped and its process replaced). Beyond any of these the client
gets ``429 Too Many Requests`` with ``Retry-After`` (when the limit will have passed, in whole
seconds) and one line naming the limit.

The queue is not first come, first served: a free child goes to the waiting client that used the
least query time in the window (then: the one refused least often in the window, so a client that
keeps knocking does not keep out one that just came), and a full queue lets a query in that goes
before the last one waiting, which is refused instead. And ``QUERY_RESERVED_SLOTS`` of the children are kept for clients
*in good standing* — clients that finished a query in the window and none of whose queries in the
window ran longer than ``QUERY_SHORT_SECONDS`` — so a regular user's short queries are answered
while runaways fill the other children. A client never seen before shares the other children with
everyone (there is no telling a new polite client from a new runaway one before its query ran).

The threads a worker may park on queries (running plus waiting) are capped at
``SERVER_THREADS - FREE_THREADS``: the remaining threads are always there for cached answers
(:mod:`kzkg_server.fastcache`), pages, dumps and the refusals themselves, which are all quick.

The client is the remote address (an IPv6 address counts by its /64, which one host usually has
all of), or, when the request comes from one of ``TRUSTED_PROXIES``, the address that proxy put
last in ``X-Forwarded-For`` (addresses added by further trusted proxies are skipped).

State is per server worker process: with gunicorn's N workers, each client has N times each
budget and concurrency (connections are spread over the workers by the kernel).
"""

from __future__ import annotations

import ipaddress
import math
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from .settings import SettingsError

EXTENSION = "kzkg_admission"
# Threads of each worker never given to queries (see the module docstring).
FREE_THREADS = 2
# Seconds a stopped query takes to release its process (kill, reap, start the replacement), added
# to QUERY_TIMEOUT for the default queue wait: a query that waits for one that started just before
# it must not give up a moment before that one is stopped.
QUEUE_SLACK = 2.0
# Clients remembered per worker; idle ones are forgotten first (an attacker with many addresses
# must not grow this table without bound).
MAX_CLIENTS = 10_000


class AdmissionRefused(Exception):
    """A query not admitted: 429 with ``Retry-After`` and a one-line message naming the limit."""

    def __init__(self, limit: str, message: str, retry_after: float):
        super().__init__(message)
        self.limit = limit
        self.message = message
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass(frozen=True)
class Settings:
    """The admission limits of one worker, resolved from the app config."""

    slots: int
    reserved: int
    queue_size: int
    queue_timeout: float
    client_concurrency: float
    budget: float
    window: float
    short_seconds: float
    query_timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        threads = max(1, int(config["SERVER_THREADS"]))
        query_threads = max(1, threads - FREE_THREADS)
        slots = max(1, min(int(config["QUERY_EXECUTORS"]), query_threads))
        query_timeout = float(config["QUERY_TIMEOUT"])
        queue_timeout = config.get("QUERY_QUEUE_TIMEOUT")
        return cls(
            slots=slots,
            reserved=max(0, min(int(config["QUERY_RESERVED_SLOTS"]), slots - 1)),
            queue_size=max(0, min(int(config["QUERY_QUEUE_SIZE"]), query_threads - slots)),
            queue_timeout=query_timeout + QUEUE_SLACK if queue_timeout is None else float(queue_timeout),
            client_concurrency=_limit(config["QUERY_CLIENT_CONCURRENCY"]),
            budget=_limit(config["QUERY_CLIENT_BUDGET"]),
            window=float(config["QUERY_BUDGET_WINDOW"]),
            short_seconds=float(config["QUERY_SHORT_SECONDS"]),
            query_timeout=query_timeout,
        )


def _limit(value: Any) -> float:
    """A per-client limit from the config; None: no limit."""
    return math.inf if value is None else max(0.0, float(value))


@dataclass
class Client:
    """What a worker knows of one client: its queries now, and its query time in the window."""

    running: list[float] = field(default_factory=list)  # start times (monotonic) of its running queries
    waiting: int = 0
    # (end time, seconds) of finished queries, oldest first; queries ending within the same second
    # share one entry (with the later end time), so a busy client holds at most ~window entries.
    finished: deque[tuple[float, float]] = field(default_factory=deque)
    spent: float = 0.0  # the sum of the seconds in `finished`
    last_long: float = -math.inf  # when a query of its last ran longer than short_seconds
    refusals: int = 0  # refusals since refusals_since (counted per window, to tell hammering clients apart)
    refusals_since: float = -math.inf

    def expire(self, now: float, window: float) -> None:
        while self.finished and self.finished[0][0] <= now - window:
            self.spent -= self.finished.popleft()[1]
        if not self.finished:
            self.spent = 0.0  # no rounding left over
        if self.refusals_since <= now - window:
            self.refusals, self.refusals_since = 0, now

    def add(self, now: float, seconds: float) -> None:
        self.spent += seconds
        if self.finished and math.floor(self.finished[-1][0]) == math.floor(now):
            seconds += self.finished.pop()[1]
        self.finished.append((now, seconds))

    def used(self, now: float) -> float:
        """Query time in the window: finished queries plus the elapsed time of running ones."""
        return self.spent + sum(now - started for started in self.running)

    def in_good_standing(self, now: float, settings: Settings) -> bool:
        return (
            bool(self.finished)
            and self.last_long <= now - settings.window
            and all(now - started <= settings.short_seconds for started in self.running)
        )

    def idle(self) -> bool:
        return not self.running and not self.waiting


@dataclass
class Charge:
    """The query time to charge for an admitted query; None: its wall time."""

    seconds: float | None = None


@dataclass(eq=False)
class Ticket:
    """A query waiting for a child; the lowest ``key`` goes first: clients in good standing, then
    those that used less query time, then those refused less often (a client that keeps
    knocking does not keep the place of one that just came), then the first to come."""

    client: str
    good: bool
    key: tuple[bool, float, int, int]
    displaced: bool = False


class Admission:
    """One worker's admission control (see the module docstring); thread-safe."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self.pid = os.getpid()
        self._cond = threading.Condition()
        self._clients: OrderedDict[str, Client] = OrderedDict()
        self._waiting: list[Ticket] = []
        self._running = 0
        self._running_shared = 0  # running queries of clients not in good standing when admitted
        self._starts: list[float] = []  # start times of all running queries (each ends by its time limit)
        self._sequence = 0
        self.refused: dict[str, int] = {"budget": 0, "concurrency": 0, "queue": 0}

    # --- the public part ----------------------------------------------------------------------

    @contextmanager
    def admit(self, client_id: str) -> Iterator[Charge]:
        """Hold a query slot for the duration of the block, or raise AdmissionRefused.

        The client is charged the block's wall time, or what the block sets ``seconds`` of the
        yielded :class:`Charge` to (the query's evaluation time, without waiting for a query
        process to start: a server-side delay must not cost the client its standing).
        """
        settings = self.settings
        with self._cond:
            now = self.clock()
            client = self._client(client_id, now)
            self._check_client(client, now)
            good = client.in_good_standing(now, settings)
            self._sequence += 1
            ticket = Ticket(client_id, good, (not good, client.used(now), client.refusals, self._sequence))
            if not self._may_start_now(ticket):
                self._enqueue(ticket, client, now)
            started = self.clock()
            client.running.append(started)
            self._starts.append(started)
            self._running += 1
            if not good:
                self._running_shared += 1
        charge = Charge()
        try:
            yield charge
        finally:
            with self._cond:
                now = self.clock()
                seconds = now - started if charge.seconds is None else max(0.0, charge.seconds)
                client.running.remove(started)
                self._starts.remove(started)
                self._running -= 1
                if not good:
                    self._running_shared -= 1
                client.add(now, seconds)
                if seconds > settings.short_seconds:
                    client.last_long = now
                self._cond.notify_all()

    def snapshot(self) -> dict[str, Any]:
        """Counters for tests and operators."""
        with self._cond:
            return {
                "running": self._running,
                "waiting": len(self._waiting),
                "clients": len(self._clients),
                "refused": dict(self.refused),
            }

    # --- helpers (called with self._cond held) ------------------------------------------------

    def _client(self, client_id: str, now: float) -> Client:
        client = self._clients.get(client_id)
        if client is None:
            self._forget_idle_clients()
            client = self._clients[client_id] = Client()
        else:
            self._clients.move_to_end(client_id)
        client.expire(now, self.settings.window)
        return client

    def _forget_idle_clients(self) -> None:
        """Keep the table bounded: forget the least recently seen idle clients (a client with a
        query running or waiting is never forgotten: its slot must be released into its entry)."""
        if len(self._clients) < MAX_CLIENTS:
            return
        for client_id in list(self._clients):
            if len(self._clients) < MAX_CLIENTS:
                break
            if self._clients[client_id].idle():
                del self._clients[client_id]

    def _refuse(self, client: Client, limit: str, message: str, retry_after: float) -> AdmissionRefused:
        self.refused[limit] += 1
        client.refusals += 1
        return AdmissionRefused(limit, message, retry_after)

    def _check_client(self, client: Client, now: float) -> None:
        settings = self.settings
        used = client.used(now)
        if used >= settings.budget:
            raise self._refuse(
                client,
                "budget",
                (
                    f"too many requests: query-time budget used up ({used:.1f} s of query time in the last "
                    f"{settings.window:g} s; the limit is {settings.budget:g} s per client)"
                ),
                self._budget_frees_in(client, now),
            )
        if len(client.running) + client.waiting >= settings.client_concurrency:
            soonest = min(client.running, default=now) + settings.query_timeout - now
            raise self._refuse(
                client,
                "concurrency",
                (
                    f"too many requests: at most {settings.client_concurrency:g} queries per client at a time; "
                    f"wait for your running queries to finish"
                ),
                soonest,
            )

    def _budget_frees_in(self, client: Client, now: float) -> float:
        """Seconds until the client's query time in the window falls below the budget (finished
        queries leave the window; running ones are counted as still growing until they end)."""
        excess = client.used(now) - self.settings.budget
        freed = 0.0
        for ended, seconds in client.finished:
            freed += seconds
            if freed > excess:
                return ended + self.settings.window - now
        return self.settings.window

    def _lane_free(self, ticket: Ticket) -> bool:
        settings = self.settings
        if self._running >= settings.slots:
            return False
        return ticket.good or self._running_shared < settings.slots - settings.reserved

    def _may_start_now(self, ticket: Ticket) -> bool:
        """A free child of the right lane, and no waiting query that goes before this one and
        could take it."""
        if not self._lane_free(ticket):
            return False
        return not any(other.key < ticket.key and self._lane_free(other) for other in self._waiting)

    def _enqueue(self, ticket: Ticket, client: Client, now: float) -> None:
        settings = self.settings
        # Clients in good standing may also use the queue places kept for the reserved children.
        room = settings.queue_size if ticket.good else max(0, settings.queue_size - settings.reserved)
        if len(self._waiting) >= room:
            # A full queue keeps the waiting queries that go first: the last of them makes way for
            # this one if this one goes before it, and is told so.
            last = max(self._waiting, key=lambda other: other.key, default=None)
            if room == 0 or last is None or last.key < ticket.key:
                raise self._refuse(
                    client,
                    "queue",
                    (
                        f"too many requests: all {settings.slots} query processes are busy and the queue of "
                        f"{settings.queue_size} waiting queries is full"
                    ),
                    self._next_slot_in(now),
                )
            last.displaced = True
            self._waiting.remove(last)
            self._cond.notify_all()
        self._waiting.append(ticket)
        client.waiting += 1
        deadline = now + settings.queue_timeout
        try:
            while ticket.displaced or not self._may_start_now(ticket):
                if ticket.displaced:
                    raise self._refuse(
                        client,
                        "queue",
                        (
                            "too many requests: all query processes are busy and the queue is full; your place in it "
                            "went to a client that used less query time"
                        ),
                        self._next_slot_in(self.clock()),
                    )
                remaining = deadline - self.clock()
                if remaining <= 0:
                    raise self._refuse(
                        client,
                        "queue",
                        (f"too many requests: no query process came free within {settings.queue_timeout:g} s"),
                        self._next_slot_in(self.clock()),
                    )
                self._cond.wait(remaining)
        finally:
            if ticket in self._waiting:  # a displaced ticket is already out
                self._waiting.remove(ticket)
            client.waiting -= 1
            self._cond.notify_all()  # the order of the rest may have changed

    def _next_slot_in(self, now: float) -> float:
        """Seconds until a running query must have ended (its time limit)."""
        return min(self._starts, default=now) + self.settings.query_timeout - now


# --- clients ----------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(value: Any) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES``: addresses or networks (a list, or one comma-separated string)."""
    if not value:
        return ()
    items: Sequence[Any] = value.split(",") if isinstance(value, str) else value
    networks = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise SettingsError(f"KZKG_TRUSTED_PROXIES: {text!r} is not an IP address or network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_id(environ: Mapping[str, Any], proxies: Sequence[Network]) -> str:
    """Who sent the request, for the per-client limits (see the module docstring)."""
    remote = str(environ.get("REMOTE_ADDR") or "")
    address = _address(remote)
    if address is None:
        return remote or "unknown"
    if proxies and _trusted(address, proxies):
        for hop in reversed(str(environ.get("HTTP_X_FORWARDED_FOR", "")).split(",")):
            hop_address = _address(hop)
            if hop_address is None:
                break  # a malformed entry: trust nothing left of it
            address = hop_address
            if not _trusted(hop_address, proxies):
                break
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# --- wiring -----------------------------------------------------------------------------------


@dataclass
class _Holder:
    settings: Settings
    proxies: tuple[Network, ...]
    lock: threading.Lock = field(default_factory=threading.Lock)
    admission: Admission | None = None


def admission(app: Flask) -> Admission:
    """This process's admission control (a forked process makes its own: locks do not survive a fork)."""
    holder: _Holder = app.extensions[EXTENSION]
    with holder.lock:
        if holder.admission is None or holder.admission.pid != os.getpid():
            holder.admission = Admission(holder.settings)
        return holder.admission


def install(app: Flask) -> None:
    """Admit every query the endpoint runs on its backend (cache hits never get here), and answer
    refusals as 429 with Retry-After."""
    app.extensions[EXTENSION] = _Holder(Settings.from_config(app.config), parse_proxies(app.config["TRUSTED_PROXIES"]))
    backend = app.extensions["kzkg"].backend
    run_query = backend.query

    def admitted_query(served: Any, job: Any, timeout: float) -> Any:
        holder: _Holder = app.extensions[EXTENSION]
        with admission(app).admit(client_id(request.environ, holder.proxies)) as charge:
            answer = run_query(served, job, timeout)
            charge.seconds = answer.evaluate_seconds
            return answer

    # An attribute of this backend object, not a wrapper around it: the rest of the app looks at
    # the backend's type (embedded or remote).
    backend.query = admitted_query

    @app.errorhandler(AdmissionRefused)
    def _refused(error: AdmissionRefused) -> Response:
        return Response(
            error.message + "\n",
            status=429,
            mimetype="text/plain",
            headers={
                "Retry-After": str(error.retry_after),
                "Cache-Control": "no-store",
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Expose-Headers": "Retry-After",
            },
        )
