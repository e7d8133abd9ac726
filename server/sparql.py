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
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as WerkzeugResponse

from kzkg.assertions import ASSERTION_BASE
from kzkg.namespaces import PREFIXES
from kzkg.store import CURRENT_LINK, NoReleaseError
from kzkg_server.backend import Answer, EmbeddedBackend, QueryRequest, Served, Statistics
from kzkg_server.executor import Dataset, NotAcceptable, QueryError, check_shape, in_memory
from kzkg_server.media import ALIASES, BY_MEDIA_TYPE, GRAPH_TYPES, RESULT_TYPES, MediaType, negotiate
from kzkg_server.sparql_scan import Canonical, QueryShape, ScanError, canonicalise, query_form
from kzkg_server.state import GraphService

bp = Blueprint("sparql", __name__)

EXTENSION = "kzkg_sparql"
ASK_TYPES: tuple[MediaType, ...] = tuple(
    m for m in RESULT_TYPES if m.media_type in {"application/sparql-results+json", "application/sparql-results+xml"}
)
SD_TYPES: tuple[MediaType, ...] = GRAPH_TYPES
HTML_TYPES = ("text/html", "application/xhtml+xml")
QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
# Short names that mean "the JSON / XML one" for whatever the query returns (as Fuseki does).
GRAPH_FORMAT_ALIASES = {"json": "jsonld", "xml": "rdfxml"}
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
# Server-Timing of an answer given from the response cache.
CACHE_HIT_TIMING = "cache;desc=hit"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Content-Type, Server-Timing",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match, Cache-Control",
    "Access-Control-Max-Age": "86400",
}

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_ANY_URI = ox.NamedNode("http://www.w3.org/2001/XMLSchema#anyURI")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
DESCRIPTION_PREFIXES = {**PREFIXES, "sd": SD, "formats": "http://www.w3.org/ns/formats/", "sh": SH}


