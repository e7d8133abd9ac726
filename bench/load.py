"""A bounded HTTP load generator for SPARQL endpoints on loopback, and the workloads kzkg is judged by.

``measure_endpoint(url, …)`` is the hook for comparisons: it takes any SPARQL 1.1 Protocol endpoint
URL and runs the same workloads, so the numbers for kzkg's endpoint and for another store loaded
with the same data (Virtuoso: ``python -m bench --virtuoso http://127.0.0.1:8890/sparql``) come
from one code path in one run.

Bounded by construction: every workload has a request budget *and* a time budget, whichever ends
first, and a per-request time limit; the URL must be on loopback (127.0.0.0/8 or ::1, or a
``localhost`` that resolves there), so a typo can never send load anywhere else.

Cheap by construction: the server under test shares this machine's cores with the clients, so
every microsecond a client spends is one the server does not get. The clients are therefore not
threads running an HTTP library (http.client cost ~100 µs of Python per request, plus the GIL
hand-offs between 8 threads) but ``clients`` keep-alive connections multiplexed by one thread
with a selector: each request is bytes made once per distinct query, each response is read just
far enough to know its status and where it ends (Content-Length, chunked, or the connection
closing). The same client measures every endpoint, kzkg's and Virtuoso's.
"""

from __future__ import annotations

import ipaddress
import selectors
import socket
import statistics
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kzkg.namespaces import KZ, PROV

RESULTS_JSON = "application/sparql-results+json"
# Bytes read from a socket at a time; a cached answer fits in one read.
READ_SIZE = 256 * 1024


@dataclass
class LoadResult:
    """What one workload measured: completed requests, throughput and latency percentiles."""

    name: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float] = field(default_factory=list, repr=False)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Latency at quantile ``q`` (0..1) in seconds; nearest-rank, so p99 of 100 is the worst."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "clients": self.clients,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.p50 * 1000, 2),
            "p99_ms": round(self.p99 * 1000, 2),
            "statuses": dict(sorted(self.statuses.items())),
        }


