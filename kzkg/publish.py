"""Hand the built graph to a production triple store when one machine is no longer enough.

Every named graph of the release (asserted, ontology, links, inferred) is sent to any SPARQL 1.1
store, through the Graph Store Protocol (one PUT per graph, then POSTs for further chunks) or,
for stores without it, SPARQL Update (DROP + INSERT DATA batches). Afterwards the triples of each
graph are counted on the target and compared with the release, so a store that silently dropped
or truncated something is caught at publish time, not by a user.

Blank nodes (the ontology's OWL restrictions and lists) are scoped to one request, so a graph
that has any is always sent in a single request.

The endpoint's default graph (every graph but claims' assertion graphs, materialised by
``kzkg.store.load_store``) is sent too, as ONE more graph, ``kzgraph:default``: a store then answers
a query over the default graph from that one graph instead of from a list of graph names sent with
every query (Virtuoso echoes each name as a response header, hundreds with one assertion graph per
claim, and joins over a list of graphs probe each of them). It is not one of the release's named
graphs: the record names it as the dataset's ``sd:defaultGraph``, not as a ``dcterms:hasPart``.

Once the counts are verified, a small release record is written into ``kzgraph:release``: the
build id (``<…/id/dataset> dcterms:identifier``), the graphs (``dcterms:hasPart``) and their
sizes (``void:triples``), and the default graph. ``kzkg serve --store`` keys its ETags and cache by
that id, and queries exactly those graphs. The record is dropped before the first graph is
replaced, so while a publish is under way the store has no build id and nothing served from it
is cached.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from kzkg import __version__, namespaces
from kzkg.errors import KzkgError
from kzkg.store import Release, open_read_only

USER_AGENT = f"kzkg/{__version__} ({namespaces.HOME}; kzkg publish)"
RELEASE_GRAPH = str(namespaces.RELEASE_GRAPH)
# The endpoint's default graph as one named graph on the store; never one of the release's graphs.
DEFAULT_GRAPH = str(namespaces.DEFAULT_GRAPH)
DATASET = str(namespaces.DATASET)
DCTERMS = str(namespaces.DCTERMS)
VOID = str(namespaces.VOID)
SD = str(namespaces.SD)
XSD_INTEGER = str(namespaces.XSD.integer)
DEFAULT_BATCH = 50_000  # triples per GSP request: big enough to be fast, small enough for any store
# INSERT DATA is parsed as a query: Virtuoso 7.2's SPARQL compiler runs out of memory near 5,000
# triples per request, so updates go in smaller batches.
UPDATE_BATCH = 2_000


class PublishError(KzkgError):
    """The target refused the data or ended up with something other than the release."""


@dataclass(frozen=True)
class Target:
    """Where to publish and how to authenticate.

    ``gsp_url`` with ``graph_param`` ("graph" in the standard; Virtuoso's
    /sparql-graph-crud-auth wants "graph-uri"), or ``update_url`` for SPARQL Update;
    ``query_url`` is used to verify the counts.
    """

    query_url: str
    gsp_url: str | None = None
    update_url: str | None = None
    graph_param: str = "graph"
    user: str | None = None
    password: str | None = None
    auth_scheme: str = "basic"  # or "digest" (Virtuoso)
    timeout: float = 300.0

    def auth(self) -> AuthBase | None:
        if self.user is None:
            return None
        if self.auth_scheme == "digest":
            return HTTPDigestAuth(self.user, self.password or "")
        return HTTPBasicAuth(self.user, self.password or "")

    def graph_url(self, graph: str) -> str:
        """One named graph's Graph Store Protocol URL; the graph goes in ``graph_param``."""
        if not self.gsp_url:
            raise PublishError("no Graph Store Protocol URL (--gsp-url) to write the graph to")
        return f"{self.gsp_url}{'&' if '?' in self.gsp_url else '?'}{urlencode({self.graph_param: graph})}"

    def sparql_update_url(self) -> str:
        """The SPARQL Update endpoint, for stores without the Graph Store Protocol."""
        if not self.update_url:
            raise PublishError("no SPARQL Update URL (--update-url) to write the graph to")
        return self.update_url


@dataclass
class PublishReport:
    graphs: dict[str, int] = field(default_factory=dict)  # the release's named graphs and their sizes
    default_triples: int = 0  # kzgraph:default, the endpoint's default graph
    requests: int = 0
    seconds: float = 0.0


def release_graphs(release: Release) -> dict[str, list[ox.Triple]]:
    """The release's triples, per named graph IRI."""
    graphs: dict[str, list[ox.Triple]] = defaultdict(list)
    for quad in open_read_only(release):
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs[quad.graph_name.value].append(ox.Triple(quad.subject, quad.predicate, quad.object))
    return dict(graphs)