class ProtocolError(Exception):
    """A request the protocol does not allow; answered as text/plain with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


# --- per-process state ----------------------------------------------------------------------


@dataclass(frozen=True)
class Prerendered:
    """The exact WSGI status and header lists the Flask path gives for a cached answer, made once
    when the answer is stored, so the fast path (:mod:`kzkg_server.fastcache`) sends the same bytes
    without running Flask: a 200 served from cache and the 304 for a matching If-None-Match."""

    etag: str  # unquoted, as If-None-Match values are compared
    status: str
    headers: tuple[tuple[str, str], ...]
    not_modified_status: str
    not_modified_headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    media_type: str
    count: int | None
    wsgi: Prerendered | None = None


# The WSGI environ key under which the fast path hands the Flask path the request's alias (its raw
# fields, see kzkg_server.fastcache.request_alias); only requests the fast path may answer get one.
ALIAS_ENVIRON_KEY = "kzkg.response_alias"
# Raw-request aliases kept per cached answer: a few Accept spellings (browser, curl, a library)
# reach the fast path; more variants are still answered from the cache, through Flask.
MAX_ALIASES_PER_ENTRY = 4


class ResponseCache:
    """An LRU of serialised responses, bounded in entries and in bytes.

    Besides its cache key (build id, query, dataset, media type, base IRI: what the answer depends
    on, known only after Flask has parsed and negotiated), an entry can be found by *aliases*: the
    raw request fields that were seen to produce that key. The fast path looks answers up by alias,
    so it never parses a query or negotiates; an alias lives and dies with its entry, and its bytes
    count against ``max_bytes`` like the body's. ``hits`` counts every answer given from the cache,
    ``fast_hits`` those given by alias before Flask.
    """

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries = max(0, int(max_entries))
        self.max_bytes = max(0, int(max_bytes))
        self._entries: OrderedDict[tuple[Any, ...], CachedResponse] = OrderedDict()
        self._aliases: dict[Hashable, tuple[Any, ...]] = {}
        self._aliases_of: dict[tuple[Any, ...], list[tuple[Hashable, int]]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.fast_hits = 0

    def get(self, key: tuple[Any, ...], alias: Hashable | None = None) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            if alias is not None:
                self._add_alias(key, alias)
            return entry

    def get_by_alias(self, alias: Hashable, build_id: str) -> CachedResponse | None:
        """The entry a raw request was seen to map to, if it is still cached and of ``build_id``."""
        with self._lock:
            key = self._aliases.get(alias)
            if key is None or key[0] != build_id:
                return None
            entry = self._entries.get(key)
            if entry is None or entry.wsgi is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            self.fast_hits += 1
            return entry

    def put(self, key: tuple[Any, ...], entry: CachedResponse, alias: Hashable | None = None) -> None:
        size = len(entry.body)
        if self.max_entries == 0 or size > self.max_bytes // 8:
            return  # one huge result must not flush everything else
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += size
            if alias is not None:
                self._add_alias(key, alias)
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._aliases.clear()
            self._aliases_of.clear()
            self._bytes = 0

    # The helpers below run with self._lock held.

    def _add_alias(self, key: tuple[Any, ...], alias: Hashable) -> None:
        previous = self._aliases.get(alias)
        if previous == key:
            return
        if previous is not None:
            # The same raw request now means another key: an answer of an older build stored after
            # the cache was emptied for the new one. The alias follows the newest answer.
            self._forget_alias(previous, alias)
        known = self._aliases_of.setdefault(key, [])
        size = _alias_size(alias)
        if len(known) >= MAX_ALIASES_PER_ENTRY or size > self.max_bytes // 8:
            return  # enough spellings of this answer; further ones are still answered, by Flask
        self._aliases[alias] = key
        known.append((alias, size))
        self._bytes += size
        self._evict()

    def _forget_alias(self, key: tuple[Any, ...], alias: Hashable) -> None:
        del self._aliases[alias]
        known = self._aliases_of.get(key, [])
        for index, (other, size) in enumerate(known):
            if other == alias:
                del known[index]
                self._bytes -= size
                return

    def _drop(self, key: tuple[Any, ...]) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)
        for alias, size in self._aliases_of.pop(key, ()):
            del self._aliases[alias]
            self._bytes -= size

    def _evict(self) -> None:
        while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
            self._drop(next(iter(self._entries)))


def _alias_size(alias: Hashable) -> int:
    """Bytes an alias holds, roughly: its strings (the query string dominates)."""
    parts = alias if isinstance(alias, tuple) else (alias,)
    return 64 + sum(len(part) for part in parts if isinstance(part, (str, bytes)))


@dataclass
class Runtime:
    """What one server process keeps for the endpoint: its response cache and statistics.

    Created by the first request in each process (after gunicorn's fork, never before), which
    also starts the backend's per-process resources (the embedded store's executor children).
    """

    pid: int
    cache: ResponseCache
    last_build: str | None = None
    statistics: dict[str, Statistics] = field(default_factory=dict)
    # The embedded store's `current` link target and the build id it names, as the fast path last
    # resolved them: a readlink that gives the same target needs no path resolution.
    link_target: tuple[str, str] | None = None
    # The 304 the Flask path gives, rendered once (see _not_modified_template).
    not_modified: tuple[str, tuple[tuple[str, str], ...]] | None = None


@dataclass
class RuntimeHolder:
    lock: threading.Lock = field(default_factory=threading.Lock)
    runtime: Runtime | None = None


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(EXTENSION, RuntimeHolder())


def runtime(app: Flask | None = None) -> Runtime:
    """This process's endpoint runtime (a forked child process makes its own)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    holder: RuntimeHolder = app.extensions[EXTENSION]
    with holder.lock:
        current = holder.runtime
        if current is None or current.pid != os.getpid():
            config = app.config
            current = holder.runtime = Runtime(
                pid=os.getpid(),
                cache=ResponseCache(
                    int(config.get("QUERY_CACHE_SIZE", 1024)), int(config.get("QUERY_CACHE_MAX_BYTES", 64_000_000))
                ),
            )
            _service(app).backend.start()
        return current