def check_loopback(url: str) -> urllib.parse.SplitResult:
    """Refuse any target that is not this machine: benchmark traffic stays on loopback."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if host != "localhost":
        try:
            address = ipaddress.ip_address(host)
        except ValueError as named:
            raise ValueError(f"{url}: load is only sent to loopback addresses, not to {host!r}") from named
        if not address.is_loopback:
            raise ValueError(f"{url}: load is only sent to loopback addresses, not to {host}")
    if parts.scheme != "http":
        raise ValueError(f"{url}: plain http on loopback only")
    return parts


def loopback_address(parts: urllib.parse.SplitResult) -> tuple[int, tuple]:
    """The socket family and address to connect to; ``localhost`` must resolve to loopback too."""
    port = parts.port or 80
    for family, _, _, _, address in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM):
        if ipaddress.ip_address(address[0]).is_loopback:
            return family, address
    raise ValueError(f"{parts.geturl()}: {parts.hostname} does not resolve to a loopback address")


class IncompleteResponse(Exception):
    """The server closed the connection, or sent something that is not an HTTP/1.x response."""


class ResponseReader:
    """Finds the end of one HTTP/1.x response in the bytes read, keeping only what it must.

    ``feed`` returns the status once the whole response is in; ``keep_alive`` then says whether the
    connection may carry the next request. Bodies: none for 1xx/204/304, Content-Length (counted,
    not kept), chunked (kept until its last chunk), or up to the connection's end. Only the first
    Content-Length / Transfer-Encoding / Connection header counts.
    """

    def __init__(self) -> None:
        self.status = 0
        self.keep_alive = True
        self._head = b""  # bytes before the end of the head is seen
        self._parsed = False
        self._remaining = -1  # body bytes still to come; -1: chunked or up to the end
        self._chunks: bytearray | None = None

    def feed(self, data: bytes) -> int | None:
        if not self._parsed:
            data = self._head + data if self._head else data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                if len(data) > 65536:
                    raise IncompleteResponse("response head longer than 64 KiB")
                self._head = data
                return None
            self._head = b""
            self._parse_head(data[: end + 2])
            data = data[end + 4 :] if len(data) > end + 4 else b""
        if self._chunks is not None:
            self._chunks += data
            return self.status if self._chunks_done() else None
        if self._remaining >= 0:
            self._remaining -= len(data)
            return self.status if self._remaining <= 0 else None
        return None  # the body ends with the connection

    def end_of_stream(self) -> int:
        """The connection closed: the status if that ended a response without a length, else raise."""
        if self._parsed and self._remaining < 0 and self._chunks is None:
            self.keep_alive = False
            return self.status
        raise IncompleteResponse("connection closed before the response was complete")

    def _parse_head(self, head: bytes) -> None:
        """Status and framing from the head (status line and header lines, each ending in CRLF)."""
        line_end = head.find(b"\r\n")
        version, _, rest = head[:line_end].partition(b" ")
        if not version.startswith(b"HTTP/1.") or not rest[:3].isdigit():
            raise IncompleteResponse(f"not an HTTP/1.x status line: {head[: min(line_end, 80)]!r}")
        self.status = status = int(rest[:3])
        self.keep_alive = version == b"HTTP/1.1"
        lower = head.lower()
        chunked = b"chunked" in (_header(head, lower, b"transfer-encoding") or b"").lower()
        connection = (_header(head, lower, b"connection") or b"").lower()
        if b"close" in connection:
            self.keep_alive = False
        elif b"keep-alive" in connection:
            self.keep_alive = True
        length = _header(head, lower, b"content-length")
        self._parsed = True
        if status in (204, 304) or 100 <= status < 200:
            self._remaining = 0
        elif chunked:
            self._chunks = bytearray()
        elif length is not None:
            self._remaining = int(length)
        else:
            self.keep_alive = False  # the body ends with the connection

    def _chunks_done(self) -> bool:
        """Whether the last chunk (and the trailers' empty line) is in; consumed chunks are dropped."""
        buffer = self._chunks
        assert buffer is not None
        while True:
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                return False
            size = int(bytes(buffer[:line_end]).split(b";", 1)[0], 16)
            if size == 0:  # the last chunk; then trailers, up to an empty line
                return buffer.find(b"\r\n\r\n", line_end) >= 0
            next_at = line_end + 2 + size + 2
            if len(buffer) < next_at:
                return False
            del buffer[:next_at]


def _header(head: bytes, lower: bytes, name: bytes) -> bytes | None:
    """The value of the first header ``name`` (lower case) in ``head``; ``lower`` is ``head.lower()``."""
    at = lower.find(b"\r\n" + name + b":")
    if at < 0:
        return None
    start = at + len(name) + 3
    return head[start : head.find(b"\r\n", start)].strip()


class Connection:
    """One client: a keep-alive connection with at most one request in flight."""

    def __init__(self, family: int, address: tuple, timeout: float):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.reader = ResponseReader()
        self.pending = b""
        self.started = 0.0
        self.busy = False

    def send(self, request: bytes, now: float) -> None:
        self.reader = ResponseReader()
        self.started = now
        self.busy = True
        try:
            sent = self.sock.send(request)
        except BlockingIOError:
            sent = 0  # the rest goes out when the socket is writable
        self.pending = request[sent:]

    def close(self) -> None:
        self.sock.close()


def _numbered(query: str) -> Callable[[int], str]:
    """Each request's text differs by a comment, so no cache can answer it from the previous one."""
    return lambda i: query + f"\n# request {i}\n"


def run_load(
    url: str,
    name: str,
    queries: Callable[[int], str],
    clients: int,
    max_requests: int,
    max_seconds: float,
    accept: str = RESULTS_JSON,
    timeout: float = 60.0,
) -> LoadResult:
    """Send up to ``max_requests`` GET queries over ``clients`` connections, for at most ``max_seconds``.

    ``queries(i)`` gives the i-th request's query text (so a workload can repeat one query, or make
    every request distinct to defeat caches). Each connection is kept open (as a real client
    library does), carries one request at a time, and is reopened after an error or when the
    server closes it. A request unanswered after ``timeout`` seconds is an error. Requests still in
    flight when the time budget ends are completed (or time out) and counted.
    """
    parts = check_loopback(url)
    family, address = loopback_address(parts)
    host = parts.hostname or ""
    authority = f"[{host}]" if ":" in host else host
    if parts.port:
        authority += f":{parts.port}"
    head = f" HTTP/1.1\r\nHost: {authority}\r\nAccept-Encoding: identity\r\nAccept: {accept}\r\n\r\n".encode("ascii")
    path = parts.path or "/"
    made: dict[str, bytes] = {}

    def request_for(index: int) -> bytes:
        text = queries(index)
        request = made.get(text)
        if request is None:
            if len(made) > 64:
                made.clear()  # distinct queries: no reuse to be had, keep memory flat
            target = f"{path}?{urllib.parse.urlencode({'query': text})}"
            request = made[text] = b"GET " + target.encode("ascii") + head
        return request

    result = LoadResult(name, clients, 0, 0, 0.0)
    latencies = result.latencies
    statuses = result.statuses
    selector = selectors.DefaultSelector()
    issued = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    def start_next(connection: Connection | None) -> None:
        """Give the connection (a new one if None) the next request, if any is left; else close it.

        A connection stays registered with the selector from its opening to its closing."""
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline:
            request = request_for(issued)
            issued += 1
            try:
                if connection is None:
                    connection = Connection(family, address, timeout)
                    selector.register(connection.sock, selectors.EVENT_READ, connection)
                connection.send(request, time.perf_counter())
            except OSError:
                result.errors += 1
                if connection is not None:
                    close(connection)
                connection = None
                continue
            if connection.pending:
                selector.modify(connection.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, connection)
            return
        if connection is not None:
            close(connection)

    def close(connection: Connection) -> None:
        if connection.sock.fileno() >= 0:
            selector.unregister(connection.sock)
        connection.close()

    def finish(connection: Connection, error: bool, reusable: bool) -> None:
        connection.busy = False
        if error:
            result.errors += 1
        if reusable:
            start_next(connection)
        else:
            close(connection)
            start_next(None)

    for _ in range(clients):
        start_next(None)
    next_check = time.perf_counter() + min(timeout, 0.25)
    while selector.get_map():
        for key, mask in selector.select(0.25):
            connection: Connection = key.data
            try:
                if mask & selectors.EVENT_WRITE and connection.pending:
                    sent = connection.sock.send(connection.pending)
                    connection.pending = connection.pending[sent:]
                    if not connection.pending:
                        selector.modify(connection.sock, selectors.EVENT_READ, connection)
                if not mask & selectors.EVENT_READ:
                    continue
                data = connection.sock.recv(READ_SIZE)
                if not connection.busy:
                    raise IncompleteResponse("bytes or a close with no request in flight")
                status = connection.reader.feed(data) if data else connection.reader.end_of_stream()
            except BlockingIOError:
                continue
            except (OSError, ValueError, IncompleteResponse):
                finish(connection, error=True, reusable=False)
                continue
            if status is None:
                continue
            latencies.append(time.perf_counter() - connection.started)
            statuses[status] = statuses.get(status, 0) + 1
            finish(connection, error=status != 200, reusable=connection.reader.keep_alive)
        now = time.perf_counter()
        if now >= next_check:  # requests unanswered for too long are errors
            next_check = now + min(timeout, 0.25)
            for key in list(selector.get_map().values()):
                if key.data.busy and now - key.data.started > timeout:
                    finish(key.data, error=True, reusable=False)
    selector.close()
    result.seconds = time.perf_counter() - started
    result.requests = len(latencies)
    return result


# --- the workloads of the endpoint targets -------------------------------------------------

PREFIXES = f"PREFIX kz: <{KZ}>\nPREFIX prov: <{PROV}>\n"

REPEATED_QUERY = PREFIXES + """SELECT ?claim ?actor WHERE { ?claim a kz:Claim ; kz:claimedBy ?actor } LIMIT 50"""

# Cold aggregates: a scan and a group over the whole graph; each request carries a distinct
# comment so no cache (ours or the store's) can answer it.
# Each is its own workload: mixed together, the p50 was simply the middle query's latency.
AGGREGATE_QUERIES = {
    "aggregate: claims per actor": PREFIXES
    + """SELECT ?actor (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?claim a kz:Claim ; prov:wasAttributedTo ?actor } GROUP BY ?actor ORDER BY DESC(?claims) LIMIT 20""",
    "aggregate: quantities per kind": PREFIXES
    + """SELECT ?kind (COUNT(?claim) AS ?n) (SUM(?q) AS ?total) WHERE {
  ?claim kz:quantityKind ?kind ; kz:quantity ?q } GROUP BY ?kind""",
    "aggregate: contested claims": PREFIXES
    + """SELECT (COUNT(*) AS ?contested) WHERE { ?claim a kz:ContestedClaim }""",
}


def lookup_query(iri: str) -> str:
    """One resource's description, as a UI page or a linked-data client asks for it."""
    return f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"


def measure_endpoint(
    url: str,
    subjects: Sequence[str],
    clients: int = 8,
    budget_seconds: float = 10.0,
    lookup_requests: int = 4000,
    cached_requests: int = 20000,
    aggregate_requests: int = 60,
) -> dict[str, LoadResult]:
    """The same three workloads against any endpoint URL (kzkg's, or Virtuoso with the same data).

    * lookup — single-resource descriptions of distinct IRIs (cache-cold: each query differs);
    * cached — one query repeated: after the first answer, a caching endpoint answers from cache;
    * aggregate: … — one workload per whole-graph GROUP BY/COUNT query, made unique per request
      (cold every time), from two clients, since they are CPU-bound and more clients only queue.
    """
    if not subjects:
        raise ValueError("no subject IRIs to look up")
    # Warm-up, so connection setup and first-query costs stay out of the steady-state figures.
    run_load(url, "warm-up", lambda i: REPEATED_QUERY, 1, 3, budget_seconds)
    return {
        "lookup": run_load(
            url,
            "lookup",
            lambda i: lookup_query(subjects[i % len(subjects)]),
            clients,
            min(lookup_requests, len(subjects)),
            budget_seconds,
        ),
        "cached": run_load(url, "cached", lambda i: REPEATED_QUERY, clients, cached_requests, budget_seconds),
        **{
            name: run_load(url, name, _numbered(query), 2, aggregate_requests, budget_seconds)
            for name, query in AGGREGATE_QUERIES.items()
        },
    }


def summarise(results: dict[str, LoadResult]) -> dict[str, dict]:
    return {name: result.as_dict() for name, result in results.items()}


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
