"""A remote SPARQL 1.1 store behind kzkg's front: ``kzkg serve --store URL``.

``kzkg publish`` loads a release into the store (every named graph, asserted and inferred) and
records which build it is in ``kzgraph:release``. This backend answers the endpoint and the pages
from that store over the SPARQL 1.1 Protocol (on requests), and keeps every promise the embedded
store keeps:

The dataset
    The store's own default graph differs between products (Virtuoso's is every graph including
    its system graphs, Fuseki's is empty unless ``tdb2:unionDefaultGraph``, GraphDB's is the
    union). So by default (``STORE_DATASET = "explicit"``) each query names the dataset itself,
    on any store that implements the protocol's dataset parameters: as ``default-graph-uri`` the
    one graph that ``kzkg publish`` wrote the default graph into (``kzgraph:default``, the release
    record's ``sd:defaultGraph``; for older records and stores without one, every graph of the
    release but claims' assertion graphs), and, for a query with a GRAPH pattern, the graphs of
    the release record as ``named-graph-uri`` — ``GRAPH ?g`` over exactly kzkg's graphs. Virtuoso
    echoes each dataset parameter as a response header, so there a dataset of many graphs goes
    into the query text as FROM / FROM NAMED instead. ``"native"`` sends none (for a store whose
    default graph is already the union of kzkg's graphs, e.g. QLever or a dedicated Fuseki dataset).
    FROM / FROM NAMED and the protocol parameters may only name graphs of the release: a store
    that dereferences unknown graph IRIs (Fuseki's general datasets do) is never asked to.

Completeness
    Virtuoso caps answers at ``ResultSetMaxRows`` (10000 by default) without an error: SELECT
    answers carry only an ``X-SPARQL-MaxRows`` header, CONSTRUCT answers nothing at all. A SELECT
    is therefore sent with its top-level LIMIT lowered to one row past what we may return, and
    an answer that reaches ``STORE_MAX_ROWS`` rows or triples, or carries that header, is refused
    as too large — it may be cut short. Virtuoso's per-request ``timeout`` returns *partial*
    results, flagged by ``X-SQL-State: S1TAT`` or (plain SELECTs) not at all; an answer flagged
    so or one that took the whole limit becomes a 503, never an answer.

Time
    The store is asked to stop at ``QUERY_TIMEOUT`` (``STORE_TIMEOUT_PARAM``; detected for
    Virtuoso) and our own client-side timeout gives up a little later (504), so a runaway
    query neither hangs a worker nor keeps the store busy.

Identity
    ETags and cached answers are keyed by the build id of the release record, re-read at most
    every ``STORE_CHECK_SECONDS``; a store without a record is served uncached.

Modules: this one is the backend (which dataset a query is sent with, what an answer may be, the
time limits, the release record, the pages' reader); :mod:`kzkg_server.store_client` the HTTP
client and the readers of the store's answers; :mod:`kzkg_server.store_rewrite` the query text the
store is sent (the prologue, the lowered LIMIT, FROM / FROM NAMED, and UNIONs as subqueries, which
Virtuoso 7 otherwise answers wrong).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kzkg.namespaces import DATASET, DCTERMS, DEFAULT_GRAPH, PREFIXES, RELEASE_GRAPH, SD, VOID, in_default_graph
from kzkg.store import NoReleaseError, Release, current_release

from .backend import (
    Answer,
    DatasetRefused,
    QueryRequest,
    Row,
    Served,
    Statistics,
    StoreUnavailable,
    Term,
)
from .executor_protocol import Dataset
from .query_errors import QuerySyntaxError, QueryTimeout, ResultTooLarge
from .result_writer import serialise
from .sparql_scan import QueryShape, scan
from .store_client import (
    GRAPH_ACCEPT,
    RESULTS_ACCEPT,
    RemoteStore,
    Reply,
    log,
    read_graph,
    read_results,
    term_text,
)
from .store_rewrite import cap_limit, dataset_in_text, isolate_unions, prologue, top_level, uses_named_graphs

# Virtuoso echoes every dataset parameter as a response header (X-SPARQL-default-graph /
# X-SPARQL-named-graph), and http.client, under requests, refuses an answer with more than 100
# headers. A dataset of more graphs than this goes to Virtuoso as FROM / FROM NAMED in the query
# text instead, which is echoed nowhere.
VIRTUOSO_DATASET_PARAMS = 40
# Named in default-graph-uri / named-graph-uri when the request's dataset has no such graphs:
# an absent parameter would mean "the store's own choice", not "none".
NO_GRAPH = "urn:x-kzkg:no-graph"
# Seconds our own clock allows beyond the limit the store was asked to keep, so that the store's
# clearer answer (Virtuoso's S1TAT, Fuseki's 503) normally arrives first.
CLIENT_GRACE = 2.0
LABEL_BATCH = 200


# --- the backend ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    build_id: str | None
    graphs: tuple[str, ...]
    statistics: Statistics | None
    default_graph: str | None = None  # the graph holding the default graph (None: records before it)


RECORD_QUERY = f"""SELECT ?id ?union ?default ?graph ?n WHERE {{ GRAPH <{RELEASE_GRAPH}> {{
  <{DATASET}> <{DCTERMS.identifier}> ?id .
  OPTIONAL {{ <{DATASET}> <{VOID.triples}> ?union }}
  OPTIONAL {{ <{DATASET}> <{SD.defaultGraph}> ?default }}
  OPTIONAL {{ <{DATASET}> <{DCTERMS.hasPart}> ?graph OPTIONAL {{ ?graph <{VOID.triples}> ?n }} }}
}} }}"""


class RemoteBackend:
    """Answers from a remote SPARQL store; see the module docstring."""

    kind = "remote"

    def __init__(self, config: Mapping[str, Any], build_dir: Path | None = None):
        self.config = config
        self.build_dir = Path(build_dir) if build_dir else None
        password = config.get("STORE_PASSWORD")
        user = config.get("STORE_USER")
        self.store = RemoteStore(
            str(config["STORE_URL"]),
            None if user is None else str(user),
            None if password is None else str(password),
            str(config["STORE_AUTH"]),
            int(config["STORE_MAX_BYTES"]),
        )
        self.max_rows = int(config["STORE_MAX_ROWS"] or 0)  # 0: the store has no silent cap
        self.dataset_mode = str(config["STORE_DATASET"])
        if self.dataset_mode not in ("explicit", "native"):
            raise ValueError(f"STORE_DATASET must be 'explicit' or 'native', not {self.dataset_mode!r}")
        self.timeout_param = config["STORE_TIMEOUT_PARAM"]
        self.check_seconds = float(config["STORE_CHECK_SECONDS"])
        self.resource_base = str(config["RESOURCE_BASE"])
        self._lock = threading.Lock()
        self._served: tuple[float, Served] | None = None
        # build id -> the graph that holds its default graph (None: a record from before there was one)
        self._default_graphs: dict[str | None, str | None] = {}

    def start(self) -> None:
        """Nothing to start: no executor children, the store does the work."""

    # -- what is served

    def served(self) -> Served:
        with self._lock:
            cached = self._served
        if cached is not None and time.monotonic() - cached[0] < self.check_seconds:
            return cached[1]
        record = self._read_record(float(self.config["QUERY_TIMEOUT"]))
        if record.build_id is not None and record.default_graph is None and record.build_id not in self._default_graphs:
            log.warning(
                "the SPARQL store's release record (build %s) names no default graph: it was written by an "
                "older kzkg publish; the default graph is sent as the list of its %d graphs, which is slower. "
                "Run kzkg publish again.",
                record.build_id,
                len([g for g in record.graphs if in_default_graph(g)]),
            )
        self._default_graphs[record.build_id] = record.default_graph
        served = Served(
            build_id=record.build_id,
            release=self._local_release(record.build_id),
            graphs=record.graphs,
            statistics=record.statistics,
        )
        with self._lock:
            self._served = (time.monotonic(), served)
        return served

    def _read_record(self, timeout: float) -> _Record:
        """The release record ``kzkg publish`` wrote; without one, kzkg's graphs found by name."""
        rows = self._rows(RECORD_QUERY, (), timeout)
        ids = sorted({term_text(row["id"]) for row in rows if "id" in row})
        if ids:
            counts = {
                term_text(row["graph"]): int(term_text(row["n"])) for row in rows if "graph" in row and "n" in row
            }
            graphs = tuple(sorted({term_text(row["graph"]) for row in rows if "graph" in row}))
            unions = [int(term_text(row["union"])) for row in rows if "union" in row]
            defaults = sorted({term_text(row["default"]) for row in rows if "default" in row})
            stats = (
                Statistics(tuple((g, counts[g]) for g in graphs), unions[0])
                if unions and set(counts) == set(graphs)
                else None
            )
            return _Record(ids[0], graphs, stats, defaults[0] if defaults else None)
        prefix, assertions = self.resource_base + "graph/", self.resource_base + "assertion/"
        # claims' assertion graphs are kzkg's graphs too (named graphs only); kzgraph:default is left
        # out: without a record (a publish under way) it may be half written
        found = self._rows(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
            f'FILTER((STRSTARTS(STR(?g), "{prefix}") || STRSTARTS(STR(?g), "{assertions}")) '
            f"&& ?g != <{RELEASE_GRAPH}> && ?g != <{DEFAULT_GRAPH}>) }}",
            (),
            timeout,
        )
        return _Record(None, tuple(sorted(term_text(row["g"]) for row in found if "g" in row)), None)

    def _local_release(self, build_id: str | None) -> Release | None:
        """The local copy of the served build, if this server has one (for dumps and article files)."""
        if self.build_dir is None or build_id is None:
            return None
        try:
            release = current_release(self.build_dir)
        except NoReleaseError:
            return None
        return release if release.build_id == build_id else None

    def statistics(self, served: Served) -> Statistics:
        if served.statistics is not None:
            return served.statistics
        timeout = float(self.config["QUERY_TIMEOUT"])
        params = [("named-graph-uri", g) for g in served.graphs or ()] if self.dataset_mode == "explicit" else []
        rows = self._rows("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", params, timeout)
        graphs = tuple(sorted((term_text(row["g"]), int(term_text(row["n"]))) for row in rows if "g" in row))
        return Statistics(graphs, sum(n for _, n in graphs))

    # -- the endpoint

    def query(self, served: Served, request: QueryRequest, timeout: float) -> Answer:
        shape = request.shape
        if shape is None or shape.form not in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            raise QuerySyntaxError(
                "not a SPARQL 1.1 query: after the prologue (BASE, PREFIX) a query starts with "
                "SELECT, CONSTRUCT, DESCRIBE or ASK; store-specific extensions are not accepted"
            )
        params = self._dataset_params(served, request.dataset, shape, request.query)
        if shape.form == "SELECT" and self.is_virtuoso():
            top = top_level(request.query)
            if top.sliced and top.values_at is not None:
                raise QuerySyntaxError(
                    "the SPARQL store behind this endpoint (Virtuoso) applies LIMIT / OFFSET before "
                    "a trailing VALUES clause and would answer this query incompletely; move the "
                    "VALUES block into the WHERE clause"
                )
        text = request.query
        effective = self._effective_limit(request.max_results)
        if shape.form == "SELECT":
            text = cap_limit(text, effective + 1)
        if self.is_virtuoso():
            text = isolate_unions(text)
        text = prologue(shape, request.base_iri, request.prefixes) + text
        started = time.perf_counter()
        graph_form = shape.form in ("CONSTRUCT", "DESCRIBE")
        accept = GRAPH_ACCEPT if graph_form else RESULTS_ACCEPT
        reply = self._call(text, accept, params, timeout, in_text=not shape.has_dataset_clause)
        result = read_graph(reply) if graph_form else read_results(reply, shape.form)
        try:
            body, count = serialise(result, request.media_type, effective, request.prefixes)
        except SyntaxError as malformed:  # a graph answer is parsed while it is serialised
            raise StoreUnavailable(f"the SPARQL store sent a graph that does not parse: {malformed}") from None
        self._check_cap(reply, count, effective, "triples" if graph_form else "rows")
        return Answer(body, request.media_type, count, time.perf_counter() - started)

    def _effective_limit(self, max_results: int) -> int:
        """What we may return: MAX_RESULTS, and below the store's silent cap, where a full answer
        cannot be told from a cut one."""
        return min(max_results, self.max_rows - 1) if self.max_rows else max_results

    def _check_cap(self, reply: Reply, count: int | None, effective: int, what: str) -> None:
        capped = reply.headers.get("x-sparql-maxrows")
        if capped or (self.max_rows and count is not None and count >= self.max_rows):
            cap = capped or self.max_rows
            raise ResultTooLarge(
                f"result too large: the query produces {count} {what} or more, and the SPARQL store "
                f"behind this endpoint returns at most {cap} (a longer answer would be cut short "
                f"without notice). Add a LIMIT (at most {effective}) or narrow the pattern; use "
                f"ORDER BY with LIMIT/OFFSET to page."
            )

    def _dataset_params(self, served: Served, dataset: Dataset, shape: QueryShape, query: str) -> list[tuple[str, str]]:
        """The dataset as protocol parameters, after checking that it names only the release's graphs."""
        known = set(served.graphs or ())
        if dataset.default_graphs is not None or dataset.named_graphs is not None:
            self._check_known([*(dataset.default_graphs or ()), *(dataset.named_graphs or ())], known, "the request")
            return [("default-graph-uri", g) for g in dataset.default_graphs or (NO_GRAPH,)] + [
                ("named-graph-uri", g) for g in dataset.named_graphs or (NO_GRAPH,)
            ]
        if shape.has_dataset_clause:
            self._check_known(list(shape.dataset_graphs), known, "FROM / FROM NAMED")
            return []
        return self.union_params(served, named=uses_named_graphs(query))

    @staticmethod
    def _check_known(graphs: Iterable[str | None], known: set[str], where: str) -> None:
        for graph in graphs:
            if graph is None:
                raise DatasetRefused(
                    f"{where} must name graphs by absolute IRIs (a relative IRI or an undeclared prefix was given)"
                )
            if graph not in known:
                listing = ", ".join(f"<{g}>" for g in sorted(known)) or "none"
                raise DatasetRefused(
                    f"{where} names <{graph}>, which is not a graph of this dataset; this endpoint "
                    f"only selects graphs it serves and never loads one. Its graphs: {listing}"
                )

    def _call(
        self, text: str, accept: str, params: Sequence[tuple[str, str]], timeout: float, in_text: bool = True
    ) -> Reply:
        """One round trip, with the store asked to stop at ``timeout`` and our own clock a little later.

        A dataset of more graphs than Virtuoso can echo as headers is written into the query as FROM /
        FROM NAMED (``in_text``: the query has no dataset clause of its own to collide with)."""
        params = list(params)
        if len(params) > VIRTUOSO_DATASET_PARAMS and self.is_virtuoso():
            written = dataset_in_text(text, params) if in_text else None
            if written is None:
                raise DatasetRefused(
                    f"the request names {len(params)} graphs in default-graph-uri / named-graph-uri; the SPARQL "
                    f"store behind this endpoint (Virtuoso) takes at most {VIRTUOSO_DATASET_PARAMS} there; name "
                    f"them with FROM / FROM NAMED in a query without a dataset clause"
                )
            text, params = written, []
        store_limit = self._timeout_param(timeout)
        if store_limit is not None:
            params.append(store_limit)
        started = time.monotonic()
        reply = self.store.call(text, accept, params, timeout + (CLIENT_GRACE if store_limit else 0.0))
        # Virtuoso's "anytime" limit also ends plain SELECTs with whatever rows it had, as HTTP 200
        # without S1TAT (ANNOTATIONS_ON over one graph: 170 of 522 rows at a 1 s limit): an answer that
        # took the whole limit may be cut, so it is refused like one the store said it stopped.
        if reply.headers.get("x-sql-state", "").upper() == "S1TAT" or (
            store_limit is not None and time.monotonic() - started >= timeout
        ):
            raise QueryTimeout(
                f"query exceeded the {timeout:g} s time limit and was stopped by the SPARQL store, "
                f"which would have returned incomplete results; narrow the pattern or add a LIMIT"
            )
        return reply

    def is_virtuoso(self) -> bool:
        """Whether the store said it is Virtuoso (its Server header, seen on the first answer; a proxy in
        between may add its own name to it)."""
        return "virtuoso/" in (self.store.server_header or "").lower()

    def _timeout_param(self, timeout: float) -> tuple[str, str] | None:
        """The store's own per-query limit as a request parameter: STORE_TIMEOUT_PARAM is a template
        such as ``timeout={ms}`` (Virtuoso) or ``timeout={s}`` (Fuseki, GraphDB); "auto" uses
        Virtuoso's when the store says it is Virtuoso; None or "" sends nothing."""
        template = self.timeout_param
        if template == "auto":
            template = "timeout={ms}" if self.is_virtuoso() else None
        if not template:
            return None
        name, _, value = str(template).partition("=")
        return name, value.format(ms=int(timeout * 1000), s=max(1, round(timeout)))

    def _rows(
        self, text: str, params: Sequence[tuple[str, str]], timeout: float, labels: dict[str, str] | None = None
    ) -> list[Row]:
        """A SELECT for our own use (pages, the release record), as rows of pyoxigraph terms; an answer
        the store may have cut short is an error here too."""
        reply = self._call(text, RESULTS_ACCEPT, params, timeout)
        solutions = read_results(reply, "SELECT", labels)
        if not isinstance(solutions, ox.QuerySolutions):
            raise StoreUnavailable("the SPARQL store answered a SELECT query with a boolean")
        names = [v.value for v in solutions.variables]
        rows = [{name: row[name] for name in names if row[name] is not None} for row in solutions]
        if reply.headers.get("x-sparql-maxrows") or (self.max_rows and len(rows) >= self.max_rows):
            raise ResultTooLarge(
                f"the SPARQL store's answer reached its limit of {self.max_rows} rows and may be "
                f"incomplete; this page cannot be shown from it"
            )
        return rows

    # -- the pages

    def reader(self, served: Served, timeout: float) -> RemoteReader:
        return RemoteReader(self, served, timeout)

    def union_params(self, served: Served, named: bool = True) -> list[tuple[str, str]]:
        """The dataset of a request that names none (nothing, in "native" mode: the store's default
        is it): as the default graph the one graph ``kzkg publish`` wrote it into, and kzkg's graphs
        as the named graphs when the query can see them (``named``: it has a GRAPH pattern).

        A release record without a default graph (written before ``kzkg publish`` wrote one) or no
        record at all falls back to naming every graph but claims' assertion graphs as the default
        graph: the same answers, only slower, rather than an endpoint that is down until the next
        publish."""
        if self.dataset_mode == "native":
            return []
        graphs = sorted(served.graphs or ()) or [NO_GRAPH]
        default = self._default_graphs.get(served.build_id) if served.build_id is not None else None
        # claims' assertion graphs are named graphs only, never part of the default graph
        if default and self.is_virtuoso():
            # Virtuoso 7 plans an OPTIONAL with a FILTER against exactly one default graph ~300x slower
            # (the article pages' annotations: 6-12 s instead of 20-40 ms); a second, empty one avoids it
            curated = [default, NO_GRAPH]
        else:
            curated = [default] if default else [g for g in graphs if in_default_graph(g)] or [NO_GRAPH]
        return [("default-graph-uri", g) for g in curated] + ([("named-graph-uri", g) for g in graphs] if named else [])


