"""The public SPARQL 1.1 endpoint: ``/sparql`` (Protocol + Service Description) and ``/.well-known/void``.

The dataset
    Every triple of kzkg lives in a named graph: one per article (the claims it makes), plus
    ``kzid:graph/ontology``, ``kzid:graph/entities`` and ``kzid:graph/inferred``. When a request
    names no dataset (no ``default-graph-uri`` / ``named-graph-uri``, no FROM / FROM NAMED), the
    **default graph is the union of all named graphs except claims' assertion graphs** (what each
    claim asserts is a claim, not a fact: ``?e kz:startDate ?d`` sees curated dates only; the build
    materialises this default graph, see kzkg.store.load_store) — so ``?s ?p ?o`` sees the whole
    graph and ``GRAPH ?g`` still tells which article said what, and reaches the assertion graphs.
    ``default-graph-uri`` / ``named-graph-uri`` (or FROM / FROM NAMED) select graphs already in the store and never load
    anything; given either protocol parameter, the dataset is exactly what the parameters say.
    The service description (``GET /sparql``) states this in words (no ``sd:UnionDefaultGraph``).

Read-only, bounded, cacheable
    Updates (``update=``, ``application/sparql-update``, LOAD...) get 403. Each query runs under
    ``QUERY_TIMEOUT`` (503 when it passes) and ``MAX_RESULTS`` (400 "result too large" — never
    silent truncation); request bodies (and form fields: Flask's own MAX_FORM_MEMORY_SIZE is
    aligned with it) are limited by ``MAX_CONTENT_LENGTH`` (413). SERVICE is refused (403) unless its
    endpoint IRI is in ``SERVICE_ALLOWLIST``: the query child reads the text once
    (:mod:`kzkg_server.sparql_scan`), decides on that reading and runs its canonical re-writing,
    so what runs is what was checked; children that do not federate cannot open sockets at all
    (:mod:`kzkg_server.sandbox`). A response depends only on (build id, query, dataset, media type), so it
    carries an ETag of those, answers If-None-Match with 304, and is kept in an in-process LRU
    that a new build id invalidates by construction. A GET that Flask has answered from or into
    that LRU is answered the next time in front of Flask, from the same entry and with the same
    bytes (:mod:`kzkg_server.fastcache`).

Backends
    All of the above is decided here, in front; the query itself goes to the served backend
    (:mod:`kzkg_server.backend`): the embedded release store, where each query runs in a killable
    child process (:mod:`kzkg_server.executor`), or a remote SPARQL store (``STORE_URL``,
    :mod:`kzkg_server.remote`), which keeps the same promises (union default graph, no silently
    truncated answer, the time limit) by its own means. A remote store without a release record
    has no build id: its answers are neither cached nor given an ETag.

Where things are
    This module is the protocol: the blueprint, reading and refusing a request, the dataset,
    content negotiation, the answer and the HTML results page. The response cache, ETags and the
    fast path's entry point are in :mod:`.response_cache`; the service description and VoID in
    :mod:`.description`; what both read from a request (parameters, ProtocolError, 406) in
    :mod:`.sparql_request`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as WerkzeugResponse

from kzkg.namespaces import PREFIXES, XSD

from .backend import Answer, EmbeddedBackend, QueryRequest
from .description import service_description, void
from .executor_child import check_shape
from .executor_protocol import Dataset
from .labels import local_href
from .media import ALIASES, BY_MEDIA_TYPE, GRAPH_TYPES, RESULT_TYPES, MediaType, negotiate
from .query_errors import NotAcceptable, QueryError
from .response_cache import (
    ALIAS_ENVIRON_KEY,
    CACHE_HIT_TIMING,
    EXTENSION,
    PREFLIGHT_HEADERS,
    CachedResponse,
    RuntimeHolder,
    body_response,
    graph_service,
    make_etag,
    not_modified_response,
    prerender,
    runtime,
)
from .sparql_request import (
    HTML_TYPES,
    ProtocolError,
    not_acceptable,
    param,
    params,
    served_now,
    text_response,
)
from .sparql_scan import Canonical, QueryShape, canonicalise, query_form
from .sparql_tokens import ScanError

bp = Blueprint("sparql", __name__)
# The description's views live in kzkg_server.description; they are this blueprint's (endpoint
# ``sparql.void``), so the errors it answers are the endpoint's own text/plain ones.
bp.add_url_rule("/.well-known/void", view_func=void, methods=["GET", "OPTIONS"], provide_automatic_options=False)

ASK_TYPES: tuple[MediaType, ...] = tuple(
    m for m in RESULT_TYPES if m.media_type in {"application/sparql-results+json", "application/sparql-results+xml"}
)
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
# Short names that mean "the JSON / XML one" for whatever the query returns (as Fuseki does).
GRAPH_FORMAT_ALIASES = {"json": "jsonld", "xml": "rdfxml"}


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(EXTENSION, RuntimeHolder())


@bp.errorhandler(ProtocolError)
def _protocol_error(error: ProtocolError) -> Response:
    return text_response(error.status, error.message, error.headers)


@bp.errorhandler(QueryError)
def _query_error(error: QueryError) -> Response:
    return text_response(error.status, error.message)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    """Name the limit that applied: the body's, or a smaller form-field limit if one is configured."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    form_limit = current_app.config.get("MAX_FORM_MEMORY_SIZE")
    message = f"request too large: this endpoint accepts request bodies up to {limit} bytes"
    if (
        request.mimetype == "application/x-www-form-urlencoded"
        and form_limit is not None
        and (limit is None or form_limit < limit)
    ):
        message += f" and form fields (such as query=) up to {form_limit} bytes"
    return text_response(413, message)


