"""Run the W3C SPARQL 1.1 test suites against the endpoint over HTTP.

The suites, vendored in ``tests/w3c/`` (see its README: upstream commit, licence, what was copied
and why), describe each test in RDF manifests whose IRIs use the base
``http://www.w3.org/2009/sparql/docs/tests/data-sparql11/``; this module maps that base to
:data:`SUITE_ROOT`, reads the manifests with rdflib, loads every test's data into
ONE release (each file a named graph called by its IRI, blank nodes kept apart per file), and
compares what the server answers with the expected results:

* SELECT (.srx/.srj/.tsv): multisets of solutions, equal up to a bijection of blank nodes;
* .csv: the same on the CSV rendering, which the CSV spec makes lossy (no datatypes or languages);
* ASK: the boolean; CONSTRUCT/DESCRIBE (.ttl): rdflib graph isomorphism.

The protocol manifest (``protocol/manifest.ttl``) describes raw HTTP requests with the ``ht:``
vocabulary; :func:`protocol_tests` turns each into a list of :class:`HttpRequest`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

# The one place tests find the W3C files: the copy inside the repository, so a fresh clone passes
# without anything outside it. Other tests read the suite through SUITE_ROOT / query_files() only.
SUITE_ROOT = Path(__file__).resolve().with_name("w3c") / "sparql" / "sparql11"
SUITE_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
KNOWN_FAILURES_FILE = Path(__file__).with_name("w3c_known_failures.txt")
# A graph that is never in the store: naming it as the default graph gives an empty dataset.
EMPTY_GRAPH = "urn:x-kzkg-test:empty-graph"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
}
RESULT_MEDIA = {
    ".srx": "application/sparql-results+xml",
    ".srj": "application/sparql-results+json",
    ".tsv": "text/tab-separated-values",
    ".csv": "text/csv",
}


class SuiteMissing(RuntimeError):
    """The vendored suite is not where the tests expect it: a broken checkout, never a skip."""


def require_suite() -> Path:
    """SUITE_ROOT, after checking it holds the suite; a missing suite must fail the run, loudly."""
    top = SUITE_ROOT / "manifest-sparql11-query.ttl"
    if not top.is_file():
        raise SuiteMissing(
            f"the vendored W3C SPARQL 1.1 suite is missing: {top} does not exist "
            "(tests/w3c/ is part of the repository; restore it with git)"
        )
    return SUITE_ROOT


def query_files() -> list[Path]:
    """Every ``*.rq`` file of the vendored suite, sorted: the queries other tests parse or mutate."""
    files = sorted(require_suite().rglob("*.rq"))
    if not files:
        raise SuiteMissing(f"no .rq files under {SUITE_ROOT}")
    return files


def local_path(iri: str) -> Path:
    """The file a test-suite IRI names."""
    if not iri.startswith(SUITE_BASE):
        raise ValueError(f"not a test-suite IRI: {iri}")
    return SUITE_ROOT / iri[len(SUITE_BASE) :]


def suite_iri(path: Path) -> str:
    return SUITE_BASE + path.relative_to(SUITE_ROOT).as_posix()


def _graph(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=suite_iri(path))
    return graph


def _list(graph: rdflib.Graph, head: Any) -> list[Any]:
    return list(Collection(graph, head)) if head is not None else []


# --- query evaluation and syntax tests ------------------------------------------------------


@dataclass(frozen=True)
class GraphData:
    """A file to load and the graph name it gets (its IRI, or the rdfs:label a manifest gives)."""

    file_iri: str
    name: str


@dataclass
class QueryTest:
    iri: str
    kind: str  # "eval", "positive-syntax", "negative-syntax"
    name: str
    query_iri: str
    data: list[GraphData] = field(default_factory=list)
    graph_data: list[GraphData] = field(default_factory=list)
    result_iri: str | None = None
    approval: str | None = None

    @property
    def id(self) -> str:
        return self.iri[len(SUITE_BASE) :] if self.iri.startswith(SUITE_BASE) else self.iri

    @property
    def query_text(self) -> str:
        return local_path(self.query_iri).read_text(encoding="utf-8")


_KINDS = {
    MF.QueryEvaluationTest: "eval",
    MF.PositiveSyntaxTest11: "positive-syntax",
    MF.NegativeSyntaxTest11: "negative-syntax",
}


def _graph_data(graph: rdflib.Graph, node: Any) -> GraphData:
    if isinstance(node, URIRef):
        return GraphData(str(node), str(node))
    file_iri = graph.value(node, UT.graph) or graph.value(node, QT.graph)
    label = graph.value(node, RDFS.label)
    return GraphData(str(file_iri), str(label or file_iri))


def query_tests(top_manifest: str = "manifest-sparql11-query.ttl") -> list[QueryTest]:
    """Every evaluation and syntax test reachable from the top manifest, in manifest order."""
    top = _graph(require_suite() / top_manifest)
    manifests = [local_path(str(item)) for head in top.objects(None, MF.include) for item in _list(top, head)]
    tests: list[QueryTest] = []
    for manifest in manifests:
        graph = _graph(manifest)
        for head in graph.objects(None, MF.entries):
            for entry in _list(graph, head):
                kind = next((_KINDS[t] for t in graph.objects(entry, RDF.type) if t in _KINDS), None)
                if kind is None:
                    continue
                action = graph.value(entry, MF.action)
                test = QueryTest(
                    iri=str(entry),
                    kind=kind,
                    name=str(graph.value(entry, MF.name) or ""),
                    query_iri=str(action if kind != "eval" else graph.value(action, QT.query)),
                    approval=str(graph.value(entry, DAWGT.approval) or "") or None,
                )
                if kind == "eval":
                    test.data = [_graph_data(graph, d) for d in graph.objects(action, QT.data)]
                    test.graph_data = [_graph_data(graph, d) for d in graph.objects(action, QT.graphData)]
                    result = graph.value(entry, MF.result)
                    test.result_iri = str(result) if result is not None else None
                tests.append(test)
    return tests


def dataset_nquads(graph_data: Iterable[GraphData]) -> bytes:
    """Every file loaded into a graph named by its IRI; blank nodes renamed apart per file.

    pyoxigraph keeps a document's blank node labels, so two files that both say ``_:a`` would
    otherwise share one node in the store.
    """
    quads: list[ox.Quad] = []
    for item in sorted(set(graph_data), key=lambda g: (g.name, g.file_iri)):
        path = local_path(item.file_iri)
        renamed: dict[str, ox.BlankNode] = {}

        def apart(term: Any, renamed: dict[str, ox.BlankNode] = renamed) -> Any:  # this file's labels only
            if isinstance(term, ox.BlankNode):
                return renamed.setdefault(term.value, ox.BlankNode())
            if isinstance(term, ox.Triple):
                return ox.Triple(apart(term.subject), term.predicate, apart(term.object))
            return term

        for quad in ox.parse(path=str(path), format=RDF_FORMATS[path.suffix], base_iri=item.file_iri):
            quads.append(ox.Quad(apart(quad.subject), quad.predicate, apart(quad.object), ox.NamedNode(item.name)))
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


# --- comparing results ----------------------------------------------------------------------

Term = tuple[str, ...]  # ("uri", v) | ("bnode", label) | ("literal", v, datatype, lang) | ("triple", ...)
Solution = dict[str, Term]


@dataclass
class Results:
    variables: list[str] | None
    solutions: list[Solution] | None
    boolean: bool | None = None


XSD = "http://www.w3.org/2001/XMLSchema#"
DECIMAL_TYPES = {
    XSD + t
    for t in (
        "integer",
        "decimal",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
    )
}
FLOAT_TYPES = {XSD + "double", XSD + "float"}


def literal_term(lexical: str, datatype: str | None, language: str | None) -> Term:
    """A literal as compared: numbers and booleans by value within their datatype ("1.0" and "1"
    are the same xsd:decimal; "3.0E4" and "30000" the same xsd:double), as W3C runners such as
    Jena's compare them; everything else by its exact lexical form."""
    if language:
        return ("literal", lexical, "", language.lower())
    datatype = datatype or XSD + "string"
    try:
        if datatype in DECIMAL_TYPES:
            value = Decimal(lexical.strip())
            lexical = "0" if value == 0 else format(value.normalize(), "f")
        elif datatype in FLOAT_TYPES:
            lexical = repr(float(lexical.strip()))
        elif datatype == XSD + "boolean":
            lexical = {"1": "true", "0": "false"}.get(lexical.strip(), lexical.strip())
    except (InvalidOperation, ValueError):
        pass  # an ill-typed literal is compared as written
    return ("literal", lexical, datatype, "")


