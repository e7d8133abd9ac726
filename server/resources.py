"""Resource pages: what ``/id/<rest>`` answers, as RDF (the description) or as HTML (the page).

The page of a resource has its header, kind-specific sections (a claim's details and evidence,
an article's text, a place's map, what the sources say) and every fact out and in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox
from flask import render_template, request

from kzkg.assertion_graphs import ASSERTED_EVENT_BASE
from kzkg.namespaces import ID, KZ, OA, PREFIXES, assertion_graph

from . import page_layout
from .articles import article_view
from .backend import GraphReader, Served
from .claims import claim_assertions, claim_sources, what_sources_say
from .geography import external_panel
from .labels import (
    DCT,
    HEADER_PREDICATES,
    RDFS_LABEL,
    SKOS_ALT,
    SKOS_EXACT,
    FactGroup,
    Labeller,
    TermView,
    annotation_anchor,
    is_part_of,
    local_href,
    node_of,
    number,
    objects_of,
    plain,
    resource_base,
    select_about,
    types_of,
)
from .media import ALIASES, GRAPH_TYPES, MediaType, negotiate

# HTML is not a serialisation of the graph, so it has no serialiser in the shared table; it is
# offered next to the graph types and rendered with templates.
HTML = MediaType("text/html", ("html", "htm"))
HTML_TYPES = ("text/html", "application/xhtml+xml")
# The graph types in the shared table's order (Turtle first: what `?format=`-less RDF clients that
# accept several syntaxes equally get). TriG and N-Quads keep the article graphs.
RESOURCE_TYPES: tuple[MediaType, ...] = GRAPH_TYPES
# Plain JSON means JSON-LD here (the shared table maps it to SPARQL results, which a resource is not).
JSON_LD = next(m for m in GRAPH_TYPES if m.media_type == "application/ld+json")

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
                and (is_part_of(obj, subject) or (subject == node and quad.predicate == evidence))
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
            above = node_of(quad.subject)
            if isinstance(above, ox.BlankNode) or "#" in above.value:
                up.append(above)
            yield quad
    if store.has_graph(node):
        yield from emit(store.quads(None, None, None, node))


@dataclass(frozen=True)
class AssertedSource:
    """Where an event that only a claim asserts is described: the claim and its assertion graph."""

    claim: ox.NamedNode
    graph: ox.NamedNode


def asserted_event_source(store: GraphReader, node: ox.NamedNode) -> AssertedSource | None:
    """The claim whose assertion graph describes ``asserted-event/<claim-id>-<id>``, or None.

    Why not the default graph: an asserted event is what a claim says happened (or, denied, did
    not), never a curated fact, so it lives only in its claim's assertion graph, which the pages'
    reader leaves out. The IRI names the claim as a prefix; claim ids hold hyphens too, so each
    split is tried, longest claim id first, and the graph must actually describe the event.
    """
    if not node.value.startswith(ASSERTED_EVENT_BASE):
        return None
    name = node.value[len(ASSERTED_EVENT_BASE) :]
    for cut in sorted((i for i, c in enumerate(name) if c == "-"), reverse=True):
        graph = ox.NamedNode(str(assertion_graph(name[:cut])))
        if next(iter(store.quads(node, None, None, graph, limit=1)), None) is not None:
            return AssertedSource(ox.NamedNode(f"{ID}claim/{name[:cut]}"), graph)
    return None


def asserted_event_quads(store: GraphReader, node: ox.NamedNode, source: AssertedSource) -> list[ox.Quad]:
    """The asserted event's statements, in its claim's assertion graph, with the claim's
    ``kz:asserts`` link and polarity, so that a merged syntax (Turtle, JSON-LD) still says whose
    assertion these triples are and whether the claim denies them."""
    quads = list(store.quads(node, None, None, source.graph))
    quads += store.quads(source.claim, ox.NamedNode(str(KZ.asserts)), source.graph)
    quads += store.quads(source.claim, ox.NamedNode(str(KZ.polarity)), None)
    return list(dict.fromkeys(quads))


def render_asserted_event(store: GraphReader, node: ox.NamedNode, source: AssertedSource, served: Served) -> str:
    """The page of an event only a claim asserts: its statements from the claim's assertion graph,
    labelled as that claim's assertion (or denial), not as a curated fact."""
    labels = Labeller(store, resource_base())
    statements = list(store.quads(node, None, None, source.graph))
    own_label = next(
        (q.object.value for q in statements if q.predicate.value == RDFS_LABEL and isinstance(q.object, ox.Literal)),
        None,
    )
    facts: dict[str, list[TermView]] = defaultdict(list)
    for quad in statements:
        if quad.predicate.value != RDFS_LABEL and isinstance(quad.object, ox.NamedNode | ox.Literal):
            facts[quad.predicate.value].append(labels.term(quad.object))
    return render_template(
        "asserted_event.html",
        iri=node.value,
        label=own_label or node.value.rsplit("/", 1)[-1],
        claim=labels.term(source.claim),
        graph=labels.term(source.graph),
        denies=bool(objects_of(store, source.claim, str(KZ.polarity))),
        facts=[(labels.term(ox.NamedNode(p)), objects) for p, objects in sorted(facts.items())],
        formats=[(m.names[0], m.media_type) for m in RESOURCE_TYPES],
        build_id=served.build_id or "",
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


def render_resource(store: GraphReader, node: ox.NamedNode, served: Served) -> str:
    """Build the page of one resource: header, kind-specific sections, then all facts out and in."""
    base = resource_base()
    labels = Labeller(store, base)
    types = types_of(store, node)
    rest = node.value[len(base) :]
    is_claim = str(KZ.Claim) in types or rest.startswith("claim/")
    is_article = rest.startswith("article/") or str(KZ.Article) in types
    is_annotation = str(OA.Annotation) in types

    context: dict[str, object] = {
        "iri": node.value,
        "label": labels.label(node.value),
        "types": [labels.term(ox.NamedNode(t)) for t in sorted(types)],
        "aliases": sorted({o.value for o in objects_of(store, node, SKOS_ALT) if isinstance(o, ox.Literal)}),
        "links": [labels.term(o) for o in objects_of(store, node, SKOS_EXACT) if isinstance(o, ox.NamedNode)],
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
        context["external"] = external_panel(store, node)
    context["facts_in"], context["facts_in_truncated"] = labels.facts_in(node)

    relations = _claim_relations(store, node, labels)
    if is_claim:
        context["claim"] = _claim_details(store, node, labels, relations.get(node.value))
    if is_claim or is_annotation:
        context["quotes"] = _quotes(store, node, labels)
    if is_article:
        article = context["article"] = article_view(store, node, labels, served.release)
        article["meta"] = [
            (name, [labels.term(o) for o in objects_of(store, node, predicate)])
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
    # long lists grouped, folded and paginated, each pair of claims once (issue #14): server/page_layout.py
    claim_rows = cast("list[ClaimRow]", context["claims"])
    sources = claim_sources(store, [row.claim.value for row in claim_rows], labels)
    facts_in = cast("list[FactGroup]", context["facts_in"])
    topics: dict[str, list[TermView]] = defaultdict(list)
    query = page_layout.topics_query(row.claim.value for row in claim_rows)
    topic_rows = plain(store.select(query)) if query else []
    labels.warm(row["topic"] for row in topic_rows)
    for row in topic_rows:
        topics[row["claim"].value].append(labels.term(row["topic"]))
    context.update(page_layout.layout_resource(claim_rows, sources, facts_in, request.args, node.value, topics))
    return render_template("resource.html", **context)


def _claim_relations(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> dict[str, dict[str, list[TermView]]]:
    """contradicts/corroborates for the resource's claims, read in both directions.

    Both are symmetric (the data states each pair once; a reasoner may add the reverse and the
    kz:isContradictedBy / kz:isCorroboratedBy inverses), so every direction lands in one bucket.
    """
    relations: dict[str, dict[str, list[TermView]]] = defaultdict(lambda: {"contradicts": [], "corroborates": []})
    for row in select_about(store, RELATIONS_OF_CLAIMS, node):
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
    for row in select_about(store, ROLES_OF, node):
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
    for row in select_about(store, CLAIMS_OF, node):
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
    found = select_about(store, ARTICLE_CLAIMS, node)
    # ?claim is a subject, so never a literal
    claims = [term for term in (row["claim"] for row in found) if isinstance(term, (ox.NamedNode, ox.BlankNode))]
    store.warm((term for term in claims if isinstance(term, ox.NamedNode)), (str(KZ.status), str(KZ.claimDate)))
    for claim in claims:
        entry = ClaimRow(labels.term(claim), roles=["reported"])
        status = objects_of(store, claim, str(KZ.status))
        entry.status = labels.term(status[0]) if status else None
        date = objects_of(store, claim, str(KZ.claimDate))
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
        return [labels.term(o) for o in objects_of(store, node, str(KZ[local]))]

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
    base = resource_base()
    quotes: dict[str, Quote] = {}
    for row in select_about(store, EVIDENCE_OF, node):
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
            number(row.get("start")),
            number(row.get("end")),
            href,
        )
    return sorted(quotes.values(), key=lambda q: ((q.source.value if q.source else ""), q.start or 0))