def _service(app: Flask | None = None) -> GraphService:
    return (app or current_app).extensions["kzkg"]


def _served() -> Served:
    """What is served now; 503 before the first build, the backend's error when its store is down."""
    try:
        return _service().served()
    except NoReleaseError as missing:
        raise ProtocolError(503, f"no graph is published yet: {missing}") from None


def _endpoint_url() -> str:
    return url_for("sparql.endpoint", _external=True)


# --- responses ------------------------------------------------------------------------------


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")
    response.headers.update(CORS_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(dict(headers or {}))
    return response


@bp.errorhandler(ProtocolError)
def _protocol_error(error: ProtocolError) -> Response:
    return _text(error.status, error.message, error.headers)


@bp.errorhandler(QueryError)
def _query_error(error: QueryError) -> Response:
    return _text(error.status, error.message)


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
    return _text(413, message)


def _not_acceptable(offered: tuple[MediaType, ...], what: str) -> ProtocolError:
    choices = ", ".join(f"{m.media_type} (format={m.names[0]})" for m in offered)
    return ProtocolError(
        406,
        f"cannot produce any of the requested types ({request.headers.get('Accept', '')!r}"
        f"{', format=' + repr(_param('format')) if _param('format') else ''}) for {what}; "
        f"available: {choices}",
    )


def _cacheable(response: Response, etag: str | None) -> Response:
    """Validators and caching headers; without an ETag (a remote store with no build id, so no way
    to tell when its answers change) the answer must be revalidated every time."""
    response.headers.update(CORS_HEADERS)
    response.headers["Vary"] = "Accept, Accept-Encoding"
    if etag is None:
        response.headers["Cache-Control"] = "no-cache"
        return response
    response.set_etag(etag.strip('"'))
    response.headers["Cache-Control"] = f"public, max-age={int(current_app.config.get('SPARQL_CACHE_MAX_AGE', 300))}"
    return response


def _etag(*parts: Any) -> str | None:
    """An ETag of the parts, led by the build id (None: no build id, no ETag)."""
    if parts[0] is None:
        return None
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]
    return f'"{parts[0]}-{digest}"'


def _not_modified(etag: str | None) -> Response | None:
    if (
        etag is not None
        and request.method in {"GET", "HEAD"}
        and request.if_none_match
        and request.if_none_match.contains_weak(etag.strip('"'))
    ):
        return _cacheable(Response(status=304), etag)
    return None


def _body_response(body: bytes, media_type: str, etag: str | None, timing: str | None = None) -> Response:
    response = Response(body, mimetype=media_type)
    if timing:
        response.headers["Server-Timing"] = timing
    return _cacheable(response, etag)


# --- reading the request --------------------------------------------------------------------


def _param(name: str) -> str | None:
    values = _params(name)
    return values[0] if values else None


def _params(name: str) -> list[str]:
    """A parameter from the URL and, for form posts, the body (the W3C tests mix both)."""
    values = request.args.getlist(name)
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.getlist(name)
    return values


def _read_query() -> str | None:
    """The query text per SPARQL 1.1 Protocol §2.1, or None for a GET without one."""
    if request.method in {"GET", "HEAD"}:
        queries = request.args.getlist("query")
    elif request.mimetype == "application/x-www-form-urlencoded":
        queries = _params("query")
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
    update_params = [name for name in ("update", "using-graph-uri", "using-named-graph-uri") if _params(name)]
    if request.mimetype == "application/sparql-update" or update_params:
        raise ProtocolError(
            403,
            "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...) is not "
            "accepted; the graph changes only when a new build is published",
            {"Allow": "GET, HEAD, POST, OPTIONS"},
        )