def default_graph(release: Release, graphs: dict[str, list[ox.Triple]] | None = None) -> list[ox.Triple]:
    """The endpoint's default graph: the store's materialised one (kzkg.store.load_store), with its
    blank nodes as the named graphs have them; for a store without one, every graph but claims'
    assertion graphs (what load_store would have materialised)."""
    triples = [
        ox.Triple(quad.subject, quad.predicate, quad.object)
        for quad in open_read_only(release).quads_for_pattern(None, None, None, ox.DefaultGraph())
    ]
    if triples:
        return triples
    graphs = release_graphs(release) if graphs is None else graphs
    return list(
        dict.fromkeys(triple for graph, part in graphs.items() if namespaces.in_default_graph(graph) for triple in part)
    )


def _has_blank_nodes(triples: Sequence[ox.Triple]) -> bool:
    return any(_blank(t) for t in triples)


def _blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _chunks(triples: Sequence[ox.Triple], size: int) -> Iterator[Sequence[ox.Triple]]:
    """Batches of at most ``size`` triples, except that the triples with blank nodes travel together
    in a first batch of their own (a blank node means the same node only within one request),
    whatever its size: alone, because SPARQL Update sends them as an INSERT template, which
    Virtuoso compiles into SQL it refuses beyond ~10,000 lines (2,000 triples are too many)."""
    blank = [t for t in triples if _blank(t)]
    if len(triples) <= size and len(blank) in (0, len(triples)):
        yield triples
        return
    rest = [t for t in triples if not _blank(t)] if blank else triples
    if blank:
        yield blank
    for start in range(0, len(rest), size):
        yield rest[start : start + size]


def _ntriples(triples: Sequence[ox.Triple]) -> bytes:
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None  # pyoxigraph returns the bytes when given no output file
    return data


def _check(response: requests.Response, what: str) -> None:
    if response.status_code >= 400:
        raise PublishError(f"{what}: HTTP {response.status_code} {response.reason}: {response.text[:300]}")


def publish(
    release: Release, target: Target, batch: int = DEFAULT_BATCH, progress: Callable[[str], None] = lambda _: None
) -> PublishReport:
    """Replace each of the release's graphs on the target, then verify the counts."""
    if not (target.gsp_url or target.update_url):
        raise PublishError("give a Graph Store Protocol URL or a SPARQL Update URL to publish to")
    started = time.perf_counter()
    report = PublishReport()
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.auth = target.auth()
    try:
        forget_release(session, target)
        graphs = release_graphs(release)
        for graph, triples in sorted(graphs.items()):
            progress(f"publish: {graph} ({len(triples)} triples)")
            report.requests += _send_graph(session, target, graph, triples, batch)
            report.graphs[graph] = len(set(triples))
        default = default_graph(release, graphs)
        progress(f"publish: {DEFAULT_GRAPH} (the default graph, {len(default)} triples)")
        report.requests += _send_graph(session, target, DEFAULT_GRAPH, default, batch)
        report.default_triples = len(set(default))
        verify(session, target, {**report.graphs, DEFAULT_GRAPH: report.default_triples})
        record_release(session, target, release.build_id, report.graphs, report.default_triples)
        report.requests += 2
    except requests.RequestException as failed:
        raise PublishError(f"cannot reach the target store: {failed}") from failed
    report.seconds = time.perf_counter() - started
    return report


def _send_graph(session: requests.Session, target: Target, graph: str, triples: Sequence[ox.Triple], batch: int) -> int:
    """Replace one graph on the target; returns the number of requests it took."""
    size = batch if target.gsp_url else min(batch, UPDATE_BATCH)
    requests_sent = 0
    for number, chunk in enumerate(_chunks(triples, size)):
        requests_sent += 1
        if target.gsp_url:
            _send_gsp(session, target, graph, chunk, replace=number == 0)
        else:
            _send_update(session, target, graph, chunk, replace=number == 0)
    return requests_sent


def _send_gsp(session: requests.Session, target: Target, graph: str, chunk: Sequence[ox.Triple], replace: bool) -> None:
    url = target.graph_url(graph)
    response = session.request(
        "PUT" if replace else "POST",
        url,
        data=_ntriples(chunk),
        headers={"Content-Type": "application/n-triples"},
        timeout=target.timeout,
    )
    if response.status_code == 415:  # older stores know N-Triples only as text/plain or Turtle
        response = session.request(
            "PUT" if replace else "POST",
            url,
            data=_ntriples(chunk),
            headers={"Content-Type": "text/turtle"},
            timeout=target.timeout,
        )
    _check(response, f"Graph Store Protocol {'PUT' if replace else 'POST'} of <{graph}>")


