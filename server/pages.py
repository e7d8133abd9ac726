"""The human face of the graph: the query page and the linked-data pages of every resource.

Every IRI under ``RESOURCE_BASE`` (``https://w3id.org/kzkg/id/``) resolves here at ``/id/<rest>``.
w3id.org sends the public IRIs to this server with a 303 (all ``id/`` IRIs name things — people,
claims, events, articles as works — not web pages), so its ``.htaccess`` in ``kzkg/`` holds::

    RewriteEngine on
    RewriteRule ^id/(.*)$ https://<host>/id/$1 [R=303,L]

and this server then answers with a description of the thing in the type the client asked for:
HTML for a browser, Turtle / JSON-LD / N-Triples / RDF-XML (and TriG / N-Quads, keeping the
article graphs) by ``Accept`` or ``?format=``, negotiated with the shared table in
``kzkg_server.media``; 404 for an IRI the graph does not mention; 406 for a type it cannot write.

Everything is read per request through the served backend's :class:`~kzkg_server.backend.GraphReader`
(the release's read-only store, or a remote SPARQL store behind ``kzkg serve --store``); no graph
is held at module level, so a rebuild is picked up by the next request. A remote reader fetches
a subject's statements in one round trip and labels in batches (``Labeller.warm``), so a page
costs a few dozen queries to the store, not one per label.
"""

from __future__ import annotations

import builtins
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TypeGuard

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from kzkg.enrich import ENRICHMENT_GRAPH
from kzkg.examples import load_examples
from kzkg.namespaces import KZ, OA, PREFIXES
from kzkg.store import NoReleaseError, Release
from kzkg_server.backend import GraphReader, Row, Served, Term
from kzkg_server.enrichment import external_facts, parse_point
from kzkg_server.media import ALIASES, GRAPH_TYPES, MediaType, negotiate