def _graph_list(name: str) -> tuple[str, ...]:
    graphs = tuple(_params(name))
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
        format_name = _param("format")
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
            raise _not_acceptable(*OFFERED[kind])
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
    backend = _service().backend
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
    served = _served()
    # The results page is an answer of its own (its own cache entry and ETag), made from the JSON
    # or N-Triples answer the backend gives under the same limits as every other format.
    key = (served.build_id, query, dataset, HTML_MEDIA_TYPE if wants_html else media_type, base_iri)
    etag = _etag(*key)
    if (not_modified := _not_modified(etag)) is not None:
        return not_modified

    if state.last_build != served.build_id:
        state.cache.clear()  # the build changed: every cached answer is for the old graph
        state.last_build = served.build_id
    alias = request.environ.get(ALIAS_ENVIRON_KEY)
    cached = state.cache.get(key, alias) if etag is not None else None
    if cached is not None:
        return _body_response(cached.body, cached.media_type, etag, CACHE_HIT_TIMING)

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
        raise _not_acceptable(*OFFERED[refused.kind]) from None
    body, answered_as = answer.body, answer.media_type
    if wants_html:
        body, answered_as = _results_page(query, answer).encode("utf-8"), HTML_MEDIA_TYPE
    total_ms = (time.perf_counter() - started) * 1000
    if etag is not None:
        state.cache.put(
            key, CachedResponse(body, answered_as, answer.count, _prerender(state, body, answered_as, etag)), alias
        )
    timing = f"query;dur={answer.evaluate_seconds * 1000:.2f}, total;dur={total_ms:.2f}"
    return _body_response(body, answered_as, etag, timing)


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
    if _param("format"):
        return False
    accept = request.accept_mimetypes
    html = max(accept.quality(media_type) for media_type in HTML_TYPES)
    return html > 0 and all(accept.quality(media_type) < html for media_type in SPARQL_MEDIA_TYPES)