def _term(term: Any) -> Term:
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.Literal):
        return literal_term(term.value, term.datatype.value, term.language)
    if isinstance(term, ox.Triple):
        return ("triple", *_term(term.subject), "|", *_term(term.predicate), "|", *_term(term.object))
    raise TypeError(term)


def parse_results(body: bytes, media_type: str) -> Results:
    """Parse SPARQL results (XML, JSON, TSV) with pyoxigraph, or CSV with the csv module."""
    if media_type == "text/csv":
        return _parse_csv(body.decode("utf-8"))
    formats = {
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }
    parsed = ox.parse_query_results(body, format=formats[media_type])
    if isinstance(parsed, ox.QueryBoolean):
        return Results(None, None, bool(parsed))
    variables = [v.value for v in parsed.variables]
    solutions = [{v: _term(s[v]) for v in variables if s[v] is not None} for s in parsed]
    return Results(variables, solutions)


def _parse_csv(text: str) -> Results:
    """CSV results keep only strings: IRIs and literals become their text, blank nodes _:x."""
    rows = list(csv.reader(io.StringIO(text)))
    variables = rows[0] if rows else []
    solutions: list[Solution] = []
    for row in rows[1:]:
        solution: Solution = {}
        for name, value in zip(variables, row, strict=False):  # a short row leaves the rest unbound
            if value == "":
                continue
            solution[name] = ("bnode", value[2:]) if value.startswith("_:") else ("text", value)
        solutions.append(solution)
    return Results(variables, solutions)


