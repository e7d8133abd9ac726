"""Where the served graph lives, behind one interface: the embedded release store or a remote store.

The blueprints never touch a store directly. ``/sparql`` hands a checked :class:`QueryRequest` to
``Backend.query`` and gets bytes in the negotiated media type back; the linked-data pages read
through a :class:`GraphReader` (``quads`` / ``select`` / ``has_graph``). Two backends implement it:

* :class:`EmbeddedBackend` — the published release's read-only pyoxigraph store (the default).
  Endpoint queries run in the killable executor children (:mod:`kzkg_server.executor`), pages
  read the worker's own read-only handle.
* :class:`kzkg_server.remote.RemoteBackend` — any SPARQL 1.1 store loaded by ``kzkg publish``,
  reached over the SPARQL 1.1 Protocol (``STORE_URL``).

What is checked in front (SERVICE allow-list, updates, the request's form and size) is checked
in :mod:`kzkg_server.sparql` before a backend is asked, so both backends get the same refusals;
what each backend must guarantee itself is the same too: an answer is complete and at most
``max_results`` long, or an error — never a silently shortened answer.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from kzkg.namespaces import PREFIXES, is_assertion_graph
from kzkg.store import NoReleaseError, Release, StoreWarmer, current_release, open_read_only

from .executor import ExecutorPool
from .executor_protocol import Dataset, Job
from .query_errors import NeedsFederation, QueryError
from .sparql_scan import QueryShape

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = dict[str, Term]


class StoreUnavailable(QueryError):
    """The remote store could not be reached, refused us, or answered with something unusable."""

    status = 502


class StoreTimeout(QueryError):
    """The remote store gave no answer within the time limit (our own clock ran out)."""

    status = 504


class DatasetRefused(QueryError):
    """A dataset (FROM, FROM NAMED, default-graph-uri, named-graph-uri) that names graphs the
    served dataset does not have: refused in front, so no store is ever asked to fetch one."""

    status = 400


@dataclass(frozen=True)
class Statistics:
    """Triples per named graph and in the union default graph (for the service description and VoID)."""

    graphs: tuple[tuple[str, int], ...]
    union_triples: int


@dataclass(frozen=True)
class Served:
    """What this server serves right now.

    ``build_id`` keys every ETag and cached answer; None when a remote store holds no release
    record (loaded by something other than ``kzkg publish``), and then nothing is cached.
    ``release`` is the local copy of that build when this server has one (dumps, void.ttl,
    article files); a remote-backed server without one serves pages and queries but no dumps.
    ``graphs``/``statistics`` are known up front for a remote store (from its release record).
    """

    build_id: str | None
    release: Release | None
    graphs: tuple[str, ...] | None = None
    statistics: Statistics | None = None


@dataclass(frozen=True)
class QueryRequest:
    """One endpoint query: the text, what the front read in it (remote stores; the embedded store's
    children read the text themselves), the dataset, the negotiated response type (or one per
    form), the SERVICE allow-list and the limits."""

    query: str
    shape: QueryShape | None  # None: not read in front (the embedded backend's children read it)
    media_type: str  # "" when media_by_form decides
    dataset: Dataset
    base_iri: str | None
    max_results: int
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(PREFIXES))
    media_by_form: Mapping[str, str | None] | None = None
    service_allowlist: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """A serialised response: body, media type, result count and seconds spent evaluating."""

    body: bytes
    media_type: str
    count: int | None
    evaluate_seconds: float


class GraphReader(Protocol):
    """What the linked-data pages read: quad patterns, one-resource SELECTs, graph names.

    ``select`` queries the union of all graphs with kzkg's prefixes predeclared. ``warm`` is a
    hint that the listed subjects' values for the listed predicates will be asked for next, so a
    remote reader can fetch them in one round trip instead of one per subject.
    """

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        obj: Term | None,
        graph: ox.NamedNode | None = None,
        limit: int | None = None,
    ) -> Iterable[ox.Quad]: ...

    def has_graph(self, graph: ox.NamedNode) -> bool: ...

    def select(self, sparql: str) -> list[Row]: ...

    def warm(self, subjects: Iterable[ox.NamedNode], predicates: Iterable[str]) -> None: ...


class Backend(Protocol):
    """A store behind the blueprints; see the module docstring."""

    kind: str

    def start(self) -> None:
        """Prepare per-process resources (called after gunicorn's fork, never before)."""

    def served(self) -> Served:
        """What is served now (raises kzkg.store.NoReleaseError or a QueryError when nothing can be)."""

    def query(self, served: Served, request: QueryRequest, timeout: float) -> Answer:
        """Answer an endpoint query completely within the limits, or raise a QueryError."""

    def reader(self, served: Served, timeout: float) -> GraphReader:
        """A reader for one page request."""

    def statistics(self, served: Served) -> Statistics:
        """Triples per graph and in the union (cached by the caller per build id)."""


# --- the embedded store ----------------------------------------------------------------------

STATS_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
STATS_UNION = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"


class EmbeddedReader:
    """The pages' view of a read-only pyoxigraph store: every call is one in-process lookup."""

    def __init__(self, store: ox.Store):
        self.store = store
        self._default_is_copy: bool | None = None

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        obj: Term | None,
        graph: ox.NamedNode | None = None,
        limit: int | None = None,
    ) -> Iterable[ox.Quad]:
        # Lazy: callers that stop early (the first quad, the first 1000 in-links) read no further.
        found = self.store.quads_for_pattern(subject, predicate, obj, graph)
        if graph is not None:
            return found
        # Every graph but claims' assertion graphs (what a claim says is no fact about its subject),
        # and not the default graph when it is the named graphs' materialised union
        # (kzkg.store.load_store); a store with no named graph keeps its data in the default graph.
        if self._default_is_copy is None:
            self._default_is_copy = next(iter(self.store.named_graphs()), None) is not None
        keep_default = not self._default_is_copy
        return (
            q
            for q in found
            if (q.graph_name == ox.DefaultGraph() and keep_default)
            or (isinstance(q.graph_name, ox.NamedNode) and not is_assertion_graph(q.graph_name))
        )

    def has_graph(self, graph: ox.NamedNode) -> bool:
        return self.store.contains_named_graph(graph)

    def select(self, sparql: str) -> list[Row]:
        solutions = self.store.query(sparql, prefixes=PREFIXES)  # the default graph: see kzkg.store.load_store
        if not isinstance(solutions, ox.QuerySolutions):
            raise TypeError(f"select() runs SELECT queries, not {sparql[:60]!r}")  # a caller's bug, not bad input
        names = [v.value for v in solutions.variables]
        return [{name: row[name] for name in names if row[name] is not None} for row in solutions]

    def warm(self, subjects: Iterable[ox.NamedNode], predicates: Iterable[str]) -> None:
        """Nothing to prefetch: a lookup in the local store costs microseconds."""