def _read_query() -> str | None:
    """The query text per SPARQL 1.1 Protocol §2.1, or None for a GET without one."""
    if request.method in {"GET", "HEAD"}:
        queries = request.args.getlist("query")
    elif request.mimetype == "application/x-www-form-urlencoded":
        queries = params("query")
        if not queries:
            raise ProtocolError(400, "missing 'query' parameter in the form body")
    elif request.mimetype == "application/sparql-query":
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in {"utf-8", "utf8"}:
            raise ProtocolError(415, f"a SPARQL query body must be UTF-8, not {charset}")
        if "query" in request.args:
            raise ProtocolError(400, "a query was given both in the URL and as the request body")
        try:
            queries = [request.get_data(cache=False).decode("utf-8")]
        except UnicodeDecodeError as error:
            raise ProtocolError(400, f"the query body is not valid UTF-8: {error}") from None
    elif not request.mimetype:
        raise ProtocolError(
            415,
            "POST needs a Content-Type: application/sparql-query (the query as the body) "
            "or application/x-www-form-urlencoded (query=...)",
        )
    else:
        raise ProtocolError(
            415,
            f"unsupported Content-Type {request.mimetype!r} for a query: use "
            "application/sparql-query or application/x-www-form-urlencoded",
        )
    if len(queries) > 1:
        raise ProtocolError(400, f"{len(queries)} 'query' parameters given; send exactly one query")
    return queries[0] if queries else None


def _refuse_updates() -> None:
    """SPARQL Update is part of the protocol but not of this public, read-only endpoint."""
    update_params = [name for name in ("update", "using-graph-uri", "using-named-graph-uri") if params(name)]
    if request.mimetype == "application/sparql-update" or update_params:
        raise ProtocolError(
            403,
            "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...) is not "
            "accepted; the graph changes only when a new build is published",
            {"Allow": "GET, HEAD, POST, OPTIONS"},
        )


def _graph_list(name: str) -> tuple[str, ...]:
    graphs = tuple(params(name))
    for graph in graphs:
        try:
            ox.NamedNode(graph)
        except ValueError:
            raise ProtocolError(400, f"{name} {graph!r} is not an absolute IRI") from None
    return graphs