@dataclass(frozen=True)
class Cell:
    """One term as the results page shows it: its text, a link for IRIs, and a note (language or
    datatype of a literal)."""

    text: str
    href: str | None = None
    note: str | None = None


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
        return Cell(_compact(value), href=value)
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
        return Cell(_compact(term.value), href=term.value)
    if isinstance(term, ox.BlankNode):
        return Cell(f"_:{term.value}")
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        note = (
            f"@{term.language}"
            if term.language
            else None
            if datatype == "http://www.w3.org/2001/XMLSchema#string"
            else f"^^{_compact(datatype)}"
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
    dataset = [(name, value) for name in ("default-graph-uri", "named-graph-uri") for value in _params(name)]
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


def _prerender(state: Runtime, body: bytes, media_type: str, etag: str) -> Prerendered:
    """What Flask will send for this answer once it is cached, as WSGI status and headers: made
    by the very functions the Flask path answers with, so both paths give the same bytes.

    The 304 differs between answers only by its ETag, so it is rendered once per process (with a
    placeholder ETag, see :func:`_not_modified_template`) and the ETag put in: rendering it for
    every stored answer cost as much again as the 200 (~40 µs of every cache miss).
    """
    hit = _body_response(body, media_type, etag, CACHE_HIT_TIMING)
    not_modified_status, template = _not_modified_template(state)
    quoted = hit.headers["ETag"]
    return Prerendered(
        etag=etag.strip('"'),
        status=hit.status,
        headers=tuple(hit.get_wsgi_headers(request.environ).to_wsgi_list()),
        not_modified_status=not_modified_status,
        not_modified_headers=tuple((name, quoted if value == ETAG_PLACEHOLDER else value) for name, value in template),
    )


# Stands for the ETag in the 304 rendered once per process; no real ETag (build id and digest
# in hex, quoted) can equal it.
ETAG_PLACEHOLDER = '"kzkg etag placeholder"'


def _not_modified_template(state: Runtime) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The status and WSGI headers of the Flask path's 304, with ETAG_PLACEHOLDER as the ETag."""
    if state.not_modified is None:
        response = _cacheable(Response(status=304), ETAG_PLACEHOLDER)
        state.not_modified = (response.status, tuple(response.get_wsgi_headers(request.environ).to_wsgi_list()))
    return state.not_modified


def cached_answer(app: Flask, alias: Hashable) -> tuple[bytes, Prerendered] | None:
    """The cached answer to a request known by its raw fields, for the fast path; None when Flask
    must answer: the process has no runtime yet, nothing is served (no build, remote store down:
    Flask gives the error), the build changed since the cache was filled (Flask empties it), or
    the request was never seen to produce a cached answer of the current build."""
    holder: RuntimeHolder = app.extensions[EXTENSION]
    state = holder.runtime
    if state is None or state.pid != os.getpid():
        return None
    try:
        build_id = _served_build_id(_service(app), state)
    except (NoReleaseError, QueryError, OSError):
        return None
    if build_id is None or build_id != state.last_build:
        return None
    entry = state.cache.get_by_alias(alias, build_id)
    if entry is None or entry.wsgi is None:
        return None
    return entry.body, entry.wsgi


def _served_build_id(service: GraphService, state: Runtime) -> str | None:
    """The build id served now, as ``service.served()`` gives it, for one readlink with the
    embedded store (``served()`` resolves the whole path every time, ~40 µs: as much as the rest
    of the fast path together).

    A build is published by re-pointing ``current`` at ``releases/<build id>``, so the link's target
    changes whenever the build does; the id is resolved from the target just read, exactly as
    :func:`kzkg.store.current_release` resolves it, and reused while readlink gives that target.
    """
    if not isinstance(service.backend, EmbeddedBackend):
        return service.served().build_id
    link = service.build_dir / CURRENT_LINK
    target = str(link.readlink())  # FileNotFoundError (no build yet) is for Flask to answer
    known = state.link_target
    if known is None or known[0] != target:
        known = state.link_target = (target, (link.parent / target).resolve().name)
    return known[1]


# --- describing the service -----------------------------------------------------------------


def statistics(served: Served) -> Statistics:
    """Triples per named graph and in the union default graph, asked of the backend once per build
    and process (a remote store without a build id is asked every time)."""
    state = runtime()
    known = state.statistics.get(served.build_id) if served.build_id is not None else None
    if known is None:
        known = _service().backend.statistics(served)
        if served.build_id is not None:
            state.statistics = {served.build_id: known}
    return known


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match([m.media_type for m in SD_TYPES] + list(HTML_TYPES))
    return best in HTML_TYPES


def _graph_response(triples: Iterable[ox.Triple], etag: str | None, what: str) -> Response:
    media = negotiate(request.accept_mimetypes, SD_TYPES, _param("format"))
    if media is None:
        raise _not_acceptable(SD_TYPES, what)
    if (not_modified := _not_modified(etag)) is not None:
        return not_modified
    body = ox.serialize(list(triples), format=media.rdf, prefixes=DESCRIPTION_PREFIXES)
    return _body_response(in_memory(body), media.media_type, etag)


def service_description() -> Response | WerkzeugResponse:
    """SPARQL 1.1 Service Description of this endpoint; a browser is sent to the query page."""
    if request.method in {"GET", "HEAD"} and _wants_html() and "format" not in request.args:
        return redirect(request.script_root + "/", code=303)
    served = _served()
    endpoint_iri = _endpoint_url()
    media = negotiate(request.accept_mimetypes, SD_TYPES, _param("format"))
    etag = _etag(served.build_id, "service-description", endpoint_iri, media.media_type if media else None)
    if (not_modified := _not_modified(etag)) is not None:
        return not_modified
    return _graph_response(_service_triples(endpoint_iri, statistics(served)), etag, "the service description")


def _service_triples(endpoint_iri: str, stats: Statistics) -> list[ox.Triple]:
    config = current_app.config
    sd = lambda local: ox.NamedNode(SD + local)  # noqa: E731
    service = ox.NamedNode(endpoint_iri)
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        # No sd:UnionDefaultGraph: claims' assertion graphs are named graphs outside the default graph.
        ox.Triple(service, ox.NamedNode(DCTERMS + "title"), ox.Literal("kzkg SPARQL endpoint")),
        ox.Triple(
            service,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
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
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
            ox.NamedNode(url_for("sparql.void", _external=True)),
        ),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
        ox.Triple(
            default_graph,
            ox.NamedNode(DCTERMS + "description"),
            ox.Literal(
                "The union of all named graphs of the dataset except claims' assertion graphs "
                f"({ASSERTION_BASE}<claim-id>: what a claim asserts, not a fact)."
            ),
        ),
        ox.Triple(
            default_graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(stats.union_triples), datatype=XSD_INTEGER)
        ),
    ]
    if config.get("SERVICE_ALLOWLIST"):
        triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    for media in (*RESULT_TYPES, *GRAPH_TYPES):
        triples.append(
            ox.Triple(
                service,
                sd("resultFormat"),
                ox.NamedNode("http://www.w3.org/ns/formats/" + FORMAT_IRIS[media.media_type]),
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
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(count), datatype=XSD_INTEGER)),
        ]
    for prefix, namespace in PREFIXES.items():  # the predeclared prefixes, as SHACL prefix declarations
        declaration = ox.BlankNode()
        triples += [
            ox.Triple(service, ox.NamedNode(SH + "declare"), declaration),
            ox.Triple(declaration, ox.NamedNode(SH + "prefix"), ox.Literal(prefix)),
            ox.Triple(declaration, ox.NamedNode(SH + "namespace"), ox.Literal(namespace, datatype=XSD_ANY_URI)),
        ]
    return triples