bp = Blueprint("pages", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The query editor is the npm package @zazuko/yasgui, installed by `npm ci --prefix server/static`
# and served from node_modules by Flask's own static route: the page never touches a CDN.
YASGUI_DIR = "node_modules/@zazuko/yasgui/build"
YASGUI_JS = f"{YASGUI_DIR}/yasgui.min.js"
YASGUI_CSS = f"{YASGUI_DIR}/yasgui.min.css"
NPM_INSTALL = "npm ci --prefix server/static --ignore-scripts --no-audit --no-fund"

# HTML is not a serialisation of the graph, so it has no serialiser in the shared table; it is
# offered next to the graph types and rendered with templates.
HTML = MediaType("text/html", ("html", "htm"))
HTML_TYPES = ("text/html", "application/xhtml+xml")
# The graph types in the shared table's order (Turtle first: what `?format=`-less RDF clients that
# accept several syntaxes equally get). TriG and N-Quads keep the article graphs.
RESOURCE_TYPES: tuple[MediaType, ...] = GRAPH_TYPES
# Plain JSON means JSON-LD here (the shared table maps it to SPARQL results, which a resource is not).
JSON_LD = next(m for m in GRAPH_TYPES if m.media_type == "application/ld+json")

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
DCT = "http://purl.org/dc/terms/"
DCT_TITLE = DCT + "title"
LABEL_PREDICATES = (RDFS_LABEL, SKOS_PREF, DCT_TITLE)
# Shown in the page header, so not repeated in the table of facts.
HEADER_PREDICATES = frozenset({RDF_TYPE, RDFS_LABEL, SKOS_ALT, SKOS_EXACT})
# Terms of vocabularies (ours and the W3C's) are links too, but not "leaving to another dataset".
VOCABULARIES = tuple(ns for name, ns in PREFIXES.items() if name not in ("kzid", "wd"))
MAX_INCOMING = 1000
MAX_BNODE_DEPTH = 4

EXTERNAL_SITES = (
    ("http://www.wikidata.org/entity/", "Wikidata"),
    ("https://www.wikidata.org/wiki/", "Wikidata"),
    ("https://sws.geonames.org/", "GeoNames"),
    ("http://sws.geonames.org/", "GeoNames"),
    ("https://www.geonames.org/", "GeoNames"),
    ("http://dbpedia.org/resource/", "DBpedia"),
    ("https://dbpedia.org/resource/", "DBpedia"),
)


# --------------------------------------------------------------------------------------------
# the front-end files


def yasgui_installed() -> bool:
    """Whether the editor's npm files are present; the query page degrades to a form without them."""
    return (STATIC_DIR / YASGUI_JS).is_file() and (STATIC_DIR / YASGUI_CSS).is_file()


# --------------------------------------------------------------------------------------------
# helpers shared by the views


def _reader() -> tuple[Served, GraphReader]:
    """What is served and a reader for this request, or a 503 that says a build is needed.

    A remote store that cannot be reached raises the backend's QueryError, which the app answers
    as a plain-text 502/503/504 (see create_app).
    """
    service = current_app.extensions["kzkg"]
    try:
        served = service.served()
    except NoReleaseError as missing:
        abort(503, description=str(missing))
    return served, service.backend.reader(served, float(current_app.config["QUERY_TIMEOUT"]))


def _base() -> str:
    return current_app.config["RESOURCE_BASE"]


def local_href(iri: str) -> str:
    """Where a browser on this server should go for an IRI: /id/… for ours, the IRI itself otherwise."""
    base = _base()
    if iri.startswith(base) and len(iri) > len(base):
        rest, hash_mark, fragment = iri[len(base) :].partition("#")
        return url_for("pages.resource", rest=rest) + hash_mark + fragment
    return iri


# The terms of RDF 1.1: what every query here binds and every view prints.
Plain = ox.NamedNode | ox.BlankNode | ox.Literal
PlainRow = dict[str, Plain]


def _rdf11(term: Term, where: str) -> Plain:
    """The term narrowed to RDF 1.1.

    The graph holds no RDF-star triples, so no statement or query of the pages yields one; a store
    answering one anyway is a bug, reported here by name rather than as a missing ``.value`` deep
    in a page.
    """
    if isinstance(term, ox.Triple):
        raise TypeError(f"{where} is the RDF-star triple {term}, which the pages do not expect")
    return term


def _node(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> ox.NamedNode | ox.BlankNode:
    """A statement's subject narrowed to RDF 1.1 (see _rdf11)."""
    if isinstance(term, ox.Triple):
        raise TypeError(f"the subject {term} is an RDF-star triple, which the pages do not expect")
    return term


def _plain(rows: list[Row]) -> list[PlainRow]:
    """The solutions with their types narrowed to RDF 1.1 terms (see _rdf11)."""
    return [{name: _rdf11(term, f"?{name}") for name, term in row.items()} for row in rows]


def _select(store: GraphReader, query: str, this: ox.NamedNode) -> list[PlainRow]:
    """Run a SELECT about one resource, written with ``?this`` where the resource goes.

    ``?this`` becomes the IRI token ``<…>``: the IRI was validated by ox.NamedNode, which refuses
    every character that could end the token (``>``, quotes, braces, spaces), so nothing can be
    injected. (pyoxigraph's ``substitutions`` would also do, but binds only at the top of the query,
    which leaves ``BIND(?this …)`` in a group unbound and makes the engine scan before filtering.)
    All graphs are queried as one: facts live in per-article and entity graphs.
    """
    rows = _plain(store.select(query.replace("?this", str(this))))
    store.warm((term for row in rows for term in row.values() if isinstance(term, ox.NamedNode)), LABEL_PREDICATES)
    return rows


def _number(term: Plain | None) -> int | None:
    if term is None:
        return None
    try:
        return int(term.value)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# labels and terms as the templates see them


@dataclass
class TermView:
    """An RDF term ready to print: a link with a label, a literal, or a blank node's own facts."""

    kind: str  # "iri" | "literal" | "bnode"
    value: str
    label: str = ""
    href: str = ""
    local: bool = False
    external: bool = False  # another site's resource (Wikidata, GeoNames…), marked as leaving
    lang: str | None = None
    datatype: str | None = None
    facts: list[FactGroup] = field(default_factory=list)


@dataclass
class FactGroup:
    """One predicate and its values (facts out) or its subjects (facts in)."""

    predicate: TermView
    values: list[TermView]


class Labeller:
    """Labels for IRIs, looked up in the store once each per request."""

    def __init__(self, store: GraphReader, base: str):
        self.store = store
        self.base = base
        self.cache: dict[str, str] = {}

    def label(self, iri: str) -> str:
        if iri not in self.cache:
            self.cache[iri] = self._lookup(iri) or self._fallback(iri)
        return self.cache[iri]

    def warm(self, terms: Iterable[ox.NamedNode | ox.BlankNode | ox.Literal]) -> None:
        """Announce the IRIs about to be labelled, so a remote reader fetches their labels in one
        round trip (the embedded reader ignores it)."""
        self.store.warm(
            (t for t in terms if isinstance(t, ox.NamedNode) and t.value not in self.cache), LABEL_PREDICATES
        )

    def has_label(self, iri: str) -> bool:
        return bool(self._lookup(iri))

    def _lookup(self, iri: str) -> str:
        node = ox.NamedNode(iri)
        for predicate in LABEL_PREDICATES:
            found = [
                q.object
                for q in self.store.quads(node, ox.NamedNode(predicate), None)
                if isinstance(q.object, ox.Literal)
            ]
            if found:
                english = [lit for lit in found if (lit.language or "en").startswith("en")]
                return sorted(lit.value for lit in (english or found))[0]
        return ""

    def _fallback(self, iri: str) -> str:
        for prefix, site in EXTERNAL_SITES:
            if iri.startswith(prefix):
                return f"{site} {iri[len(prefix) :].strip('/')}"
        for name, namespace in PREFIXES.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{name}:{iri[len(namespace) :]}"
        return iri

    def term(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, depth: int = 0) -> TermView:
        if isinstance(term, ox.NamedNode):
            local = term.value.startswith(self.base)
            vocabulary = term.value.startswith(VOCABULARIES)
            return TermView(
                "iri", term.value, self.label(term.value), local_href(term.value), local, not (local or vocabulary)
            )
        if isinstance(term, ox.Literal):
            lang = term.language
            datatype = None if lang or term.datatype.value.endswith("#string") else self._fallback(term.datatype.value)
            return TermView("literal", term.value, term.value, lang=lang, datatype=datatype)
        if isinstance(term, ox.BlankNode):
            facts = self.facts_out(term, depth=depth + 1) if depth < MAX_BNODE_DEPTH else []
            return TermView("bnode", term.value, "", facts=facts)
        return TermView("literal", str(term), str(term))

    def facts_out(
        self, subject: ox.NamedNode | ox.BlankNode, depth: int = 0, skip: frozenset[str] = frozenset()
    ) -> list[FactGroup]:
        grouped: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]] = defaultdict(list)
        for quad in self.store.quads(subject, None, None):
            if quad.predicate.value in skip or quad.object in grouped[quad.predicate.value]:
                continue
            grouped[quad.predicate.value].append(_rdf11(quad.object, "an object"))
        self.warm([ox.NamedNode(p) for p in grouped] + [o for objs in grouped.values() for o in objs])
        return [
            FactGroup(self.term(ox.NamedNode(p)), [self._value(subject, o, depth) for o in sorted(objs, key=_sort_key)])
            for p, objs in sorted(grouped.items(), key=lambda item: self.label(item[0]))
            if objs
        ]

    def _value(
        self, subject: ox.NamedNode | ox.BlankNode, obj: ox.NamedNode | ox.BlankNode | ox.Literal, depth: int
    ) -> TermView:
        """A value in the facts table; a hash IRI of the subject shows its own facts in place."""
        view = self.term(obj, depth)
        if _is_part_of(obj, subject) and depth < MAX_BNODE_DEPTH:
            view.facts = self.facts_out(obj, depth=depth + 1)
        return view

    def facts_in(self, obj: ox.NamedNode) -> tuple[list[FactGroup], bool]:
        grouped: dict[str, list[ox.NamedNode | ox.BlankNode]] = defaultdict(list)
        truncated = False
        for count, quad in enumerate(self.store.quads(None, None, obj, limit=MAX_INCOMING + 1)):
            if count >= MAX_INCOMING:
                truncated = True
                break
            subject = _node(quad.subject)
            if isinstance(subject, ox.BlankNode):
                subject = self._named_ancestor(subject) or subject
            if subject not in grouped[quad.predicate.value]:
                grouped[quad.predicate.value].append(subject)
        self.warm([ox.NamedNode(p) for p in grouped] + [s for subs in grouped.values() for s in subs])
        groups = [
            FactGroup(
                self.term(ox.NamedNode(p)),
                [
                    self.term(s, MAX_BNODE_DEPTH)
                    for s in sorted(
                        subs,
                        key=lambda s: (self.label(s.value), s.value) if isinstance(s, ox.NamedNode) else ("", s.value),
                    )
                ],
            )
            for p, subs in sorted(grouped.items(), key=lambda item: self.label(item[0]))
        ]
        return groups, truncated

    def _named_ancestor(self, node: ox.BlankNode, depth: int = 0) -> ox.NamedNode | None:
        """The IRI a blank node hangs from (an annotation's target hangs from the annotation)."""
        for quad in self.store.quads(None, None, node):
            if isinstance(quad.subject, ox.NamedNode):
                return quad.subject
            if isinstance(quad.subject, ox.BlankNode) and depth < MAX_BNODE_DEPTH:
                found = self._named_ancestor(quad.subject, depth + 1)
                if found:
                    return found
        return None