def _sparql_term(term: Term, labels: Mapping[str, str]) -> str | None:
    """A term as SPARQL syntax, or None for a blank node the store gave no way to name again."""
    if isinstance(term, ox.BlankNode):
        original = labels.get(term.value, "")
        return f"<{original}>" if original.startswith("nodeID://") else None  # Virtuoso's bnode IRIs
    return str(term)


class RemoteReader:
    """The pages' view of a remote store, for one request: every answer is kept for the request,
    and a subject's statements are fetched whole once (its labels, types and facts come from one
    round trip); ``warm`` fetches labels for many subjects in one query.

    Blank nodes from Virtuoso (``nodeID://…``) can be followed; other stores' blank nodes cannot be
    named in a later query, so their statements are not shown (kzkg's data has blank nodes only in
    the ontology's OWL axioms, which no resource page is about).
    """

    def __init__(self, backend: RemoteBackend, served: Served, timeout: float):
        self.backend = backend
        self.served = served
        self.timeout = timeout
        # Statement lookups name their graph (GRAPH ?g), so they need only the named graphs; Virtuoso
        # 7 also plans `?s ?p <o>` with a LIMIT badly (0.8 s instead of 20 ms) when default graphs are given.
        self.graph_params = [(name, value) for name, value in backend.union_params(served) if name == "named-graph-uri"]
        self.labels: dict[str, str] = {}  # blank-node label as parsed -> as the store wrote it
        self._subjects: dict[Term, list[ox.Quad]] = {}
        self._pairs: dict[tuple[Term, str], list[ox.Quad]] = {}
        self._patterns: dict[tuple[Any, ...], list[ox.Quad]] = {}

    def select(self, sparql: str) -> list[Row]:
        params = self.backend.union_params(self.served, named=uses_named_graphs(sparql))
        if self.backend.is_virtuoso():
            sparql = isolate_unions(sparql)
        text = prologue(scan(sparql, PREFIXES), None, PREFIXES) + sparql
        return self.backend._rows(text, params, self.timeout, self.labels)

    def has_graph(self, graph: ox.NamedNode) -> bool:
        return graph.value in (self.served.graphs or ())

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        obj: Term | None,
        graph: ox.NamedNode | None = None,
        limit: int | None = None,
    ) -> Iterable[ox.Quad]:
        # graph None: every graph but claims' assertion graphs, as the embedded reader
        if subject is not None and obj is None:
            if subject not in self._subjects and predicate is not None and (subject, predicate.value) in self._pairs:
                found = self._pairs[(subject, predicate.value)]
            else:
                found = self._subject(subject)
            return [
                q
                for q in found
                if (predicate is None or q.predicate == predicate)
                and (q.graph_name == graph if graph is not None else in_default_graph(q.graph_name))
            ][:limit]
        key = (subject, predicate, obj, graph, limit)
        if key not in self._patterns:
            self._patterns[key] = self._fetch(subject, predicate, obj, graph, limit)
        if graph is None:
            return [q for q in self._patterns[key] if in_default_graph(q.graph_name)]
        return self._patterns[key]

    def _subject(self, subject: ox.NamedNode | ox.BlankNode) -> list[ox.Quad]:
        if subject not in self._subjects:
            self._subjects[subject] = self._fetch(subject, None, None, None, None)
        return self._subjects[subject]

    def _fetch(
        self,
        subject: Term | None,
        predicate: ox.NamedNode | None,
        obj: Term | None,
        graph: ox.NamedNode | None,
        limit: int | None,
    ) -> list[ox.Quad]:
        positions = {"s": subject, "p": predicate, "o": obj}
        pattern = []
        for name, term in positions.items():
            if term is None:
                pattern.append(f"?{name}")
            else:
                written = _sparql_term(term, self.labels)
                if written is None:
                    return []
                pattern.append(written)
        where = f"GRAPH {'?g' if graph is None else str(graph)} {{ {' '.join(pattern)} }}"
        text = f"SELECT * WHERE {{ {where} }}" + (f" LIMIT {int(limit)}" if limit is not None else "")
        quads = []
        for row in self.backend._rows(text, self.graph_params, self.timeout, self.labels):
            terms = {name: row.get(name, term) for name, term in positions.items()}
            graph_name = row.get("g", graph)
            quads.append(ox.Quad(terms["s"], terms["p"], terms["o"], graph_name))  # type: ignore[arg-type]
        return quads

    def warm(self, subjects: Iterable[ox.NamedNode], predicates: Iterable[str]) -> None:
        wanted = [ox.NamedNode(p) for p in predicates]
        todo = sorted(
            {
                s
                for s in subjects
                if isinstance(s, ox.NamedNode)
                and s not in self._subjects
                and any((s, p.value) not in self._pairs for p in wanted)
            },
            key=lambda s: s.value,
        )
        for start in range(0, len(todo), LABEL_BATCH):
            batch = todo[start : start + LABEL_BATCH]
            text = (
                f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {' '.join(str(s) for s in batch)} }} "
                f"VALUES ?p {{ {' '.join(str(p) for p in wanted)} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            )
            for s in batch:
                for p in wanted:
                    self._pairs.setdefault((s, p.value), [])
            for row in self.backend._rows(text, self.graph_params, self.timeout, self.labels):
                self._pairs[(row["s"], term_text(row["p"]))].append(ox.Quad(row["s"], row["p"], row["o"], row["g"]))  # type: ignore[arg-type]


def check_settings(config: Mapping[str, Any]) -> None:
    """Fail at start-up on a malformed remote configuration rather than on the first request."""
    if not str(config.get("STORE_URL") or "").startswith(("http://", "https://")):
        raise ValueError(f"STORE_URL must be an http(s) URL of a SPARQL endpoint, not {config.get('STORE_URL')!r}")
    if str(config.get("STORE_AUTH")) not in ("basic", "digest"):
        raise ValueError("STORE_AUTH must be 'basic' or 'digest'")