def _send_update(
    session: requests.Session, target: Target, graph: str, chunk: Sequence[ox.Triple], replace: bool
) -> None:
    body = _ntriples(chunk).decode("utf-8")
    # Some stores (Virtuoso) refuse blank nodes in INSERT DATA although SPARQL allows them; a
    # template with one empty solution inserts the same triples with one set of fresh blank nodes.
    insert = (
        f"INSERT {{ GRAPH <{graph}> {{\n{body}}} }} WHERE {{}}"
        if _has_blank_nodes(chunk)
        else f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}"
    )
    update = (f"DROP SILENT GRAPH <{graph}> ;\n" if replace else "") + insert
    response = session.post(
        target.sparql_update_url(),
        data=update.encode("utf-8"),
        headers={"Content-Type": "application/sparql-update"},
        timeout=target.timeout,
    )
    _check(response, f"SPARQL Update of <{graph}>")


def count_triples(session: requests.Session, target: Target, graph: str) -> int:
    """COUNT on the target: one row, so a store's result-row cap cannot truncate it."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = session.post(
        target.query_url,
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=target.timeout,
    )
    _check(response, f"counting <{graph}>")
    try:
        return int(response.json()["results"]["bindings"][0]["n"]["value"])
    except (ValueError, KeyError, IndexError) as malformed:
        raise PublishError(f"counting <{graph}>: unexpected answer {response.text[:200]!r}") from malformed


def verify(session: requests.Session, target: Target, expected: dict[str, int]) -> None:
    wrong = []
    for graph, size in sorted(expected.items()):
        found = count_triples(session, target, graph)
        if found != size:
            wrong.append(f"<{graph}>: {found} triples on the target, {size} in the release")
    if wrong:
        raise PublishError("the target does not hold the release: " + "; ".join(wrong))


def release_record(build_id: str, graphs: dict[str, int], union_triples: int) -> list[ox.Triple]:
    """What the release graph says: which build the store holds, its graphs and their sizes, and
    the graph that holds its default graph (``union_triples`` of them)."""
    dataset = ox.NamedNode(DATASET)
    triples = [
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "identifier"), ox.Literal(build_id)),
        ox.Triple(
            dataset, ox.NamedNode(VOID + "triples"), ox.Literal(str(union_triples), datatype=ox.NamedNode(XSD_INTEGER))
        ),
        ox.Triple(dataset, ox.NamedNode(SD + "defaultGraph"), ox.NamedNode(DEFAULT_GRAPH)),
    ]
    for graph, size in sorted(graphs.items()):
        triples += [
            ox.Triple(dataset, ox.NamedNode(DCTERMS + "hasPart"), ox.NamedNode(graph)),
            ox.Triple(
                ox.NamedNode(graph),
                ox.NamedNode(VOID + "triples"),
                ox.Literal(str(size), datatype=ox.NamedNode(XSD_INTEGER)),
            ),
        ]
    return triples


def forget_release(session: requests.Session, target: Target) -> None:
    """Drop the release record before the graphs change, so no server keys answers by a build id
    the store no longer (or not yet) holds."""
    if target.gsp_url:
        response = session.delete(target.graph_url(RELEASE_GRAPH), timeout=target.timeout)
        if response.status_code != 404:  # no record yet: nothing to forget
            _check(response, f"Graph Store Protocol DELETE of <{RELEASE_GRAPH}>")
    else:
        response = session.post(
            target.sparql_update_url(),
            data=f"DROP SILENT GRAPH <{RELEASE_GRAPH}>".encode(),
            headers={"Content-Type": "application/sparql-update"},
            timeout=target.timeout,
        )
        _check(response, f"SPARQL Update of <{RELEASE_GRAPH}>")


def record_release(
    session: requests.Session, target: Target, build_id: str, graphs: dict[str, int], union_triples: int
) -> None:
    """Write the release record into ``kzgraph:release`` (after the counts were verified)."""
    triples = release_record(build_id, graphs, union_triples)
    if target.gsp_url:
        _send_gsp(session, target, RELEASE_GRAPH, triples, replace=True)
    else:
        _send_update(session, target, RELEASE_GRAPH, triples, replace=True)


def record_nquads(release: Release) -> bytes:
    """What :func:`publish` writes besides the named graphs, as N-Quads: the release record in
    ``kzgraph:release`` and the default graph in ``kzgraph:default`` (which the record names), for
    stores loaded offline from the N-Quads dump (QLever's index builder, Virtuoso's bulk loader,
    ``tdb2.tdbloader``), where :func:`publish` cannot write them: load them with the dump and
    ``kzkg serve --store`` gets a build id and a one-graph default graph."""
    graphs = release_graphs(release)
    counts = {graph: len(set(triples)) for graph, triples in graphs.items()}
    default = default_graph(release, graphs)
    name, default_name = ox.NamedNode(RELEASE_GRAPH), ox.NamedNode(DEFAULT_GRAPH)
    record = release_record(release.build_id, counts, len(set(default)))
    quads = [ox.Quad(t.subject, t.predicate, t.object, name) for t in record]
    quads += [ox.Quad(t.subject, t.predicate, t.object, default_name) for t in default]
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None  # pyoxigraph returns the bytes when given no output file
    return data
