"""Finding things: full-text search, browsing the lists of actors, events, claims and articles,
and the ontology page (HTML or RDF)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

import pyoxigraph as ox
from flask import Response, abort, render_template, request

from kzkg import search as search_index
from kzkg.namespaces import ONTOLOGY_GRAPH, OWL, RDFS, SKOS

from .backend import GraphReader, Row, Served
from .labels import page_reader
from .media import GRAPH_TYPES, MediaType
from .view_common import KZ_NS, choice_param, int_of, local_name, local_url, page_response, text_of, value_of

ONTOLOGY_IRI = KZ_NS.rstrip("#")
HTML_TYPE = MediaType("text/html", ("html",))
ONTOLOGY_TYPES: tuple[MediaType, ...] = (
    HTML_TYPE,
    *(
        m
        for m in GRAPH_TYPES
        if m.media_type in ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
    ),
)

# --------------------------------------------------------------------------------------------
# /search


def search() -> Response:
    """Full text over the build-time index, grouped by kind; JSON for ``format=json`` or Accept."""
    query = request.args.get("q", "").strip()
    if len(query) > 200:
        abort(400, description="q: at most 200 characters")
    served, _ = page_reader()
    if served.release is None:
        abort(
            404,
            description="This server answers from a remote store and has no local copy of the build, "
            "so it has no search index.",
        )
    results = None
    if query:
        try:
            results = search_index.search(served.release.path / search_index.INDEX_FILE, query, per_kind=25)
        except search_index.SearchIndexMissing as missing:
            abort(503, description=str(missing))
    wants_json = request.args.get("format") == "json" or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )
    if wants_json:
        body = {
            "q": query,
            "groups": {}
            if results is None
            else {
                kind: {
                    "total": results.totals[kind],
                    "hits": [
                        {"iri": h.iri, "label": h.label, "url": local_url(h.iri), "snippet": h.snippet_html}
                        for h in hits
                    ],
                }
                for kind, hits in results.groups.items()
            },
        }
        response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
        response.vary.add("Accept")
        return response
    response = page_response(
        "views/search.html",
        served=served,
        q=query,
        results=results,
        kind_labels=search_index.KIND_LABELS,
        local_url=local_url,
    )
    response.vary.add("Accept")
    return response


# --------------------------------------------------------------------------------------------
# /browse


BROWSE_QUERIES = {
    "actor": (
        "Actors",
        "claims made",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?t) AS ?type) (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?s a kz:Actor ; rdfs:label ?l . OPTIONAL { ?s a ?t . VALUES ?t { kz:Person kz:MediaOutlet kz:Group } }
          OPTIONAL { ?c kz:claimedBy ?s } } GROUP BY ?s ORDER BY DESC(?n) ?label""",
    ),
    "event": (
        "Events",
        "claims about it",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (MIN(?d) AS ?type) (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?s a kz:Event ; rdfs:label ?l . OPTIONAL { ?s kz:startDate ?d }
          OPTIONAL { ?c kz:about ?s } } GROUP BY ?s ORDER BY DESC(?n) ?label""",
    ),
    "place": (
        "Places",
        "events there",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?in) AS ?type) (COUNT(DISTINCT ?e) AS ?n) WHERE {
          ?s a kz:Place ; rdfs:label ?l . OPTIONAL { ?s kz:locatedIn/rdfs:label ?in }
          OPTIONAL { ?e a kz:Event ; kz:place ?s } } GROUP BY ?s ORDER BY DESC(?n) ?label""",
    ),
    "article": (
        "Articles",
        "claims reported",
        """
        SELECT ?s (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?type) (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?s a kz:Article ; dcterms:title ?l . OPTIONAL { ?s dcterms:date ?d }
          OPTIONAL { ?c kz:reportedIn ?s } } GROUP BY ?s ORDER BY ?s""",
    ),
}


def _browse_note(kind: str, row: Row) -> str:
    """The second column: an actor's kind, an event's date, a place's container, an article's number
    and date (two articles may share a title: 004 and the original it reposts)."""
    value = text_of(row, "type")
    if kind == "actor":
        return local_name(value)
    if kind == "article":
        return " · ".join(x for x in (local_name(text_of(row, "s")), value) if x)
    return value


BROWSE_PAGE = 200  # rows of one list per page (?type=…&page=N)
BROWSE_PREVIEW = 25  # rows of each list on the index of all four