def csv_view(results: Results) -> Results:
    """What the CSV format can say about results (for comparing a server's CSV with .srx data)."""

    def text(term: Term) -> Term:
        return term if term[0] == "bnode" else ("text", term[1])

    return Results(results.variables, [{k: text(v) for k, v in s.items()} for s in results.solutions or []])


def _bnodes(term: Term) -> list[str]:
    if term[0] == "bnode":
        return [term[1]]
    if term[0] == "triple":
        labels: list[str] = []
        parts = list(term[1:])
        for index, part in enumerate(parts):
            if part == "bnode" and index + 1 < len(parts):
                labels.append(parts[index + 1])
        return labels
    return []


def _rename(term: Term, mapping: dict[str, str]) -> Term | None:
    """The term with expected blank nodes renamed to actual ones, or None if one is unmapped."""
    if term[0] == "bnode":
        return ("bnode", mapping[term[1]]) if term[1] in mapping else None
    if term[0] == "triple":
        parts = list(term)
        for index in range(len(parts) - 1):
            if parts[index] == "bnode":
                if parts[index + 1] not in mapping:
                    return None
                parts[index + 1] = mapping[parts[index + 1]]
        return tuple(parts)
    return term


def solutions_equal(expected: Sequence[Solution], actual: Sequence[Solution]) -> bool:
    """Multiset equality up to a bijection between blank node labels (backtracking search)."""
    if len(expected) != len(actual):
        return False
    if not any(_bnodes(t) for s in expected for t in s.values()) and not any(
        _bnodes(t) for s in actual for t in s.values()
    ):
        key = lambda s: sorted(s.items())  # noqa: E731
        return sorted(map(key, expected)) == sorted(map(key, actual))
    used = [False] * len(actual)

    def match(index: int, forward: dict[str, str], backward: dict[str, str]) -> bool:
        if index == len(expected):
            return True
        wanted = expected[index]
        for position, candidate in enumerate(actual):
            if used[position] or candidate.keys() != wanted.keys():
                continue
            extended = _extend(wanted, candidate, forward, backward)
            if extended is None:
                continue
            used[position] = True
            if match(index + 1, *extended):
                return True
            used[position] = False
        return False

    return match(0, {}, {})


def _extend(
    wanted: Solution, candidate: Solution, forward: dict[str, str], backward: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]] | None:
    forward, backward = dict(forward), dict(backward)
    for name, term in wanted.items():
        other = candidate[name]
        labels, other_labels = _bnodes(term), _bnodes(other)
        if len(labels) != len(other_labels):
            return None
        for mine, theirs in zip(labels, other_labels, strict=True):
            if forward.get(mine, theirs) != theirs or backward.get(theirs, mine) != mine:
                return None
            forward[mine], backward[theirs] = theirs, mine
        if _rename(term, forward) != other:
            return None
    return forward, backward


RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")


def _rdflib_term(term: Any) -> Term:
    if isinstance(term, URIRef):
        return ("uri", str(term))
    if isinstance(term, rdflib.BNode):
        return ("bnode", str(term))
    return literal_term(str(term), str(term.datatype) if term.datatype else None, term.language)


def result_set_from_rdf(path: Path, base: str) -> Results:
    """Results written in RDF with the DAWG result-set vocabulary (rs:ResultSet) — some .ttl results."""
    graph = rdflib.Graph().parse(path, format="turtle", publicID=base)
    result_set = next(graph.subjects(RDF.type, RS.ResultSet))
    boolean = graph.value(result_set, RS.boolean)
    if boolean is not None:
        return Results(None, None, bool(boolean.toPython()))
    variables = [str(v) for v in graph.objects(result_set, RS.resultVariable)]
    solutions = []
    for solution in graph.objects(result_set, RS.solution):
        solutions.append(
            {
                str(graph.value(b, RS.variable)): _rdflib_term(graph.value(b, RS.value))
                for b in graph.objects(solution, RS.binding)
            }
        )
    return Results(variables, solutions)


def is_result_set(path: Path) -> bool:
    return path.suffix == ".ttl" and "result-set#" in path.read_text(encoding="utf-8")