def _dataset(has_dataset_clause: bool | None) -> Dataset:
    """The protocol's dataset; without one, the union default graph unless the query has FROM /
    FROM NAMED (None: not known here — the query child decides on its own reading)."""
    default_graphs, named_graphs = _graph_list("default-graph-uri"), _graph_list("named-graph-uri")
    if default_graphs or named_graphs:
        return Dataset(union=False, default_graphs=default_graphs, named_graphs=named_graphs)
    # pyoxigraph's union flag would override the query's own FROM / FROM NAMED.
    return Dataset(union=None if has_dataset_clause is None else not has_dataset_clause)


# What each kind of answer can be written as, and how a 406 names it.
OFFERED: dict[str, tuple[tuple[MediaType, ...], str]] = {
    "SELECT": (RESULT_TYPES, "a SELECT query"),
    "ASK": (ASK_TYPES, "an ASK query"),
    "GRAPH": (GRAPH_TYPES, "a CONSTRUCT or DESCRIBE query"),
}


def _media_by_form() -> dict[str, str | None]:
    """The negotiated response type for each kind of answer (None: 406), decided before the query's
    form is known; the query child picks the one for the form it reads."""
    choices: dict[str, str | None] = {}
    for kind, (offered, _) in OFFERED.items():
        format_name = param("format")
        if kind == "GRAPH" and format_name and format_name.lower() in GRAPH_FORMAT_ALIASES:
            format_name = GRAPH_FORMAT_ALIASES[format_name.lower()]
        media = negotiate(request.accept_mimetypes, offered, format_name)
        choices[kind] = media.media_type if media is not None else None
    return choices


def _base_iri() -> str:
    """The base relative IRIs in queries resolve against: configured (BASE_IRI, by default the
    resource namespace), never taken from the request's Host header."""
    config = current_app.config
    return str(config.get("BASE_IRI") or config.get("RESOURCE_BASE") or PREFIXES["kzid"])


def _front_shape(query: str, choices: Mapping[str, str | None]) -> tuple[Canonical, str]:
    """For a remote store: read the query in front (linear, see sparql_scan), refuse what it may
    not do, and pick the response type for its form. The store is sent the canonical text of that
    one reading, never the client's (what was checked is what runs, as with the embedded store's
    children); an undeclared prefix or an empty query is said here in words, as the embedded
    store's children say it, instead of in the store's own terms."""
    try:
        canonical = canonicalise(query, PREFIXES, _base_iri())
    except ScanError as error:
        raise ProtocolError(400, error.message) from None
    check_shape(canonical.shape, current_app.config.get("SERVICE_ALLOWLIST") or ())
    # A text that is no SPARQL query at all (a store's DEFINE pragma, say) is the backend's to name.
    if canonical.problem is not None and (canonical.shape.form in QUERY_FORMS or not canonical.text):
        raise ProtocolError(400, canonical.problem)
    return canonical, _media_for(canonical.shape.form, choices)


def _media_for(form: str | None, choices: Mapping[str, str | None]) -> str:
    """The negotiated type for a query form; 406 when the client accepts none of its types."""
    if form == "UPDATE":
        return RESULT_TYPES[0].media_type  # refused (403) by whoever reads the whole query
    kind = "GRAPH" if form in {"CONSTRUCT", "DESCRIBE"} else "ASK" if form == "ASK" else "SELECT"
    media_type = choices[kind]
    if media_type is None:
        if form is not None:
            raise not_acceptable(*OFFERED[kind])
        # unparseable: let the parser's message win over a 406
        media_type = next((m for m in choices.values() if m), RESULT_TYPES[0].media_type)
    return media_type


# --- the endpoint ---------------------------------------------------------------------------


@bp.route("/sparql/", methods=["GET", "POST", "OPTIONS"], provide_automatic_options=False)
@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"], provide_automatic_options=False)  # canonical: url_for picks it
def endpoint() -> Response | WerkzeugResponse:
    """SPARQL 1.1 Protocol query operation; without a query, the service description."""
    if request.method == "OPTIONS":
        return Response(status=204, headers=PREFLIGHT_HEADERS)
    _refuse_updates()
    query = _read_query()
    if query is None:
        return service_description()
    return answer_query(query)


