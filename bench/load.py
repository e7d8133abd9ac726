"""A bounded HTTP load generator for SPARQL endpoints on loopback, and the workloads kzkg is judged by.

``measure_endpoint(url, …)`` is the hook for comparisons: it takes any SPARQL 1.1 Protocol endpoint
URL and runs the same workloads, so the numbers for kzkg's endpoint and for another store loaded
with the same data (Virtuoso: ``python -m bench --virtuoso http://127.0.0.1:8890/sparql``) come
from one code path in one run.

Bounded by construction: every workload has a request budget *and* a time budget, whichever ends
first; clients are threads in this process using keep-alive connections; the URL must be on
loopback (127.0.0.0/8 or ::1), so a typo can never send load anywhere else.
"""

from __future__ import annotations

import http.client
import ipaddress
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

RESULTS_JSON = "application/sparql-results+json"


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
        return {"name": self.name, "clients": self.clients, "requests": self.requests, "errors": self.errors,
                "seconds": round(self.seconds, 3), "throughput": round(self.throughput, 1),
                "p50_ms": round(self.p50 * 1000, 2), "p99_ms": round(self.p99 * 1000, 2),
                "statuses": dict(sorted(self.statuses.items()))}


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


def run_load(url: str, name: str, queries: Callable[[int], str], clients: int, max_requests: int,
             max_seconds: float, accept: str = RESULTS_JSON, timeout: float = 60.0) -> LoadResult:
    """Send up to ``max_requests`` GET queries from ``clients`` threads, for at most ``max_seconds``.

    ``queries(i)`` gives the i-th request's query text (so a workload can repeat one query, or make
    every request distinct to defeat caches). Each client keeps one connection open (as a real
    client library does) and reopens it after an error.
    """
    parts = check_loopback(url)
    path = parts.path or "/"
    counter = iter(range(max_requests))
    lock = threading.Lock()
    result = LoadResult(name, clients, 0, 0, 0.0)
    deadline = time.perf_counter() + max_seconds

    def next_index() -> int | None:
        with lock:
            if time.perf_counter() > deadline:
                return None
            return next(counter, None)

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        while (index := next_index()) is not None:
            target = f"{path}?{urllib.parse.urlencode({'query': queries(index)})}"
            started = time.perf_counter()
            try:
                connection.request("GET", target, headers={"Accept": accept})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                errors += 1
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + timeout + 5)
    result.seconds = time.perf_counter() - started
    result.requests = len(result.latencies)
    return result


# --- the workloads of the endpoint targets -------------------------------------------------

PREFIXES = ("PREFIX kz: <https://w3id.org/kzkg/ontology#>\n"
            "PREFIX prov: <http://www.w3.org/ns/prov#>\n")

REPEATED_QUERY = PREFIXES + """SELECT ?claim ?actor WHERE { ?claim a kz:Claim ; kz:claimedBy ?actor } LIMIT 50"""

# Cold aggregates: a scan and a group over the whole graph; each request carries a distinct
# comment so no cache (ours or the store's) can answer it.
AGGREGATE_QUERIES = (
    PREFIXES + """SELECT ?actor (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?claim a kz:Claim ; prov:wasAttributedTo ?actor } GROUP BY ?actor ORDER BY DESC(?claims) LIMIT 20""",
    PREFIXES + """SELECT ?kind (COUNT(?claim) AS ?n) (SUM(?q) AS ?total) WHERE {
  ?claim kz:quantityKind ?kind ; kz:quantity ?q } GROUP BY ?kind""",
    PREFIXES + """SELECT (COUNT(*) AS ?contested) WHERE { ?claim a kz:ContestedClaim }""",
)


def lookup_query(iri: str) -> str:
    """One resource's description, as a UI page or a linked-data client asks for it."""
    return f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"


def measure_endpoint(url: str, subjects: Sequence[str], clients: int = 8, budget_seconds: float = 10.0,
                     lookup_requests: int = 4000, cached_requests: int = 20000,
                     aggregate_requests: int = 30) -> dict[str, LoadResult]:
    """The same three workloads against any endpoint URL (kzkg's, or Virtuoso with the same data).

    * lookup — single-resource descriptions of distinct IRIs (cache-cold: each query differs);
    * cached — one query repeated: after the first answer, a caching endpoint answers from cache;
    * aggregate — whole-graph GROUP BY/COUNT queries made unique per request (cold every time),
      from two clients, since they are CPU-bound and more clients only queue.
    """
    if not subjects:
        raise ValueError("no subject IRIs to look up")
    # Warm-up, so connection setup and first-query costs stay out of the steady-state figures.
    run_load(url, "warm-up", lambda i: REPEATED_QUERY, 1, 3, budget_seconds)
    return {
        "lookup": run_load(url, "lookup", lambda i: lookup_query(subjects[i % len(subjects)]), clients,
                           min(lookup_requests, len(subjects)), budget_seconds),
        "cached": run_load(url, "cached", lambda i: REPEATED_QUERY, clients, cached_requests, budget_seconds),
        "aggregate": run_load(url, "aggregate",
                              lambda i: AGGREGATE_QUERIES[i % len(AGGREGATE_QUERIES)] + f"\n# request {i}\n",
                              2, aggregate_requests, budget_seconds * 3),
    }


def summarise(results: dict[str, LoadResult]) -> dict[str, dict]:
    return {name: result.as_dict() for name, result in results.items()}


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