def expected_results(test: QueryTest) -> Results:
    path = local_path(test.result_iri or "")
    if path.suffix in RESULT_MEDIA:
        return parse_results(path.read_bytes(), RESULT_MEDIA[path.suffix])
    if is_result_set(path):
        return result_set_from_rdf(path, test.result_iri or "")
    raise ValueError(f"not a results file: {path}")


def graphs_isomorphic(expected_ttl: Path, actual_ntriples: bytes, base: str) -> bool:
    expected = rdflib.Graph().parse(expected_ttl, format="turtle", publicID=base)
    actual = rdflib.Graph().parse(data=actual_ntriples, format="nt")
    return isomorphic(expected, actual)


# --- protocol tests -------------------------------------------------------------------------


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected_status: set[int]  # status classes: 2, 3, 4, 5
    expected_boolean: bool | None
    expected_format: str | None  # "boolean", "tabular", "RDF"


@dataclass
class ProtocolTest:
    iri: str
    name: str
    requests: list[HttpRequest]
    graph_data: list[GraphData]

    @property
    def id(self) -> str:
        return self.iri[len(SUITE_BASE) :] if self.iri.startswith(SUITE_BASE) else self.iri

    @property
    def is_update(self) -> bool:
        return any(
            r.headers.get("content-type") == "application/sparql-update"
            or (r.body or b"").startswith(b"update=")
            or "update=" in r.path
            for r in self.requests
        )


def protocol_tests() -> list[ProtocolTest]:
    manifest = require_suite() / "protocol" / "manifest.ttl"
    graph = _graph(manifest)
    tests = []
    for head in graph.objects(None, MF.entries):
        for entry in _list(graph, head):
            action = graph.value(entry, MF.action)
            requests = [_http_request(graph, r) for h in graph.objects(action, HT.requests) for r in _list(graph, h)]
            tests.append(
                ProtocolTest(
                    iri=str(entry),
                    name=str(graph.value(entry, MF.name)),
                    requests=requests,
                    graph_data=[_graph_data(graph, d) for d in graph.objects(entry, UT.graphData)],
                )
            )
    return tests


def _http_request(graph: rdflib.Graph, node: Any) -> HttpRequest:
    headers = {
        str(graph.value(h, HT.fieldName)): str(graph.value(h, HT.fieldValue))
        for head in graph.objects(node, HT.headers)
        for h in _list(graph, head)
    }
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = {int(str(s).rsplit("StatusCode", 1)[-1][0]) for s in graph.objects(response, MF.expectedStatus)}
    boolean = graph.value(response, MF.expectedBoolean)
    fmt = graph.value(response, MF.expectedFormat)
    return HttpRequest(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        expected_status=statuses,
        expected_boolean=None if boolean is None else bool(boolean.toPython()),
        expected_format=None if fmt is None else str(fmt),
    )


FORMAT_GROUPS = {
    "boolean": {"application/sparql-results+xml", "application/sparql-results+json"},
    "tabular": {
        "application/sparql-results+xml",
        "application/sparql-results+json",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {
        "application/rdf+xml",
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/trig",
        "application/n-quads",
    },
}


# --- known failures -------------------------------------------------------------------------


def known_failures(path: Path = KNOWN_FAILURES_FILE) -> dict[str, str]:
    """``test-id  reason`` lines (``#`` comments); the ids are those pytest shows."""
    known: dict[str, str] = {}
    if not path.exists():
        return known
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition(" ")
        known[test_id] = reason.strip()
    return known


def referenced_files(tests: Iterable[QueryTest], protocol: Iterable[ProtocolTest]) -> set[Path]:
    """Every file the run reads: the manifests and each query, data and result file they name.

    Together with :func:`query_files` this is what ``tests/w3c/`` must hold (its README)."""
    top = require_suite() / "manifest-sparql11-query.ttl"
    graph = _graph(top)
    files = {top, SUITE_ROOT / "protocol" / "manifest.ttl"}
    files |= {local_path(str(item)) for head in graph.objects(None, MF.include) for item in _list(graph, head)}
    for test in tests:
        files.add(local_path(test.query_iri))
        if test.result_iri:
            files.add(local_path(test.result_iri))
    files |= {local_path(item.file_iri) for item in all_graph_data(tests, protocol)}
    return files


def all_graph_data(tests: Iterable[QueryTest], protocol: Iterable[ProtocolTest]) -> Iterator[GraphData]:
    for test in tests:
        yield from test.data
        yield from test.graph_data
    for ptest in protocol:
        yield from ptest.graph_data


def results_json_boolean(body: bytes, media_type: str) -> bool | None:
    if media_type == "application/sparql-results+json":
        return json.loads(body).get("boolean")
    return parse_results(body, media_type).boolean