@bp.route("/.well-known/void", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def void() -> Response:
    """The VoID description: the build's own ``void.ttl`` when it wrote one, else one made from the store."""
    if request.method == "OPTIONS":
        return Response(status=204, headers=PREFLIGHT_HEADERS)
    served = _served()
    media = negotiate(request.accept_mimetypes, SD_TYPES, _param("format"))
    etag = _etag(served.build_id, "void", request.url_root, media.media_type if media else None)
    written = served.release.path / "void.ttl" if served.release is not None else None
    if written is not None and written.is_file():
        data = written.read_bytes()
        if media is not None and media.media_type == "text/turtle":
            not_modified = _not_modified(etag)
            return not_modified if not_modified is not None else _body_response(data, media.media_type, etag)
        triples = [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=request.url_root)]
        return _graph_response(triples, etag, "the VoID description")
    if (not_modified := _not_modified(etag)) is not None:
        return not_modified
    return _graph_response(_void_triples(statistics(served)), etag, "the VoID description")


def _void_triples(stats: Statistics) -> list[ox.Triple]:
    void_term = lambda local: ox.NamedNode(VOID + local)  # noqa: E731
    dataset = ox.NamedNode(url_for("sparql.void", _external=True) + "#dataset")
    endpoint_iri = ox.NamedNode(_endpoint_url())
    triples = [
        ox.Triple(dataset, RDF_TYPE, void_term("Dataset")),
        ox.Triple(
            dataset,
            ox.NamedNode(DCTERMS + "title"),
            ox.Literal("kzkg: claims about the January 2022 unrest in Kazakhstan"),
        ),
        ox.Triple(dataset, void_term("sparqlEndpoint"), endpoint_iri),
        ox.Triple(dataset, void_term("triples"), ox.Literal(str(stats.union_triples), datatype=XSD_INTEGER)),
    ]
    for prefix, namespace in PREFIXES.items():
        if prefix in {"kz", "kzid"}:
            triples.append(ox.Triple(dataset, void_term("uriSpace"), ox.Literal(namespace)))
    for name, count in stats.graphs:
        subset = ox.BlankNode()
        triples += [
            ox.Triple(dataset, void_term("subset"), subset),
            ox.Triple(subset, RDF_TYPE, void_term("Dataset")),
            ox.Triple(subset, ox.NamedNode(SD + "name"), ox.NamedNode(name)),
            ox.Triple(subset, void_term("triples"), ox.Literal(str(count), datatype=XSD_INTEGER)),
            ox.Triple(subset, void_term("sparqlEndpoint"), endpoint_iri),
        ]
    return triples