# One warmer per process and build directory, however many apps (tests make many) serve it.
_warmers: dict[tuple[int, Path], StoreWarmer] = {}
_warmers_lock = threading.Lock()


def keep_warm(build_dir: Path, period: float, max_bytes: int | None) -> StoreWarmer | None:
    """Start (once per process) keeping the store of ``build_dir``'s current release in the page cache."""
    if period <= 0:
        return None
    key = (os.getpid(), Path(build_dir).resolve())
    with _warmers_lock:
        warmer = _warmers.get(key)
        if warmer is None:
            warmer = _warmers[key] = StoreWarmer(lambda: current_release(key[1]).store_path, period, max_bytes)
            warmer.start()
        return warmer


class EmbeddedBackend:
    """The published release under ``BUILD_DIR``: a read-only store per worker, queries in executors.

    Nothing is opened or started before the first request of a process (or gunicorn's
    post_worker_init): RocksDB handles, threads and child processes do not survive a fork.
    ``start`` also keeps the served store in the OS page cache (``STORE_KEEP_WARM`` seconds between
    reads, one process per release doing it): cold aggregates otherwise wait for the disk after the
    kernel reclaimed an idle store (see kzkg.store.StoreWarmer).
    """

    kind = "embedded"

    def __init__(self, build_dir: Path, config: Mapping[str, Any]):
        self.build_dir = Path(build_dir)
        self.config = config
        self._lock = threading.Lock()
        self._opened: tuple[int, str, ox.Store] | None = None
        self._pool: tuple[int, ExecutorPool] | None = None
        self._federation: tuple[int, ExecutorPool] | None = None

    def start(self) -> None:
        """Start the query children and wait for the first: one that cannot seal itself off the
        network is reported now (QueryFailed), which stops a gunicorn worker from booting."""
        self.pool().check_started()
        max_bytes = self.config["STORE_KEEP_WARM_MAX_BYTES"]
        keep_warm(self.build_dir, float(self.config["STORE_KEEP_WARM"]), None if max_bytes is None else int(max_bytes))

    def pool(self) -> ExecutorPool:
        """This process's executor children (a forked process makes its own); they open the current
        release's store as they start, so the first query of each does not wait for it."""
        with self._lock:
            if self._pool is None or self._pool[0] != os.getpid():
                try:
                    release = self.release()
                    hint: tuple[str, str] | None = (str(release.store_path), release.build_id)
                except NoReleaseError:
                    hint = None
                self._pool = (
                    os.getpid(),
                    ExecutorPool(
                        size=int(self.config["QUERY_EXECUTORS"]),
                        memory_limit=self.config["QUERY_MEMORY_LIMIT"],
                        store=hint,
                        sealed=self.sealed,
                    ),
                )
            return self._pool[1]

    @property
    def sealed(self) -> bool:
        """Whether query children run without network access (QUERY_SANDBOX, on unless set to false)."""
        return bool(self.config["QUERY_SANDBOX"])

    def federation_pool(self) -> ExecutorPool:
        """This process's children for allow-listed federated queries: unsealed, started on first use."""
        with self._lock:
            if self._federation is None or self._federation[0] != os.getpid():
                self._federation = (
                    os.getpid(),
                    ExecutorPool(
                        size=int(self.config["QUERY_FEDERATION_EXECUTORS"]),
                        memory_limit=self.config["QUERY_MEMORY_LIMIT"],
                        sealed=False,
                    ),
                )
            return self._federation[1]

    def release(self) -> Release:
        """The release being served now (raises kzkg.store.NoReleaseError before the first build)."""
        return current_release(self.build_dir)

    def served(self) -> Served:
        release = self.release()
        return Served(build_id=release.build_id, release=release)

    def store(self, release: Release) -> ox.Store:
        """The release's read-only store, opened once per process and release."""
        pid = os.getpid()
        with self._lock:
            opened = self._opened
            if opened is None or opened[0] != pid or opened[1] != release.build_id:
                opened = self._opened = (pid, release.build_id, open_read_only(release))
            return opened[2]

    def query(self, served: Served, request: QueryRequest, timeout: float) -> Answer:
        release = served.release
        assert release is not None and served.build_id is not None
        job = Job(
            store_path=str(release.store_path),
            build_id=release.build_id,
            query=request.query,
            media_type=request.media_type,
            dataset=request.dataset,
            base_iri=request.base_iri,
            prefixes=request.prefixes,
            max_results=request.max_results,
            media_by_form=request.media_by_form,
            service_allowlist=request.service_allowlist,
        )
        started = time.monotonic()
        try:
            outcome = self.pool().run(job, timeout=timeout)
        except NeedsFederation:
            # A sealed child read allow-listed SERVICE calls; an unsealed one reads the text again and
            # decides again on its own reading before it runs anything.
            remaining = max(0.1, timeout - (time.monotonic() - started))
            outcome = self.federation_pool().run(job, timeout=remaining)
        return Answer(outcome.body, outcome.media_type or request.media_type, outcome.count, outcome.evaluate_seconds)

    def reader(self, served: Served, timeout: float) -> EmbeddedReader:
        assert served.release is not None
        return EmbeddedReader(self.store(served.release))

    def statistics(self, served: Served) -> Statistics:
        """Counted on the worker's own read-only store, not in an executor child: these are fixed
        queries, linear in the store, and describing the service must not wait for a query process."""
        assert served.release is not None
        manifest = served.release.manifest
        if "triples" in manifest and "graphs" in manifest:  # the build counted them: no whole-store scan,
            # which at scale left the scan's query memory behind in every worker that described the service
            graphs = tuple(sorted((name, count) for name, count in manifest["graphs"].items() if name != "default"))
            return Statistics(graphs=graphs, union_triples=int(manifest["triples"]))
        store = self.store(served.release)
        per_graph, whole = store.query(STATS_GRAPHS), store.query(STATS_UNION)
        assert isinstance(per_graph, ox.QuerySolutions) and isinstance(whole, ox.QuerySolutions)  # both are SELECTs
        graphs = tuple((row["g"].value, int(row["n"].value)) for row in per_graph)
        union = int(next(iter(whole))["n"].value)
        return Statistics(graphs=graphs, union_triples=union)