def answer_query(query: str) -> Response:
    """Answer a query. With the embedded store nothing here reads the query text: the query child
    does (under the time and memory limits), decides on that reading and runs exactly it; this
    side negotiates the response type for every form, keys the cache and relays the answer."""
    config = current_app.config
    backend = graph_service().backend
    wants_html = _prefers_html()
    choices = dict(HTML_SOURCES) if wants_html else _media_by_form()
    allowlist = tuple(config.get("SERVICE_ALLOWLIST") or ())
    base_iri = _base_iri()
    shape: QueryShape | None = None
    runs = query  # the text the backend gets: the embedded store's child canonicalises it itself
    if isinstance(backend, EmbeddedBackend):
        # The form, read from the prologue only, picks the response type (406, the cache key and
        # the ETag depend on it); the query child reads the whole text again and decides the rest.
        media_type = _media_for(query_form(query), choices)
        dataset = _dataset(None)
    else:
        canonical, media_type = _front_shape(query, choices)
        shape, runs = canonical.shape, canonical.text
        dataset = _dataset(shape.has_dataset_clause)
    state = runtime()
    served = served_now()
    # The results page is an answer of its own (its own cache entry and ETag), made from the JSON
    # or N-Triples answer the backend gives under the same limits as every other format.
    key = (served.build_id, query, dataset, HTML_MEDIA_TYPE if wants_html else media_type, base_iri)
    etag = make_etag(*key)
    if (not_modified := not_modified_response(etag)) is not None:
        return not_modified

    if state.last_build != served.build_id:
        state.cache.clear()  # the build changed: every cached answer is for the old graph
        state.last_build = served.build_id
    alias = request.environ.get(ALIAS_ENVIRON_KEY)
    cached = state.cache.get(key, alias) if etag is not None else None
    if cached is not None:
        return body_response(cached.body, cached.media_type, etag, CACHE_HIT_TIMING)

    started = time.perf_counter()
    job = QueryRequest(
        query=runs,
        shape=shape,
        media_type=media_type,
        dataset=dataset,
        base_iri=base_iri,
        max_results=int(config["MAX_RESULTS"]),
        prefixes=PREFIXES,
        media_by_form=choices,
        service_allowlist=allowlist,
    )
    try:
        answer: Answer = backend.query(served, job, timeout=float(config["QUERY_TIMEOUT"]))
    except NotAcceptable as refused:
        raise not_acceptable(*OFFERED[refused.kind]) from None
    body, answered_as = answer.body, answer.media_type
    if wants_html:
        body, answered_as = _results_page(query, answer).encode("utf-8"), HTML_MEDIA_TYPE
    total_ms = (time.perf_counter() - started) * 1000
    if etag is not None:
        state.cache.put(
            key, CachedResponse(body, answered_as, answer.count, prerender(state, body, answered_as, etag)), alias
        )
    timing = f"query;dur={answer.evaluate_seconds * 1000:.2f}, total;dur={total_ms:.2f}"
    return body_response(body, answered_as, etag, timing)


# --- the results page for browsers ----------------------------------------------------------

HTML_MEDIA_TYPE = "text/html"
# What the backend is asked for when a browser gets the results page: formats read back here.
HTML_SOURCES: dict[str, str | None] = {
    "SELECT": "application/sparql-results+json",
    "ASK": "application/sparql-results+json",
    "GRAPH": "application/n-triples",
}
# The download links of the results page, by kind of answer.
RESULT_DOWNLOADS = ("json", "xml", "csv", "tsv")
GRAPH_DOWNLOADS = ("ttl", "nt", "jsonld", "rdfxml", "trig", "nq")
SPARQL_MEDIA_TYPES: tuple[str, ...] = tuple(
    {m.media_type for m in (*RESULT_TYPES, *GRAPH_TYPES)} | {a for a, c in ALIASES.items() if c in BY_MEDIA_TYPE}
)


