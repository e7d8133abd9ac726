"""Describing the endpoint: the SPARQL 1.1 Service Description (``GET /sparql``) and ``/.well-known/void``.

Both state the dataset as it is served (its named graphs and their sizes, asked of the backend
once per build and process) and carry an ETag of the build, like every answer of the endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from flask import Response, current_app, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from kzkg.export import void_dataset
from kzkg.namespaces import ASSERTION_BASE, DCTERMS, FORMATS, PREFIXES, RDF, RDFS, SD, SH, VOID, XSD

from .backend import Served, Statistics
from .media import GRAPH_TYPES, RESULT_TYPES, MediaType, negotiate
from .response_cache import PREFLIGHT_HEADERS, body_response, graph_service, make_etag, not_modified_response, runtime
from .result_writer import in_memory
from .sparql_request import HTML_TYPES, endpoint_url, not_acceptable, param, served_now

SD_TYPES: tuple[MediaType, ...] = GRAPH_TYPES
# W3C format IRIs (https://www.w3.org/ns/formats/) for sd:resultFormat.
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
    "application/trig": "TriG",
    "application/n-quads": "N-Quads",
}
RDF_TYPE = ox.NamedNode(str(RDF.type))
XSD_ANY_URI = ox.NamedNode(str(XSD.anyURI))
XSD_INTEGER = ox.NamedNode(str(XSD.integer))
DESCRIPTION_PREFIXES = {**PREFIXES, "sd": str(SD), "formats": str(FORMATS), "sh": str(SH)}


def statistics(served: Served) -> Statistics:
    """Triples per named graph and in the union default graph, asked of the backend once per build
    and process (a remote store without a build id is asked every time)."""
    state = runtime()
    known = state.statistics.get(served.build_id) if served.build_id is not None else None
    if known is None:
        known = graph_service().backend.statistics(served)
        if served.build_id is not None:
            state.statistics = {served.build_id: known}
    return known


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match([m.media_type for m in SD_TYPES] + list(HTML_TYPES))
    return best in HTML_TYPES


def _graph_response(triples: Iterable[ox.Triple], etag: str | None, what: str) -> Response:
    media = negotiate(request.accept_mimetypes, SD_TYPES, param("format"))
    if media is None:
        raise not_acceptable(SD_TYPES, what)
    if (not_modified := not_modified_response(etag)) is not None:
        return not_modified
    body = ox.serialize(list(triples), format=media.rdf, prefixes=DESCRIPTION_PREFIXES)
    return body_response(in_memory(body), media.media_type, etag)


def service_description() -> Response | WerkzeugResponse:
    """SPARQL 1.1 Service Description of this endpoint; a browser is sent to the query page."""
    if request.method in {"GET", "HEAD"} and _wants_html() and "format" not in request.args:
        return redirect(request.script_root + "/", code=303)
    served = served_now()
    endpoint_iri = endpoint_url()
    media = negotiate(request.accept_mimetypes, SD_TYPES, param("format"))
    etag = make_etag(served.build_id, "service-description", endpoint_iri, media.media_type if media else None)
    if (not_modified := not_modified_response(etag)) is not None:
        return not_modified
    return _graph_response(_service_triples(endpoint_iri, statistics(served)), etag, "the service description")


def _service_triples(endpoint_iri: str, stats: Statistics) -> list[ox.Triple]:
    config = current_app.config
    sd = lambda local: ox.NamedNode(str(SD[local]))  # noqa: E731
    service = ox.NamedNode(endpoint_iri)
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        # No sd:UnionDefaultGraph: claims' assertion graphs are named graphs outside the default graph.
        ox.Triple(service, ox.NamedNode(str(DCTERMS.title)), ox.Literal("kzkg SPARQL endpoint")),
        ox.Triple(
            service,
            ox.NamedNode(str(RDFS.comment)),
            ox.Literal(
                f"Read-only SPARQL 1.1 query endpoint. The default graph is the union of all named graphs (one per "
                f"article, plus the ontology, entities, inferred and disagreements graphs) except claims' assertion "
                f"graphs ({ASSERTION_BASE}<claim-id>), which hold what each claim asserts, not facts: reach them with "
                f"GRAPH ?g joined to ?claim kz:asserts ?g. default-graph-uri / named-graph-uri "
                f"or FROM / FROM NAMED select graphs instead. Queries stop after {config['QUERY_TIMEOUT']:g} s; "
                f"results are "
                f"limited to {config['MAX_RESULTS']} rows or triples (an error beyond, never a silent truncation)."
            ),
        ),
        ox.Triple(
            service,
            ox.NamedNode(str(RDFS.seeAlso)),
            ox.NamedNode(url_for("sparql.void", _external=True)),
        ),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
        ox.Triple(
            default_graph,
            ox.NamedNode(str(DCTERMS.description)),
            ox.Literal(
                "The union of all named graphs of the dataset except claims' assertion graphs "
                f"({ASSERTION_BASE}<claim-id>: what a claim asserts, not a fact)."
            ),
        ),
        ox.Triple(
            default_graph, ox.NamedNode(str(VOID.triples)), ox.Literal(str(stats.union_triples), datatype=XSD_INTEGER)
        ),
    ]
    if config.get("SERVICE_ALLOWLIST"):
        triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    for media in (*RESULT_TYPES, *GRAPH_TYPES):
        triples.append(
            ox.Triple(
                service,
                sd("resultFormat"),
                ox.NamedNode(str(FORMATS[FORMAT_IRIS[media.media_type]])),
            )
        )
    for name, count in stats.graphs:
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(name)),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, sd("Graph")),
            ox.Triple(graph, ox.NamedNode(str(VOID.triples)), ox.Literal(str(count), datatype=XSD_INTEGER)),
        ]
    for prefix, namespace in PREFIXES.items():  # the predeclared prefixes, as SHACL prefix declarations
        declaration = ox.BlankNode()
        triples += [
            ox.Triple(service, ox.NamedNode(str(SH.declare)), declaration),
            ox.Triple(declaration, ox.NamedNode(str(SH.prefix)), ox.Literal(prefix)),
            ox.Triple(declaration, ox.NamedNode(str(SH.namespace)), ox.Literal(namespace, datatype=XSD_ANY_URI)),
        ]
    return triples


def void() -> Response:
    """The VoID description: the build's own ``void.ttl`` when it wrote one, else one made from the store."""
    if request.method == "OPTIONS":
        return Response(status=204, headers=PREFLIGHT_HEADERS)
    served = served_now()
    media = negotiate(request.accept_mimetypes, SD_TYPES, param("format"))
    etag = make_etag(served.build_id, "void", request.url_root, media.media_type if media else None)
    written = served.release.path / "void.ttl" if served.release is not None else None
    if written is not None and written.is_file():
        data = written.read_bytes()
        if media is not None and media.media_type == "text/turtle":
            not_modified = not_modified_response(etag)
            return not_modified if not_modified is not None else body_response(data, media.media_type, etag)
        triples = [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=request.url_root)]
        return _graph_response(triples, etag, "the VoID description")
    if (not_modified := not_modified_response(etag)) is not None:
        return not_modified
    return _graph_response(_void_triples(statistics(served)), etag, "the VoID description")


def _void_triples(stats: Statistics) -> list[ox.Triple]:
    """The store's VoID, for a release without ``void.ttl``: the library's core, with this server's IRIs."""
    return void_dataset(
        ox.NamedNode(url_for("sparql.void", _external=True) + "#dataset"),
        title=ox.Literal("kzkg: claims about the January 2022 unrest in Kazakhstan"),
        triples=stats.union_triples,
        graphs=stats.graphs,
        sparql_endpoint=ox.NamedNode(endpoint_url()),
        uri_spaces=[namespace for prefix, namespace in PREFIXES.items() if prefix in {"kz", "kzid"}],
        endpoint_on_subsets=True,
    )