def browse() -> Response:
    """Index of actors, events, places and articles, each with its count; ``?type=`` opens one list,
    ``page=`` pages through it, so a page stays readable however large the graph grows."""
    only = choice_param("type", ["all", *BROWSE_QUERIES], "all")
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        abort(400, description=f"page={request.args.get('page')!r}: expected a page number")
    served, reader = page_reader()
    sections = []
    for kind, (title, counted, query) in BROWSE_QUERIES.items():
        if only not in ("all", kind):
            continue
        rows = reader.select(query)
        size = BROWSE_PREVIEW if only == "all" else BROWSE_PAGE
        start = 0 if only == "all" else (page - 1) * size
        items = [
            {"iri": text_of(r, "s"), "label": text_of(r, "label"), "n": int_of(r, "n"), "note": _browse_note(kind, r)}
            for r in rows[start : start + size]
        ]
        sections.append(
            {
                "kind": kind,
                "title": title,
                "counted": counted,
                "entries": items,
                "total": len(rows),
                "start": start,
                "pages": math.ceil(len(rows) / size) if only != "all" else 1,
                "open": only == kind or (only == "all" and kind == "article"),
            }
        )
    return page_response(
        "views/browse.html", served=served, sections=sections, only=only, page=page, local_url=local_url
    )


# --------------------------------------------------------------------------------------------
# /ontology


ONTOLOGY_TERMS = """
SELECT ?term ?kind ?label ?comment WHERE {
  GRAPH <%(graph)s> {
    VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty skos:Concept
                   skos:ConceptScheme owl:NamedIndividual rdfs:Class rdf:Property }
    ?term a ?kind . FILTER(STRSTARTS(STR(?term), "%(ns)s"))
    OPTIONAL { ?term rdfs:label ?label FILTER(LANG(?label) IN ("en", "")) }
    OPTIONAL { ?term rdfs:comment ?comment FILTER(LANG(?comment) IN ("en", "")) }
  }
}"""
ONTOLOGY_LINKS = """
SELECT ?term ?p ?o WHERE {
  GRAPH <%(graph)s> {
    VALUES ?p { rdfs:domain rdfs:range rdfs:subClassOf rdfs:subPropertyOf owl:equivalentClass
                owl:equivalentProperty owl:inverseOf skos:exactMatch skos:closeMatch skos:broadMatch
                skos:narrowMatch skos:relatedMatch skos:inScheme skos:broader rdf:type }
    ?term ?p ?o . FILTER(STRSTARTS(STR(?term), "%(ns)s") && isIRI(?o))
  }
}"""
KIND_ORDER = {
    "Class": 0,
    "ObjectProperty": 1,
    "DatatypeProperty": 2,
    "AnnotationProperty": 3,
    "ConceptScheme": 4,
    "Concept": 5,
    "NamedIndividual": 6,
}
LINK_NAMES = {
    "domain": "domain",
    "range": "range",
    "subClassOf": "subclass of",
    "subPropertyOf": "subproperty of",
    "equivalentClass": "equivalent class",
    "equivalentProperty": "equivalent property",
    "inverseOf": "inverse of",
    "exactMatch": "exact match",
    "closeMatch": "close match",
    "broadMatch": "broad match",
    "narrowMatch": "narrow match",
    "relatedMatch": "related match",
    "inScheme": "in scheme",
    "broader": "broader",
    "type": "type",
}


def ontology() -> Response:
    """The ``https://w3id.org/kzkg/ontology#`` namespace document: HTML for people, RDF by Accept."""
    media = _negotiate_ontology()
    if media is None:
        abort(406, description="The ontology is offered as " + ", ".join(m.media_type for m in ONTOLOGY_TYPES))
    served, reader = page_reader()
    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    if media is not HTML_TYPE:
        assert media.rdf is not None
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in reader.quads(None, None, None, graph)]
        body = ox.serialize(
            triples,
            format=media.rdf,
            prefixes={
                "kz": KZ_NS,
                "owl": str(OWL),
                "rdfs": str(RDFS),
                "skos": str(SKOS),
            }
            if media.rdf in (ox.RdfFormat.TURTLE,)
            else None,
        )
        response = Response(body, mimetype=media.media_type)
    else:
        response = Response(
            render_template(
                "views/ontology.html",
                terms=_cached_terms(served, reader),
                ontology_iri=ONTOLOGY_IRI,
                ns=KZ_NS,
                local_url=local_url,
                kind_order=KIND_ORDER,
            ),
            mimetype="text/html",
        )
    response.vary.add("Accept")
    if served.build_id:
        response.set_etag(f"{served.build_id}-ontology-{media.names[0]}")
        response.make_conditional(request)  # updates the response in place (and returns it, typed as werkzeug's)
    return response