def _sort_key(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> tuple[int, str]:
    return (0 if isinstance(term, ox.Literal) else 1, term.value)


# --------------------------------------------------------------------------------------------
# the query page


@bp.get("/")
def index() -> str:
    """The query page: YASGUI on this server's /sparql, the named examples, and a plain form."""
    examples = load_examples()
    chosen = request.args.get("example")
    selected = next((e for e in examples if e.slug == chosen), examples[0] if examples else None)
    return render_template(
        "index.html",
        examples=examples,
        examples_json=[
            {"slug": e.slug, "title": e.title, "description": e.description, "sparql": e.sparql} for e in examples
        ],
        selected=selected,
        prefixes=PREFIXES,
        resource_base=_base(),
        sparql_path=request.script_root + "/sparql",
        yasgui=yasgui_installed(),
        yasgui_js=YASGUI_JS,
        yasgui_css=YASGUI_CSS,
        npm_install=NPM_INSTALL,
    )


# --------------------------------------------------------------------------------------------
# linked data


def choose_type(format_name: str | None) -> MediaType | None:
    """HTML or a graph type for this request, or None (406).

    ``?format=`` wins; otherwise the Accept header is matched against HTML and the graph types
    together, so a browser (text/html first) gets HTML and an RDF client gets RDF. An empty
    Accept or a bare ``*/*`` (curl) gets HTML, the first offered type.
    """
    if format_name:
        if format_name.lower() in HTML.names or format_name.lower() in HTML_TYPES:
            return HTML
        return negotiate(request.accept_mimetypes, RESOURCE_TYPES, format_name)
    accept = request.accept_mimetypes
    if not accept:
        return HTML
    graph_candidates = [m.media_type for m in RESOURCE_TYPES]
    graph_candidates += [alias for alias, canonical in ALIASES.items() if canonical in graph_candidates]
    best = accept.best_match([*HTML_TYPES, *graph_candidates, "application/json"])
    if best is None:
        return None
    if best in HTML_TYPES:
        return HTML
    if best == "application/json":
        return JSON_LD
    return negotiate(accept, RESOURCE_TYPES)


def resource_exists(store: GraphReader, node: ox.NamedNode) -> bool:
    """Whether the graph mentions the IRI at all: as a subject, an object, or a named graph."""
    return (
        next(iter(store.quads(node, None, None)), None) is not None
        or next(iter(store.quads(None, None, node, limit=1)), None) is not None
        or store.has_graph(node)
    )


def description_quads(store: GraphReader, node: ox.NamedNode) -> Iterator[ox.Quad]:
    """The resource's symmetric concise bounded description, kept in the graphs that state it.

    Out: every statement about it, following blank nodes and hash IRIs of the resource (an
    annotation's ``…#target`` and selectors) and its kz:evidence annotations, which exist only to
    show where it is stated.
    In: every statement pointing at it; a blank-node or hash-IRI subject is followed up to what
    it hangs from, so "annotation → its #target → source: this article" arrives whole. A named graph's IRI also
    brings the graph's contents.
    """
    seen: set[ox.Quad] = set()

    def emit(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        for quad in quads:
            if quad not in seen:
                seen.add(quad)
                yield quad

    evidence = ox.NamedNode(str(KZ.evidence))
    todo: list[ox.NamedNode | ox.BlankNode] = [node]
    visited: set[ox.NamedNode | ox.BlankNode] = set()
    while todo:
        subject = todo.pop()
        if subject in visited:
            continue
        visited.add(subject)
        for quad in emit(store.quads(subject, None, None)):
            obj = quad.object
            if isinstance(obj, ox.BlankNode) or (
                isinstance(obj, ox.NamedNode)
                and (_is_part_of(obj, subject) or (subject == node and quad.predicate == evidence))
            ):
                todo.append(obj)
            yield quad
    up: list[ox.NamedNode | ox.BlankNode] = [node]
    climbed: set[ox.NamedNode | ox.BlankNode] = set()
    while up:
        target = up.pop()
        if target in climbed:
            continue
        climbed.add(target)
        for quad in emit(store.quads(None, None, target)):
            above = _node(quad.subject)
            if isinstance(above, ox.BlankNode) or "#" in above.value:
                up.append(above)
            yield quad
    if store.has_graph(node):
        yield from emit(store.quads(None, None, None, node))


def _is_part_of(term: Term, owner: ox.NamedNode | ox.BlankNode) -> TypeGuard[ox.NamedNode]:
    """A hash IRI of the owner (``<ann#target>`` of ``<ann>``): described as part of the owner."""
    return (
        isinstance(term, ox.NamedNode)
        and isinstance(owner, ox.NamedNode)
        and term.value.startswith(owner.value.split("#", 1)[0] + "#")
        and term != owner
    )


def serialise(quads: Iterable[ox.Quad], media: MediaType) -> bytes:
    """Write the description: quads for TriG / N-Quads, de-duplicated triples otherwise.

    JSON-LD can carry named graphs too, but a client asking a resource for JSON-LD expects one
    graph about it (rdflib and most tools read named graphs in JSON-LD into a separate dataset),
    so only the two explicit dataset syntaxes keep the graphs.
    """
    assert media.rdf is not None
    if media.is_dataset_format and media.rdf != ox.RdfFormat.JSON_LD:
        written = ox.serialize(list(quads), format=media.rdf, prefixes=PREFIXES)
    else:
        triples = list(dict.fromkeys(q.triple for q in quads))
        if media.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD):
            written = ox.serialize(triples, format=media.rdf, prefixes=PREFIXES)
        else:
            written = ox.serialize(triples, format=media.rdf)
    # ox.serialize returns None only when given an output to write to; without one, the bytes.
    assert written is not None
    return written


@bp.get("/id/<path:rest>")
def resource(rest: str) -> BaseResponse:
    """Resolve https://w3id.org/kzkg/id/<rest>: HTML or RDF by negotiation, 404/406 otherwise."""
    served, store = _reader()
    iri = _base() + rest
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        abort(404, description=f"{iri} is not a valid IRI")
    media = choose_type(request.args.get("format"))
    if media is None:
        offered = ", ".join([HTML.media_type, *(m.media_type for m in RESOURCE_TYPES)])
        abort(406, description=f"This resource is available as: {offered}.")
    if not resource_exists(store, node):
        abort(404, description=f"The graph says nothing about {iri}.")

    if media is HTML:
        body = render_resource(store, node, served).encode("utf-8")
    else:
        body = serialise(description_quads(store, node), media)
    # Werkzeug adds "; charset=utf-8" to text/* types; the RDF application/* types are UTF-8 by spec.
    response = Response(body, mimetype=media.media_type)
    response.vary.add("Accept")
    response.headers["Content-Location"] = request.path + (f"?format={media.names[0]}" if media is not HTML else "")
    if served.build_id is None:  # a remote store with no release record: no way to tell when it changes
        response.cache_control.no_cache = True
        return response
    response.set_etag(f"{served.build_id}-{media.names[0]}")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


# --------------------------------------------------------------------------------------------
# the HTML view of a resource

CLAIMS_OF = """
SELECT ?claim ?role ?claimLabel ?status ?date ?dateText WHERE {
  { ?claim kz:claimedBy ?this BIND("claimed by" AS ?role) } UNION { ?claim kz:about ?this BIND("about" AS ?role) }
  UNION { ?claim kz:relayedBy ?this BIND("relayed by" AS ?role) }
  UNION { ?claim kz:statedIn ?this BIND("stated in" AS ?role) }
  OPTIONAL { ?claim rdfs:label ?claimLabel }
  OPTIONAL { ?claim kz:status ?status }
  OPTIONAL { ?claim kz:claimDate ?date }
  OPTIONAL { ?claim kz:dateText ?dateText }
}
"""

ROLES_OF = """
SELECT ?statement ?roleName ?article WHERE {
  { ?this kz:hasRole ?statement } UNION { ?statement kz:actor ?this }
  OPTIONAL { ?statement kz:roleName ?roleName }
  OPTIONAL { ?statement kz:reportedIn ?article }
}
"""

RELATIONS_OF_CLAIMS = """
SELECT ?claim ?rel ?other WHERE {
  { ?claim kz:claimedBy ?this } UNION { ?claim kz:about ?this } UNION { ?claim kz:reportedIn ?this }
  UNION { ?claim kz:relayedBy ?this } UNION { ?claim kz:statedIn ?this } UNION { BIND(?this AS ?claim) }
  { ?claim ?rel ?other } UNION { ?other ?rel ?claim }
  FILTER(?rel IN (kz:contradicts, kz:corroborates, kz:isContradictedBy, kz:isCorroboratedBy) && ?other != ?claim)
}
"""

EVIDENCE_OF = """
SELECT ?ann ?source ?exact ?start ?end WHERE {
  { ?this kz:evidence ?ann } UNION { ?this oa:hasTarget [] BIND(?this AS ?ann) }
  ?ann oa:hasTarget ?target .
  OPTIONAL { ?target oa:hasSource ?source }
  OPTIONAL { ?target oa:hasSelector ?q . ?q oa:exact ?exact }
  OPTIONAL { ?target oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end }
}
"""

ANNOTATIONS_ON = """
SELECT ?ann ?exact ?start ?end ?subject ?body WHERE {
  ?ann oa:hasTarget ?target .
  ?target oa:hasSource ?this .
  OPTIONAL { ?target oa:hasSelector ?q . ?q oa:exact ?exact }
  OPTIONAL { ?target oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end }
  OPTIONAL { ?subject ?link ?ann FILTER(isIRI(?subject) && ?link != oa:hasTarget) }
  OPTIONAL { ?ann oa:hasBody ?body FILTER(isIRI(?body)) }
}
"""

ARTICLE_CLAIMS = """
SELECT DISTINCT ?claim WHERE { ?claim kz:reportedIn ?this ; a kz:Claim }
"""


@dataclass
class ClaimRow:
    """A claim in a list on an actor's, event's or article's page."""

    claim: TermView
    roles: list[str] = field(default_factory=list)
    status: TermView | None = None
    date: str = ""
    contradicts: list[TermView] = field(default_factory=list)
    corroborates: list[TermView] = field(default_factory=list)


@dataclass
class Quote:
    """One evidence annotation: its quote and where the article page shows it."""

    annotation: TermView
    exact: str
    source: TermView | None
    start: int | None
    end: int | None
    href: str  # the highlighted passage in the article page


def annotation_anchor(annotation: ox.NamedNode | ox.BlankNode, base: str) -> str:
    """The HTML id of an annotation's highlight: its IRI after …/id/annotation/ (stable, linkable)."""
    if isinstance(annotation, ox.BlankNode):
        return "ann-" + annotation.value
    value = annotation.value
    for prefix in (base + "annotation/", base):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return "ann-" + re.sub(r"[^A-Za-z0-9_-]+", "-", value)


def _types(store: GraphReader, node: ox.NamedNode) -> set[str]:
    return {_rdf11(q.object, "a type").value for q in store.quads(node, ox.NamedNode(RDF_TYPE), None)}


def _objects(store: GraphReader, node: ox.NamedNode | ox.BlankNode, predicate: str) -> list[Plain]:
    found = [_rdf11(q.object, "an object") for q in store.quads(node, ox.NamedNode(predicate), None)]
    return sorted(dict.fromkeys(found), key=_sort_key)


def render_resource(store: GraphReader, node: ox.NamedNode, served: Served) -> str:
    """Build the page of one resource: header, kind-specific sections, then all facts out and in."""
    base = _base()
    labels = Labeller(store, base)
    types = _types(store, node)
    rest = node.value[len(base) :]
    is_claim = str(KZ.Claim) in types or rest.startswith("claim/")
    is_article = rest.startswith("article/") or str(KZ.Article) in types
    is_annotation = str(OA.Annotation) in types

    context: dict[str, object] = {
        "iri": node.value,
        "label": labels.label(node.value),
        "types": [labels.term(ox.NamedNode(t)) for t in sorted(types)],
        "aliases": sorted({o.value for o in _objects(store, node, SKOS_ALT) if isinstance(o, ox.Literal)}),
        "links": [labels.term(o) for o in _objects(store, node, SKOS_EXACT) if isinstance(o, ox.NamedNode)],
        "facts_out": labels.facts_out(node, skip=HEADER_PREDICATES),
        "formats": [(m.names[0], m.media_type) for m in RESOURCE_TYPES],
        "build_id": served.build_id or "",
        "claim": None,
        "claims": [],
        "quotes": [],
        "article": None,
        "is_graph": store.has_graph(node),
        "roles": _roles(store, node, labels),
        "external": None,
    }
    if context["links"]:
        context["external"] = _external(store, node)
    context["facts_in"], context["facts_in_truncated"] = labels.facts_in(node)

    relations = _claim_relations(store, node, labels)
    if is_claim:
        context["claim"] = _claim_details(store, node, labels, relations.get(node.value))
    if is_claim or is_annotation:
        context["quotes"] = _quotes(store, node, labels)
    if is_article:
        article = context["article"] = _article(store, node, labels, served.release)
        article["meta"] = [
            (name, [labels.term(o) for o in _objects(store, node, predicate)])
            for name, predicate in (
                ("Publisher", str(KZ.publisher)),
                ("Byline", str(KZ.byline)),
                ("Authors", DCT + "creator"),
                ("Date", DCT + "date"),
                ("Date as written", str(KZ.dateText)),
                ("Repost of", str(KZ.repostOf)),
                ("Reprints", str(KZ.reprints)),
            )
        ]
        context["claims"] = _article_claims(store, node, labels, relations)
    elif not is_claim:
        context["claims"] = _claims_of(store, node, labels, relations)
    # claims as data (issue #12): what a claim asserts; what the sources say about anything else
    context["assertions"] = claim_assertions(store, node, labels) if is_claim else None
    context["sources_say"] = [] if is_claim or is_article else what_sources_say(store, node, labels)
    return render_template("resource.html", **context)


@dataclass
class LocatorMap:
    """An inline SVG map (no tiles, so it works offline): this place among the other linked places."""

    width: int
    height: int
    here: list[tuple[float, float]]
    others: list[tuple[float, float]]


# Central Asia around Kazakhstan; a point outside it is drawn on a world frame instead.
REGION = (44.0, 90.0, 36.0, 58.0)  # lon min, lon max, lat min, lat max
WORLD = (-180.0, 180.0, -60.0, 80.0)


def _project(
    points: Iterable[tuple[float, float]], frame: tuple[float, float, float, float], width: int, height: int
) -> list[tuple[float, float]]:
    lon0, lon1, lat0, lat1 = frame
    return [
        (round((lon - lon0) / (lon1 - lon0) * width, 1), round((lat1 - lat) / (lat1 - lat0) * height, 1))
        for lat, lon in points
        if lon0 <= lon <= lon1 and lat0 <= lat <= lat1
    ]


def _external(store: GraphReader, node: ox.NamedNode) -> dict[str, object] | None:
    """Names in other languages, descriptions and coordinates from the enrichment graph (kzkg enrich)."""
    facts = external_facts(store.select, node.value)
    if not facts["items"]:
        return None
    here = facts["coordinates"]
    if here:
        points = (
            f"SELECT ?p WHERE {{ GRAPH <{ENRICHMENT_GRAPH}> {{ ?i <http://www.wikidata.org/prop/direct/P625> ?p }} }}"
        )
        rows = _plain(store.select(points))
        everywhere = {point for row in rows if (point := parse_point(row["p"].value))}
        inside = all(REGION[2] <= lat <= REGION[3] and REGION[0] <= lon <= REGION[1] for lat, lon in here)
        frame, width, height = (REGION, 460, 230) if inside else (WORLD, 480, 187)
        facts["map"] = LocatorMap(
            width,
            height,
            _project(here, frame, width, height),
            _project(sorted(everywhere - set(here)), frame, width, height),
        )
    languages = ("en", "ru", "kk")
    facts["languages"] = [
        lang for lang in languages if lang in facts["names"] or lang in facts["descriptions"]
    ] + sorted(lang for lang in set(facts["names"]) | set(facts["descriptions"]) if lang not in languages)
    return facts


def _claim_relations(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> dict[str, dict[str, list[TermView]]]:
    """contradicts/corroborates for the resource's claims, read in both directions.

    Both are symmetric (the data states each pair once; a reasoner may add the reverse and the
    kz:isContradictedBy / kz:isCorroboratedBy inverses), so every direction lands in one bucket.
    """
    relations: dict[str, dict[str, list[TermView]]] = defaultdict(lambda: {"contradicts": [], "corroborates": []})
    for row in _select(store, RELATIONS_OF_CLAIMS, node):
        kind = "contradicts" if "ontradict" in row["rel"].value else "corroborates"
        bucket = relations[row["claim"].value][kind]
        if all(t.value != row["other"].value for t in bucket):
            bucket.append(labels.term(row["other"]))
    for buckets in relations.values():  # in label order, not the store's order of answers
        for bucket in buckets.values():
            bucket.sort(key=lambda term: (term.label, term.value))
    return relations


@dataclass
class RoleRow:
    """A role an article gives an actor, in the article's words."""

    statement: TermView
    role: str
    articles: list[TermView]


def _roles(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> list[RoleRow]:
    rows: dict[str, RoleRow] = {}
    for row in _select(store, ROLES_OF, node):
        statement = row["statement"]
        entry = rows.setdefault(statement.value, RoleRow(labels.term(statement), "", []))
        if "roleName" in row:
            entry.role = row["roleName"].value
        article = row.get("article")
        if isinstance(article, ox.NamedNode) and all(a.value != article.value for a in entry.articles):
            entry.articles.append(labels.term(article))
    return sorted(rows.values(), key=lambda r: (r.role, r.statement.value))


def _claims_of(
    store: GraphReader, node: ox.NamedNode, labels: Labeller, relations: dict[str, dict[str, list[TermView]]]
) -> list[ClaimRow]:
    rows: dict[str, ClaimRow] = {}
    for row in _select(store, CLAIMS_OF, node):
        claim = row["claim"]
        if not isinstance(claim, ox.NamedNode):
            continue
        entry = rows.get(claim.value)
        if entry is None:
            entry = rows[claim.value] = ClaimRow(labels.term(claim))
            rel = relations.get(claim.value, {})
            entry.contradicts = rel.get("contradicts", [])
            entry.corroborates = rel.get("corroborates", [])
        role = row["role"].value
        if role not in entry.roles:
            entry.roles.append(role)
        if "status" in row and entry.status is None:
            entry.status = labels.term(row["status"])
        if not entry.date:
            entry.date = (row.get("date") or row.get("dateText") or ox.Literal("")).value
    for entry in rows.values():  # the same page whatever order a store answers in
        entry.roles.sort()
    return sorted(rows.values(), key=lambda r: (r.date or "9999", r.claim.value))


def _article_claims(
    store: GraphReader, node: ox.NamedNode, labels: Labeller, relations: dict[str, dict[str, list[TermView]]]
) -> list[ClaimRow]:
    rows = []
    found = _select(store, ARTICLE_CLAIMS, node)
    # ?claim is a subject, so never a literal
    claims = [term for term in (row["claim"] for row in found) if isinstance(term, (ox.NamedNode, ox.BlankNode))]
    store.warm((term for term in claims if isinstance(term, ox.NamedNode)), (str(KZ.status), str(KZ.claimDate)))
    for claim in claims:
        entry = ClaimRow(labels.term(claim), roles=["reported"])
        status = _objects(store, claim, str(KZ.status))
        entry.status = labels.term(status[0]) if status else None
        date = _objects(store, claim, str(KZ.claimDate))
        entry.date = date[0].value if date else ""
        related = relations.get(claim.value, {})
        entry.contradicts = related.get("contradicts", [])
        entry.corroborates = related.get("corroborates", [])
        rows.append(entry)
    return sorted(rows, key=lambda r: r.claim.value)


def _claim_details(
    store: GraphReader, node: ox.NamedNode, labels: Labeller, relations: dict[str, list[TermView]] | None
) -> dict[str, object]:
    """The fields a reader wants first on a claim page, each a list (any may be empty)."""

    def terms(local: str) -> list[TermView]:
        return [labels.term(o) for o in _objects(store, node, str(KZ[local]))]

    return {
        "claimed_by": terms("claimedBy"),
        "via": terms("relayedBy"),
        "stated_in": terms("statedIn"),
        "date": terms("claimDate") + terms("dateText"),
        "quantity": terms("quantity"),
        "quantity_text": terms("quantityText"),
        "qualifier": terms("quantityQualifier"),
        "kind": terms("quantityKind"),
        "unit": terms("unit"),
        "status": terms("status"),
        "polarity": terms("polarity"),
        "about": terms("about"),
        "reported_in": terms("reportedIn"),
        "contradicts": (relations or {}).get("contradicts", []),
        "corroborates": (relations or {}).get("corroborates", []),
    }


def _quotes(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> list[Quote]:
    base = _base()
    quotes: dict[str, Quote] = {}
    for row in _select(store, EVIDENCE_OF, node):
        ann = row["ann"]
        key = ann.value
        if key in quotes or isinstance(ann, ox.Literal):  # ?ann is a subject: never a literal
            continue
        source = row.get("source")
        href = ""
        if isinstance(source, ox.NamedNode):
            href = local_href(source.value) + "#" + annotation_anchor(ann, base)
        quotes[key] = Quote(
            labels.term(ann),
            row["exact"].value if "exact" in row else "",
            labels.term(source) if source is not None else None,
            _number(row.get("start")),
            _number(row.get("end")),
            href,
        )
    return sorted(quotes.values(), key=lambda q: ((q.source.value if q.source else ""), q.start or 0))


# --------------------------------------------------------------------------------------------
# articles: the text with every evidence quote highlighted


@dataclass
class Highlight:
    """One annotation placed in the article text."""

    index: int
    anchor: str
    iri: str
    exact: str
    start: int
    end: int
    targets: list[TermView]  # what the quote is evidence for (claims, events, roles…)

    @property
    def href(self) -> str:
        return self.targets[0].href if self.targets else ""


@dataclass
class Segment:
    """A run of text covered by the same set of quotes (none, one, or overlapping ones)."""

    text: str
    anchors: list[Highlight]
    covering: list[Highlight]

    @property
    def primary(self) -> Highlight | None:
        return self.covering[0] if self.covering else None

    @property
    def title(self) -> str:
        return " | ".join(dict.fromkeys(t.label for h in self.covering for t in h.targets)) or "evidence"


_WS = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def place_quote(text: str, exact: str, start: int | None, end: int | None) -> tuple[int, int] | None:
    """Trust the TextPositionSelector when it agrees with the quote; otherwise find the quote.

    The data allows quotes to differ from the text only in runs of white space, so agreement is
    checked with white space normalised; a selector that disagrees is repaired from the text.
    """
    if (
        start is not None
        and end is not None
        and 0 <= start <= end <= len(text)
        and (not exact or _normalise(text[start:end]) == _normalise(exact))
    ):
        return start, end
    if exact:
        pattern = r"\s+".join(re.escape(word) for word in exact.split())
        match = re.search(pattern, text)
        if match:
            return match.start(), match.end()
    return None


def segment_text(text: str, highlights: list[Highlight]) -> list[Segment]:
    """Cut the text at every quote boundary, so overlapping quotes become flat runs."""
    cuts = sorted({0, len(text), *(h.start for h in highlights), *(h.end for h in highlights)})
    starting: dict[int, list[Highlight]] = defaultdict(list)
    for h in highlights:
        starting[h.start].append(h)
    segments = []
    for left, right in pairwise(cuts):
        covering = sorted(
            (h for h in highlights if h.start <= left and right <= h.end and h.start < h.end),
            key=lambda h: (h.end - h.start, h.index),
        )
        segments.append(Segment(text[left:right], starting.pop(left, []), covering))
    for leftover in starting.values():  # quotes that start at the very end (empty ones)
        segments.append(Segment("", leftover, []))
    return segments


def article_text(release: Release | None, store: GraphReader, node: ox.NamedNode) -> str | None:
    """The article's full text: the copy its release carries, else the text the graph carries.

    ``kzkg build`` writes every article's text into the release, at the path the manifest names
    (``articles: {"001": "articles/001_….txt"}``), so a server installed anywhere shows the text
    the quotes' offsets were computed on -- never a file of the source checkout, which may have
    changed since. A server in front of a remote store may have no release of the served build:
    the text then comes from the graph, which carries it as schema:articleBody.
    """
    number = node.value.rstrip("/").rsplit("/", 1)[-1]
    try:
        entry = release.manifest.get("articles", {}).get(number) if release is not None else None
    except (FileNotFoundError, ValueError, AttributeError):
        entry = None
    if release is not None and isinstance(entry, str):
        copy = release.path / entry
        if copy.is_file():
            # bytes → str without newline translation, so offsets count the file's own characters
            return copy.read_bytes().decode("utf-8")
    for predicate in (
        str(KZ.text),
        "http://schema.org/articleBody",
        "http://schema.org/text",
        "https://schema.org/text",
    ):
        for obj in _objects(store, node, predicate):
            if isinstance(obj, ox.Literal):
                return obj.value
    return None


@dataclass
class _Annotation:
    """An annotation on an article, gathered from its rows before it is placed in the text."""

    node: ox.NamedNode | ox.BlankNode
    exact: str = ""
    start: int | None = None
    end: int | None = None
    targets: dict[str, TermView] = field(default_factory=dict)


def _article(store: GraphReader, node: ox.NamedNode, labels: Labeller, release: Release | None) -> dict[str, object]:
    base = _base()
    annotations: dict[str, _Annotation] = {}
    for row in _select(store, ANNOTATIONS_ON, node):
        ann = row["ann"]
        if isinstance(ann, ox.Literal):  # ?ann is a subject: never a literal
            continue
        entry = annotations.setdefault(ann.value, _Annotation(ann))
        if "exact" in row:
            entry.exact = row["exact"].value
        if "start" in row and "end" in row:
            entry.start, entry.end = _number(row["start"]), _number(row["end"])
        for key in ("subject", "body"):
            target = row.get(key)
            if isinstance(target, ox.NamedNode):
                entry.targets.setdefault(target.value, labels.term(target))

    text = article_text(release, store, node)
    placed: list[Highlight] = []
    unplaced: list[Highlight] = []
    ordered = sorted(annotations.values(), key=lambda e: (e.start if e.start is not None else 1 << 62, e.node.value))
    for index, entry in enumerate(ordered):
        targets = sorted(entry.targets.values(), key=_target_order)
        where = place_quote(text, entry.exact, entry.start, entry.end) if text is not None else None
        highlight = Highlight(
            index,
            annotation_anchor(entry.node, base),
            entry.node.value,
            entry.exact,
            where[0] if where else (entry.start or 0),
            where[1] if where else (entry.end or 0),
            targets,
        )
        (placed if where else unplaced).append(highlight)
    return {
        "has_text": text is not None,
        "segments": segment_text(text, placed) if text is not None else [],
        "highlights": placed,
        "unplaced": unplaced,
        "annotation_count": len(annotations),
    }


def _target_order(term: TermView) -> tuple[int, str]:
    """Claims first: a highlight links to the claim it proves when there is one."""
    return (0 if "/claim/" in term.value else 1 if "/event/" in term.value else 2, term.value)


# --------------------------------------------------------------------------------------------
# claims as data (issue #12): what a claim asserts, what the sources say, the disagreements
#
# Read from the claims' assertion graphs (GRAPH ?g joined to ?claim kz:asserts ?g) and from the
# computed kzgraph:disagreements; these are claims, so every value is shown beside who says it.

ASSERTED_BY = """
SELECT ?g ?s ?p ?o ?kind ?quantity ?min ?max ?qualifier ?unit ?asOf ?population WHERE {
  ?this kz:asserts ?g .
  GRAPH ?g {
    ?s ?p ?o FILTER(!STRSTARTS(STR(?s), STR(?g)))
    OPTIONAL { ?o kz:quantityKind ?kind }  OPTIONAL { ?o kz:quantity ?quantity }
    OPTIONAL { ?o kz:minQuantity ?min ; kz:maxQuantity ?max }
    OPTIONAL { ?o kz:quantityQualifier ?qualifier }  OPTIONAL { ?o kz:unit ?unit }
    OPTIONAL { ?o kz:asOf ?asOf }  OPTIONAL { ?o kz:population ?population }
  }
}
"""

SOURCES_SAY = """
SELECT ?claim ?p ?o ?kind ?quantity ?min ?max ?qualifier ?unit ?asOf ?population ?negative WHERE {
  ?claim kz:asserts ?g .
  GRAPH ?g {
    ?this ?p ?o
    OPTIONAL { ?o kz:quantityKind ?kind }  OPTIONAL { ?o kz:quantity ?quantity }
    OPTIONAL { ?o kz:minQuantity ?min ; kz:maxQuantity ?max }
    OPTIONAL { ?o kz:quantityQualifier ?qualifier }  OPTIONAL { ?o kz:unit ?unit }
    OPTIONAL { ?o kz:asOf ?asOf }  OPTIONAL { ?o kz:population ?population }
  }
  BIND(EXISTS { ?claim kz:polarity kz:Negative } AS ?negative)
}
"""

CLAIM_SOURCES = """
SELECT ?claim ?who ?article ?exact WHERE {
  VALUES ?claim { %s }
  { ?claim kz:claimedBy ?who } UNION { ?claim kz:reportedIn ?article }
  UNION { ?claim kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?exact }
}
"""

DISPUTED_ON = """
SELECT ?d ?p ?claim WHERE { ?d a kz:Disagreement ; kz:onSubject ?this ; kz:onProperty ?p ; kz:between ?claim }
"""

ALL_DISAGREEMENTS = """
SELECT ?d ?subject ?p ?kind ?population ?asOf ?position ?claim ?value ?quantity ?min ?max ?qualifier ?denied WHERE {
  ?d a kz:Disagreement ; kz:onSubject ?subject ; kz:onProperty ?p ; kz:position ?position .
  ?position kz:heldBy ?claim ; kz:value ?value .
  OPTIONAL { ?d kz:quantityKind ?kind }  OPTIONAL { ?d kz:population ?population }  OPTIONAL { ?d kz:asOf ?asOf }
  OPTIONAL { ?position kz:valueQuantity ?quantity }  OPTIONAL { ?position kz:valueQualifier ?qualifier }
  OPTIONAL { ?position kz:valueMinQuantity ?min ; kz:valueMaxQuantity ?max }
  BIND(EXISTS { ?position kz:denied true } AS ?denied)
}
"""

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _day(value: str) -> str:
    """2022-01-05 as "5 January 2022" (the pages speak the articles' language, not ISO)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    return f"{int(match[3])} {MONTHS[int(match[2]) - 1]} {match[1]}" if match else value


def _value_text(row: PlainRow, labels: Labeller) -> str:
    """A statement's value as a reader says it: a label, a day, the text's words, or a figure."""
    value = row["o"] if "o" in row else row["value"]
    if "kind" in row or "quantity" in row:
        parts = []
        if "qualifier" in row:
            parts.append(labels.label(row["qualifier"].value))
        if "quantity" in row:
            parts.append(row["quantity"].value)
        else:  # a range ("$2-3bn") gives two bounds instead of a number
            parts.append(f"{row['min'].value}–{row['max'].value}" if "min" in row else "(no number)")
        if "unit" in row:
            parts.append(row["unit"].value)
        detail = [labels.label(row["kind"].value)] if "kind" in row else []
        if "population" in row:
            detail.append("among " + labels.label(row["population"].value))
        if "asOf" in row:
            detail.append("as of " + _day(row["asOf"].value))
        return " ".join(parts) + (f" ({', '.join(detail)})" if detail else "")
    if isinstance(value, ox.Literal):
        datatype = value.datatype.value if value.datatype else ""
        return _day(value.value) if datatype.endswith("#date") else f"“{value.value}”"
    return labels.label(value.value)


@dataclass
class AssertedStatement:
    """One statement of a claim's assertion graph, readable: subject — property — value."""

    subject: TermView
    property: TermView
    value: str
    value_term: TermView | None

    @builtins.property  # the field above shadows the builtin in the class body, for mypy
    def text(self) -> str:
        return f"{self.subject.label} — {self.property.label} — {self.value}"


def claim_assertions(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> dict[str, object] | None:
    """The claim page's "What it asserts": its kind, its assertion graph and its statements."""
    kinds = [labels.term(o) for o in _objects(store, node, str(KZ.claimKind))]
    rows = _select(store, ASSERTED_BY, node)
    if not rows and not kinds:
        return None
    figure_predicate = str(KZ.figure)
    statements = []
    for row in rows:
        if row["p"].value == figure_predicate or isinstance(row["o"], ox.NamedNode):
            value_term = None if row["p"].value == figure_predicate else labels.term(row["o"])
        else:
            value_term = None
        predicate = row["p"]
        statements.append(
            AssertedStatement(labels.term(row["s"]), labels.term(predicate), _value_text(row, labels), value_term)
        )
    statements.sort(key=lambda s: (s.subject.label, s.property.label, s.value))
    polarity = _objects(store, node, str(KZ.polarity))
    conflicts = sorted(
        (labels.term(o) for o in _objects(store, node, str(KZ.conflictsWith))), key=lambda t: (t.label, t.value)
    )
    graph = rows[0]["g"].value if rows else None
    return {
        "kind": kinds,
        "statements": statements,
        "denies": bool(polarity),
        "conflicts": conflicts,
        "graph": labels.term(ox.NamedNode(graph)) if graph else None,
    }


@dataclass
class SourceClaim:
    """A claim giving a value: who claims it, where it is reported, in which words."""

    claim: TermView
    claimants: list[TermView] = field(default_factory=list)
    articles: list[TermView] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    denied: bool = False
    in_conflict: bool = False


@dataclass
class SaidValue:
    value: str
    claims: list[SourceClaim] = field(default_factory=list)


@dataclass
class SaidProperty:
    property: TermView
    values: list[SaidValue] = field(default_factory=list)
    disputed: bool = False


def _claim_sources(store: GraphReader, claims: Iterable[str], labels: Labeller) -> dict[str, SourceClaim]:
    """Claimants, articles and quotes of many claims in one query."""
    found: dict[str, SourceClaim] = {iri: SourceClaim(labels.term(ox.NamedNode(iri))) for iri in claims}
    if not found:
        return found
    rows = _plain(store.select(CLAIM_SOURCES % " ".join(f"<{iri}>" for iri in sorted(found))))
    store.warm((t for row in rows for t in row.values() if isinstance(t, ox.NamedNode)), LABEL_PREDICATES)
    for row in rows:
        entry = found[row["claim"].value]
        if "who" in row and all(t.value != row["who"].value for t in entry.claimants):
            entry.claimants.append(labels.term(row["who"]))
        if "article" in row and all(t.value != row["article"].value for t in entry.articles):
            entry.articles.append(labels.term(row["article"]))
        if "exact" in row and row["exact"].value not in entry.quotes:
            entry.quotes.append(row["exact"].value)
    for entry in found.values():
        entry.claimants.sort(key=lambda t: t.label)
        entry.articles.sort(key=lambda t: t.value)
        entry.quotes.sort()
    return found


def what_sources_say(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> list[SaidProperty]:
    """An event's or person's "What the sources say": per property, each value with its claims;
    properties the claims disagree on (kzgraph:disagreements) and the conflicting claims marked."""
    rows = _select(store, SOURCES_SAY, node)
    if not rows:
        return []
    disputed: dict[str, set[str]] = defaultdict(set)
    for row in _select(store, DISPUTED_ON, node):
        disputed[row["p"].value].add(row["claim"].value)
    figure = str(KZ.figure)
    sources = _claim_sources(store, {row["claim"].value for row in rows}, labels)
    said: dict[str, SaidProperty] = {}
    for row in rows:
        predicate = row["p"].value
        entry = said.setdefault(predicate, SaidProperty(labels.term(row["p"]), disputed=predicate in disputed))
        text = _value_text(row, labels)
        value = next((v for v in entry.values if v.value == text), None)
        if value is None:
            value = SaidValue(text)
            entry.values.append(value)
        claim = row["claim"].value
        source = SourceClaim(**sources[claim].__dict__)
        source.denied = row["negative"].value == "true"
        source.in_conflict = claim in disputed.get(predicate, set())
        if all(c.claim.value != claim for c in value.claims):
            value.claims.append(source)
    for entry in said.values():
        entry.values.sort(key=lambda v: v.value)
        for value in entry.values:
            value.claims.sort(key=lambda c: c.claim.value)
    # figures last: they are the longest rows
    return sorted(said.values(), key=lambda e: (e.property.value == figure, e.property.label))


@dataclass
class DisagreementView:
    node: TermView
    subject: TermView
    property: TermView
    detail: str
    positions: list[tuple[str, SourceClaim]] = field(default_factory=list)


def all_disagreements(store: GraphReader, labels: Labeller) -> list[DisagreementView]:
    rows = _plain(store.select(ALL_DISAGREEMENTS))
    store.warm((t for row in rows for t in row.values() if isinstance(t, ox.NamedNode)), LABEL_PREDICATES)
    sources = _claim_sources(store, {row["claim"].value for row in rows}, labels)
    found: dict[str, DisagreementView] = {}
    for row in rows:
        view = found.get(row["d"].value)
        if view is None:
            detail = []
            if "kind" in row:
                detail.append(labels.label(row["kind"].value))
            if "population" in row:
                detail.append("among " + labels.label(row["population"].value))
            if "asOf" in row:
                detail.append("as of " + _day(row["asOf"].value))
            view = found[row["d"].value] = DisagreementView(
                labels.term(row["d"]), labels.term(row["subject"]), labels.term(row["p"]), ", ".join(detail)
            )
        source = SourceClaim(**sources[row["claim"].value].__dict__)
        source.denied = row["denied"].value == "true"
        if "quantity" in row or "qualifier" in row:  # a figure: its hedge and number, beside the claim
            text = " ".join(
                ([labels.label(row["qualifier"].value)] if "qualifier" in row else [])
                + [row["quantity"].value if "quantity" in row else "(no number)"]
            )
        else:
            text = _value_text({"o": row["value"]}, labels)
        view.positions.append((text, source))
    for view in found.values():
        view.positions.sort(key=lambda p: (p[0], p[1].claim.value))
    return sorted(found.values(), key=lambda v: (v.subject.label, v.property.label, v.detail))


@bp.get("/disagreements")
def disagreements() -> str:
    """Every disagreement computed from the claims' assertions, with both sides and their evidence."""
    served, store = _reader()
    labels = Labeller(store, _base())
    return render_template(
        "disagreements.html", disagreements=all_disagreements(store, labels), build_id=served.build_id or ""
    )