def _prefers_html() -> bool:
    """Whether the client is a browser that opened a query link: it prefers text/html over every
    type the endpoint answers SPARQL in (browsers send ``text/html,...,*/*;q=0.8``; SPARQLWrapper,
    YASGUI and curl's ``*/*`` never prefer HTML, so they get the SPARQL formats as before). An
    explicit ``format=`` always wins."""
    if param("format"):
        return False
    accept = request.accept_mimetypes
    html = max(accept.quality(media_type) for media_type in HTML_TYPES)
    return html > 0 and all(accept.quality(media_type) < html for media_type in SPARQL_MEDIA_TYPES)


@dataclass(frozen=True)
class Cell:
    """One term as the results page shows it: its text, a link for IRIs (``iri``, the term itself,
    for the link's title), and a note (language or datatype of a literal)."""

    text: str
    href: str | None = None
    note: str | None = None
    iri: str | None = None


def _iri_cell(iri: str) -> Cell:
    """An IRI's cell. Ours link to this server, not to w3id.org: a resource to its /id/… page and a
    kz: term to its entry on /ontology (issue #14: the term links led off-site, to a namespace
    document a reader offline or before w3id.org redirects cannot open)."""
    return Cell(_compact(iri), href=local_href(iri), iri=iri)


def _compact(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _json_cell(term: Mapping[str, Any] | None) -> Cell | None:
    """A term of a SPARQL JSON result (1.1 and SPARQL-star's "triple")."""
    if term is None:
        return None
    kind, value = term["type"], term["value"]  # every SPARQL JSON term has both
    if kind == "uri":
        return _iri_cell(value)
    if kind == "bnode":
        return Cell(f"_:{value}")
    if kind == "triple":
        parts = [_json_cell(value.get(part)) for part in ("subject", "predicate", "object")]
        return Cell("<< " + " ".join(p.text if p else "?" for p in parts) + " >>")
    note = (
        f"@{term['xml:lang']}"
        if "xml:lang" in term
        else f"^^{_compact(term['datatype'])}"
        if "datatype" in term
        else None
    )
    return Cell(str(value), note=note)


def _ox_cell(term: Any) -> Cell:
    if isinstance(term, ox.NamedNode):
        return _iri_cell(term.value)
    if isinstance(term, ox.BlankNode):
        return Cell(f"_:{term.value}")
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        note = (
            f"@{term.language}" if term.language else None if datatype == str(XSD.string) else f"^^{_compact(datatype)}"
        )
        return Cell(term.value, note=note)
    return Cell(str(term))  # a quoted triple


def _results_page(query: str, answer: Answer) -> str:
    """The HTML results page of an answer given as HTML_SOURCES: the table, the boolean or the
    triples, a link that opens the query in the editor and a download link for every format."""
    columns: list[str] = []
    rows: list[list[Cell | None]] = []
    boolean: bool | None = None
    if answer.media_type == "application/n-triples":
        kind = "GRAPH"
        columns = ["subject", "predicate", "object"]
        rows = [
            [_ox_cell(q.subject), _ox_cell(q.predicate), _ox_cell(q.object)]
            for q in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)
        ]
    else:
        data = json.loads(answer.body)
        if "boolean" in data:
            kind, boolean = "ASK", bool(data["boolean"])
        else:
            kind = "SELECT"
            columns = list(data["head"].get("vars", []))
            rows = [[_json_cell(binding.get(name)) for name in columns] for binding in data["results"]["bindings"]]
    dataset = [(name, value) for name in ("default-graph-uri", "named-graph-uri") for value in params(name)]
    endpoint_path = url_for("sparql.endpoint")
    downloads = [
        (name, endpoint_path + "?" + urlencode([("query", query), *dataset, ("format", name)]))
        for name in (GRAPH_DOWNLOADS if kind == "GRAPH" else RESULT_DOWNLOADS)
    ]
    return render_template(
        "sparql_results.html",
        query=query,
        kind=kind,
        columns=columns,
        rows=rows,
        boolean=boolean,
        downloads=downloads,
        editor=url_for("pages.index") + "#query=" + quote(query, safe=""),
    )