def _negotiate_ontology() -> MediaType | None:
    """HTML first (what a browser or an empty Accept gets), then the RDF syntaxes; ``format=`` wins."""
    name = request.args.get("format", "").strip().lower()
    if name:
        return next((m for m in ONTOLOGY_TYPES if name in m.names or name == m.media_type), None)
    if not request.accept_mimetypes:
        return HTML_TYPE
    best = request.accept_mimetypes.best_match([m.media_type for m in ONTOLOGY_TYPES] + ["application/xhtml+xml"])
    if best == "application/xhtml+xml":
        return HTML_TYPE
    return next((m for m in ONTOLOGY_TYPES if m.media_type == best), None)


_TERMS_CACHE: dict[str, list[dict[str, Any]]] = {}


def _cached_terms(served: Served, reader: GraphReader) -> list[dict[str, Any]]:
    """The documented terms, computed once per build: finding an example of each term scans the
    data graphs, which is cheap on the corpus but not on a million triples."""
    if served.build_id is None:
        return _ontology_terms(reader)
    terms = _TERMS_CACHE.get(served.build_id)
    if terms is None:
        terms = _ontology_terms(reader)
        _TERMS_CACHE.clear()  # one build is served at a time
        _TERMS_CACHE[served.build_id] = terms
    return terms


def _ontology_terms(reader: GraphReader) -> list[dict[str, Any]]:
    values = {"graph": ONTOLOGY_GRAPH, "ns": KZ_NS}
    terms: dict[str, dict[str, Any]] = {}
    for row in reader.select(ONTOLOGY_TERMS % values):
        iri = text_of(row, "term")
        term = terms.setdefault(
            iri,
            {
                "iri": iri,
                "name": iri[len(KZ_NS) :],
                "kinds": set(),
                "label": "",
                "comment": "",
                "links": defaultdict(list),
                "example": None,
            },
        )
        term["kinds"].add(local_name(text_of(row, "kind")))
        term["label"] = term["label"] or text_of(row, "label")
        term["comment"] = term["comment"] or text_of(row, "comment")
    for row in reader.select(ONTOLOGY_LINKS % values):
        linked = terms.get(text_of(row, "term"))
        if linked is None:
            continue
        name, target = LINK_NAMES.get(local_name(text_of(row, "p")), ""), text_of(row, "o")
        if name == "type" and not (target.startswith(KZ_NS)):
            continue  # owl:Class etc. are the term's kind, shown already
        if target not in linked["links"][name]:
            linked["links"][name].append(target)
    _examples(reader, terms)
    ordered = sorted(terms.values(), key=lambda t: (min(KIND_ORDER.get(k, 9) for k in t["kinds"]), t["name"].lower()))
    for term in ordered:
        term["kind"] = min(term["kinds"], key=lambda k: KIND_ORDER.get(k, 9))
        term["links"] = sorted(term["links"].items())
    return ordered


def _examples(reader: GraphReader, terms: dict[str, dict[str, Any]]) -> None:
    """One use of each term in the data (outside the ontology graph): a triple for a property, an
    instance for a class, a subject for a concept. One query per kind, not per term; within it a
    ``LIMIT 1`` per term, so each term costs an index lookup: grouping every kz: triple of the data
    to SAMPLE one per term took 14.5 s at 1M triples, on every worker's first request."""
    graph = ONTOLOGY_GRAPH
    shapes = {
        "property": "SELECT ?a ?b WHERE {{ GRAPH ?g {{ ?a <{t}> ?b }} FILTER(?g != <{graph}>) }} LIMIT 1",
        "class": "SELECT ?a WHERE {{ GRAPH ?g {{ ?a a <{t}> }} FILTER(?g != <{graph}>) }} LIMIT 1",
        "value": (
            "SELECT ?a ?b WHERE {{ GRAPH ?g {{ ?a ?b <{t}> }} FILTER(?g != <{graph}> && ?b != rdf:type) }} LIMIT 1"
        ),
    }
    queries = {
        how: "SELECT ?t ?a ?b WHERE {\n"
        + "\nUNION ".join(f"{{ {{ {shape.format(t=t, graph=graph)} }} BIND(<{t}> AS ?t) }}" for t in sorted(terms))
        + "\n}"
        for how, shape in shapes.items()
    }
    for how, query in queries.items():
        for row in reader.select(query):
            term = terms.get(text_of(row, "t"))
            if term is None or term["example"] is not None:
                continue
            subject = text_of(row, "a")
            if how == "property":
                obj = row.get("b")
                term["example"] = {
                    "subject": subject,
                    "predicate": term["iri"],
                    "object": value_of(obj) or "",
                    "object_is_iri": isinstance(obj, ox.NamedNode),
                }
            elif how == "class":
                term["example"] = {"subject": subject, "predicate": "a", "object": term["iri"], "object_is_iri": True}
            else:
                term["example"] = {
                    "subject": subject,
                    "predicate": text_of(row, "b"),
                    "object": term["iri"],
                    "object_is_iri": True,
                }
