"""The fast SHACL check (kzkg.shacl_fast.fast_failures) against pyshacl, the reference.

A passing build never runs pyshacl, so the fast check alone decides that data conforms: it must
flag every (focus node, shape) pyshacl would. Each case below breaks one node of the real graph
in one way, covering every constraint in shapes.ttl and annotation-shape.ttl; the fast check and
pyshacl must flag exactly the same top-level (focus node, source shape) pairs, every broken node
must be among them, and the lines run_shapes prints must name each focus node and path.

These are the tests that must pass before pyshacl's pin (pyproject.toml) moves: the fast check
mirrors pyshacl 0.40's code paths.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS, XSD

from kzkg.ingest import load_corpus
from kzkg.shacl_fast import fast_failures
from kzkg.validate import load_turtle, run_shapes

ROOT = Path(__file__).resolve().parent.parent

KZ = Namespace("https://w3id.org/kzkg/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
KZSH = Namespace("https://w3id.org/kzkg/shapes#")
ONTOLOGY_IRI = URIRef("https://w3id.org/kzkg/ontology")


@pytest.fixture(scope="module")
def shacl_inputs() -> tuple[list, Graph, Graph, Graph]:
    """(asserted data triples as the pipeline validates them, ontology, data shapes, lint shapes)."""
    from kzkg.assertion_graphs import checked_triples
    from kzkg.enrich import ENRICHMENT_GRAPH
    from kzkg.map import LINKS_GRAPH, map_corpus
    from kzkg.namespaces import ONTOLOGY_GRAPH

    ontology = load_turtle(ROOT / "ontology" / "kzkg.ttl")
    dataset, _ = map_corpus(load_corpus(ROOT / "data"), ontology)
    skipped = {ONTOLOGY_GRAPH, LINKS_GRAPH, ENRICHMENT_GRAPH}
    # as the pipeline does: of a claim's assertion graph only its figure nodes (kzkg.assertion_graphs)
    triples = [
        triple for graph in dataset.graphs() if graph.identifier not in skipped for triple in checked_triples(graph)
    ]
    return (
        triples,
        ontology,
        load_turtle(ROOT / "ontology" / "shapes.ttl"),
        load_turtle(ROOT / "ontology" / "annotation-shape.ttl"),
    )


def graph_of(triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def pyshacl_top_level(data: Graph, shapes: Graph, ontology: Graph) -> set[tuple]:
    """(focus node, source shape) of pyshacl's results that are not nested sh:detail results."""
    _, results, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True, inplace=True
    )
    nested = set(results.objects(None, SH.detail))
    return {
        (results.value(r, SH.focusNode), results.value(r, SH.sourceShape))
        for r in results.subjects(RDF.type, SH.ValidationResult)
        if r not in nested
    }


class Breaker:
    """Breaks distinct nodes of a graph and remembers which focus node and path must be reported."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.expected: dict[tuple, str] = {}  # (focus, path text) -> what was broken
        self.fine: set = set()  # nodes changed in ways the shapes allow: must not be flagged
        self.detail: dict[tuple, str] = {}  # lines of nested results (sh:node), not top-level
        self.used: set = set()

    def pick(self, cls=None, having=None, without=None):
        """A node not broken yet: of class ``cls`` and/or with predicate ``having``, lacking ``without``."""
        nodes = set(self.g.subjects(RDF.type, cls)) if cls is not None else set(self.g.subjects(having, None))
        if having is not None:
            nodes &= set(self.g.subjects(having, None))
        if without is not None:
            nodes -= set(self.g.subjects(without, None))
        node = min(nodes - self.used)
        self.used.add(node)
        return node

    def expect(self, focus, path, why: str) -> None:
        self.expected[(focus, path)] = why

    def expect_detail(self, focus, path, why: str) -> None:
        self.detail[(focus, path)] = why

    def drop(self, node, predicate) -> None:
        self.g.remove((node, predicate, None))

    def set(self, node, predicate, *values) -> None:
        self.g.remove((node, predicate, None))
        for value in values:
            self.g.add((node, predicate, value))


def break_data(b: Breaker) -> None:
    g = b.g
    seq = f"{KZ.evidence}/{OA.hasTarget}/{OA.hasSource}"  # how run_shapes prints the sequence path
    place, person, article = b.pick(KZ.Place), b.pick(KZ.Person), b.pick(KZ.Article)
    channel, annotation = b.pick(KZ.Channel), b.pick(OA.Annotation)

    def claim(having: URIRef | None = None, without: URIRef | None = None) -> URIRef:
        return b.pick(KZ.Claim, having, without)

    # claims
    c = claim()
    b.drop(c, RDFS.label)
    b.expect(c, str(RDFS.label), "no label")
    c = claim()
    b.set(c, RDFS.label, URIRef("http://example.org/label"))
    b.expect(c, str(RDFS.label), "label is an IRI")
    c = claim()
    g.add((c, KZ.claimedBy, KZ.Deaths))
    b.expect(c, str(KZ.claimedBy), "claimant is a concept")
    c = claim()
    b.drop(c, KZ.claimedBy)
    b.expect(c, str(KZ.claimedBy), "no claimant")
    c = claim()
    b.set(c, KZ.claimedBy, place)
    b.expect(c, str(KZ.claimedBy), "claimant is a place")
    c = claim()
    b.set(c, KZ.claimedBy, Literal("someone"))
    b.expect(c, str(KZ.claimedBy), "claimant is a literal")
    c = claim()
    g.add((c, KZ.relayedBy, article))
    b.expect(c, str(KZ.relayedBy), "relayed by an article")
    c = claim()
    g.add((c, KZ.reportedIn, place))
    b.expect(c, str(KZ.reportedIn), "reported in a place")
    c = claim()
    b.drop(c, KZ.reportedIn)
    b.expect(c, str(KZ.reportedIn), "not reported anywhere")
    b.expect(c, seq, "evidence articles differ from (no) reporting articles")
    c = claim()
    g.add((c, KZ.evidence, person))
    b.expect(c, str(KZ.evidence), "evidence is a person")
    c = claim()
    b.drop(c, KZ.evidence)
    b.expect(c, str(KZ.evidence), "no evidence")
    b.expect(c, seq, "no evidence articles")
    c = claim()
    g.add((c, KZ.reportedIn, URIRef("https://w3id.org/kzkg/id/article/999")))
    b.expect(c, seq, "reported in an article with no evidence quote")
    b.expect(c, str(KZ.reportedIn), "reported in a node that is not an article")
    c = claim()
    g.add((c, KZ.statedIn, person))
    b.expect(c, str(KZ.statedIn), "stated in a person")
    c = claim()
    g.add((c, KZ.about, Literal("Almaty")))
    b.expect(c, str(KZ.about), "about a literal")
    c = claim()
    b.set(c, KZ.claimDate, Literal("2022-01-05"))
    b.expect(c, str(KZ.claimDate), "date is a string")
    c = claim()
    b.set(c, KZ.claimDate, Literal("2022-13-45", datatype=XSD.date))
    b.expect(c, str(KZ.claimDate), "ill-typed date")
    c = claim()
    b.set(c, KZ.claimDate, Literal("2022-01-05T10:00:00", datatype=XSD.dateTime))
    b.expect(c, str(KZ.claimDate), "dateTime, not date")
    c = claim()
    b.set(c, KZ.dateText, KZ.Deaths)
    b.expect(c, str(KZ.dateText), "date text is an IRI")
    c = claim(having=KZ.quantity)
    b.set(c, KZ.quantity, Literal(-1))
    b.expect(c, str(KZ.quantity), "negative")
    c = claim(having=KZ.quantity)
    b.set(c, KZ.quantity, Literal("5"))
    b.expect(c, str(KZ.quantity), "string figure")
    c = claim(having=KZ.quantity)
    b.set(c, KZ.quantity, Literal(1.5))
    b.expect(c, str(KZ.quantity), "double")
    c = claim(having=KZ.quantity)
    b.set(c, KZ.quantity, Literal("2.5", datatype=XSD.decimal))
    b.fine.add(c)
    c = claim()
    g.add((c, KZ.relayedBy, channel))
    b.fine.add(c)  # a channel may relay a claim
    c = claim()
    g.add((c, KZ.statedIn, article))
    b.fine.add(c)
    c = claim(having=KZ.quantityKind)
    g.add((c, KZ.quantityKind, KZ.Injuries))
    g.add((c, KZ.quantityKind, KZ.Deaths))
    b.expect(c, str(KZ.quantityKind), "two kinds")
    c = claim(having=KZ.quantityKind)
    b.set(c, KZ.quantityKind, KZ.Confirmed)
    b.expect(c, str(KZ.quantityKind), "kind from another scheme")
    c = claim()
    b.set(c, KZ.quantityQualifier, KZ.Deaths)
    b.expect(c, str(KZ.quantityQualifier), "bad qualifier")
    c = claim()
    b.set(c, KZ.quantityQualifier, KZ.AtLeast, KZ.About)
    b.expect(c, str(KZ.quantityQualifier), "two")
    c = claim()
    b.set(c, KZ.unit, KZ.Deaths)
    b.expect(c, str(KZ.unit), "unit is an IRI")
    c = claim(having=KZ.quantityText)
    b.set(c, KZ.quantityText, KZ.Deaths)
    b.expect(c, str(KZ.quantityText), "IRI")
    c = claim()
    b.set(c, KZ.polarity, KZ.Confirmed)
    b.expect(c, str(KZ.polarity), "polarity not kz:Negative")
    c = claim()
    b.set(c, KZ.status, KZ.Confirmed, KZ.Disputed)
    b.expect(c, str(KZ.status), "two statuses")
    c = claim()
    b.set(c, KZ.status, Literal("Probably"))
    b.expect(c, str(KZ.status), "status literal")
    c = claim()
    g.add((c, KZ.contradicts, article))
    b.expect(c, str(KZ.contradicts), "contradicts an article")
    c = claim(having=KZ.contradicts)
    g.add((c, KZ.corroborates, g.value(c, KZ.contradicts)))
    b.expect(c, str(KZ.contradicts), "contradicts and corroborates the same claim")
    c = claim()
    g.add((c, KZ.corroborates, Literal("x")))
    b.expect(c, str(KZ.corroborates), "corroborates a literal")
    c = claim(having=KZ.quantity)
    b.drop(c, KZ.quantityKind)
    b.expect(c, str(KZ.quantityKind), "figure, no kind")
    c = claim(having=KZ.quantityText, without=KZ.quantity)
    b.drop(c, KZ.quantityKind)
    b.expect(c, str(KZ.quantityKind), "quantity text, no kind")
    sub = URIRef("https://w3id.org/kzkg/id/claim/typed-by-subclass")  # sh:targetClass follows rdfs:subClassOf
    g.add((sub, RDF.type, KZ.ContestedClaim))
    b.expect(sub, str(RDFS.label), "subclass instance without label")

    # role statements
    r = b.pick(KZ.RoleStatement)
    g.add((r, KZ.actor, person))
    g.add((r, KZ.actor, place))
    b.expect(r, str(KZ.actor), "two actors, one a place")
    r = b.pick(KZ.RoleStatement)
    b.drop(r, KZ.roleName)
    b.expect(r, str(KZ.roleName), "no role name")
    r = b.pick(KZ.RoleStatement)
    b.set(r, KZ.roleName, KZ.Deaths)
    b.expect(r, str(KZ.roleName), "role name IRI")
    r = b.pick(KZ.RoleStatement)
    b.drop(r, KZ.evidence)
    b.expect(r, str(KZ.evidence), "no evidence")
    b.expect(r, seq, "no evidence articles")
    r = b.pick(KZ.RoleStatement)
    b.drop(r, KZ.reportedIn)
    b.expect(r, str(KZ.reportedIn), "not reported")
    b.expect(r, seq, "evidence article not a reporting article")

    # evidence annotations, targets and selectors
    def target_of(a):
        return g.value(a, OA.hasTarget)

    def selector(t, cls):
        return next(s for s in g.objects(t, OA.hasSelector) if (s, RDF.type, cls) in g)

    a = b.pick(OA.Annotation)
    g.add((a, OA.hasTarget, target_of(annotation)))
    b.expect(a, str(OA.hasTarget), "two targets")
    a = b.pick(OA.Annotation)
    b.drop(a, OA.hasTarget)
    b.expect(a, str(OA.hasTarget), "no target")
    for change, path, why in [
        (lambda t: b.drop(t, OA.hasSource), OA.hasSource, "no source"),
        (lambda t: b.set(t, OA.hasSource, place), OA.hasSource, "source is a place"),
        (
            lambda t: g.add(
                (t, OA.hasSource, min(set(g.subjects(RDF.type, KZ.Article)) - set(g.objects(t, OA.hasSource))))
            ),
            OA.hasSource,
            "two sources",
        ),
        (
            lambda t: g.add((t, OA.hasSelector, selector(target_of(annotation), OA.TextQuoteSelector))),
            OA.hasSelector,
            "two quotes",
        ),
        (lambda t: g.remove((t, OA.hasSelector, selector(t, OA.TextPositionSelector))), OA.hasSelector, "no position"),
        (lambda t: g.remove((t, OA.hasSelector, selector(t, OA.TextQuoteSelector))), OA.hasSelector, "no quote"),
    ]:
        a = b.pick(OA.Annotation)
        t = target_of(a)
        b.used.add(t)
        change(t)
        b.expect(a, str(OA.hasTarget), f"target: {why}")
        b.expect_detail(t, str(path), why)
    quotes = [selector(target_of(b.pick(OA.Annotation)), OA.TextQuoteSelector) for _ in range(4)]
    b.set(quotes[0], OA.exact, Literal(""))
    b.expect(quotes[0], str(OA.exact), "empty quote")
    g.add((quotes[1], OA.exact, Literal("another")))
    b.expect(quotes[1], str(OA.exact), "two quotes")
    b.set(quotes[2], OA.prefix, KZ.Deaths)
    b.expect(quotes[2], str(OA.prefix), "prefix IRI")
    b.set(quotes[3], OA.suffix, Literal("a"), Literal("b"))
    b.expect(quotes[3], str(OA.suffix), "two suffixes")
    positions = [selector(target_of(b.pick(OA.Annotation)), OA.TextPositionSelector) for _ in range(7)]
    b.set(positions[0], OA.start, Literal(-1))
    b.expect(positions[0], str(OA.start), "negative start")
    b.set(positions[1], OA.start, Literal(10**9))
    b.expect(positions[1], str(OA.start), "start after end")
    b.set(positions[2], OA.start, Literal("3"))
    b.expect(positions[2], str(OA.start), "start is a string")
    b.set(positions[3], OA.end, Literal(0))
    b.expect(positions[3], str(OA.end), "end 0")
    b.expect(positions[3], str(OA.start), "start not before end 0")
    b.drop(positions[4], OA.end)
    b.expect(positions[4], str(OA.end), "no end")
    b.set(positions[5], OA.start, Literal("3", datatype=XSD.int))
    b.expect(positions[5], str(OA.start), "xsd:int")
    b.set(positions[6], OA.end, Literal(5), Literal(6))
    b.expect(positions[6], str(OA.end), "two ends")

    # events
    e = b.pick(KZ.Event)
    b.drop(e, KZ.startDate)
    b.drop(e, KZ.dateText)
    b.expect(e, "", "no time at all")
    e = b.pick(KZ.Event)
    b.set(e, KZ.eventType, KZ.Riot, KZ.Protest)
    b.expect(e, str(KZ.eventType), "two types")
    e = b.pick(KZ.Event)
    b.set(e, KZ.eventType, KZ.Deaths)
    b.expect(e, str(KZ.eventType), "type from another scheme")
    e = b.pick(KZ.Event)
    b.drop(e, KZ.eventType)
    b.expect(e, str(KZ.eventType), "no type")
    e = b.pick(KZ.Event, having=KZ.endDate)
    b.set(e, KZ.startDate, Literal(date(2030, 1, 1)))
    b.expect(e, str(KZ.startDate), "starts after it ends")
    e = b.pick(KZ.Event, having=KZ.startDate)
    b.set(e, KZ.endDate, Literal("soon"))
    b.expect(e, str(KZ.endDate), "end date string")
    b.expect(e, str(KZ.startDate), "start date compared with a string end date")
    e = b.pick(KZ.Event)
    g.add((e, KZ.place, person))
    b.expect(e, str(KZ.place), "place is a person")
    e = b.pick(KZ.Event)
    g.add((e, KZ.participant, KZ.Riot))
    b.expect(e, str(KZ.participant), "participant concept")
    e = b.pick(KZ.Event)
    g.add((e, KZ.partOf, claim()))
    b.expect(e, str(KZ.partOf), "part of a claim")
    e = b.pick(KZ.Event)
    b.drop(e, KZ.evidence)
    b.expect(e, str(KZ.evidence), "no evidence")
    e = b.pick(KZ.Event)
    b.drop(e, RDFS.label)
    b.expect(e, str(RDFS.label), "no label")
    e = b.pick(KZ.Event)
    b.set(e, KZ.dateText, KZ.Riot)
    b.expect(e, str(KZ.dateText), "date text IRI")

    # articles, channels, actors, places, external links
    arts = [b.pick(KZ.Article) for _ in range(5)]
    b.drop(arts[0], DCTERMS.title)
    b.expect(arts[0], str(DCTERMS.title), "no title")
    b.set(arts[0], KZ.publisher, person)
    b.expect(arts[0], str(KZ.publisher), "published by a person")
    b.set(arts[1], KZ.byline, Literal("a"), Literal("b"))
    b.expect(arts[1], str(KZ.byline), "two bylines")
    b.set(arts[1], DCTERMS.date, Literal("2022-01-05T10:00:00", datatype=XSD.dateTime))
    b.expect(arts[1], str(DCTERMS.date), "dateTime")
    g.add((arts[2], DCTERMS.creator, place))
    b.expect(arts[2], str(DCTERMS.creator), "author is a place")
    g.add((arts[2], KZ.repostOf, person))
    b.expect(arts[2], str(KZ.repostOf), "repost of a person")
    g.add((arts[3], KZ.reprints, Literal("x")))
    b.expect(arts[3], str(KZ.reprints), "reprints a literal")
    g.add((arts[3], KZ.evidence, person))
    b.expect(arts[3], str(KZ.evidence), "evidence is a person")
    b.drop(arts[4], KZ.publisher)
    b.expect(arts[4], str(KZ.publisher), "no publisher")
    b.drop(channel, RDFS.label)
    b.expect(channel, str(RDFS.label), "channel without label")
    for cls in (KZ.Person, KZ.Organization, KZ.MediaOutlet, KZ.Group):
        actor = b.pick(cls)
        b.drop(actor, RDFS.label)
        b.expect(actor, str(RDFS.label), "actor without label")
    actor = URIRef("https://w3id.org/kzkg/id/just-an-actor")
    g.add((actor, RDF.type, KZ.Actor))
    b.expect(actor, str(RDFS.label), "kz:Actor without label")
    actor = b.pick(KZ.Person)
    g.add((actor, KZ.memberOf, person))
    b.expect(actor, str(KZ.memberOf), "member of a person")
    actor = b.pick(KZ.Group)
    g.add((actor, KZ.hasRole, claim()))
    b.expect(actor, str(KZ.hasRole), "role is a claim")
    actor = b.pick(KZ.Organization)
    g.add((actor, KZ.locatedIn, person))
    b.expect(actor, str(KZ.locatedIn), "in a person")
    actor = b.pick(KZ.Organization)
    b.set(actor, KZ.country, Literal("KZ"))
    b.expect(actor, str(KZ.country), "country literal")
    outlet = b.pick(KZ.MediaOutlet, having=KZ.editorialControl)
    b.set(outlet, KZ.editorialControl, KZ.Confirmed)
    b.expect(outlet, str(KZ.editorialControl), "control from another scheme")
    outlet = b.pick(KZ.MediaOutlet, having=KZ.editorialControl)
    b.drop(outlet, KZ.evidence)
    b.expect(outlet, str(KZ.evidence), "control without evidence")
    outlet = b.pick(KZ.MediaOutlet)
    b.set(outlet, KZ.editorialControl, KZ.Independent, KZ.StateControlled)
    b.expect(outlet, str(KZ.editorialControl), "two controls")
    p = b.pick(KZ.Place)
    b.drop(p, RDFS.label)
    b.expect(p, str(RDFS.label), "place without label")
    p = b.pick(KZ.Place)
    g.add((p, KZ.locatedIn, person))
    b.expect(p, str(KZ.locatedIn), "place in a person")
    linked = [b.pick(having=SKOS.exactMatch) for _ in range(3)]
    b.drop(linked[0], KZ.linkEvidence)
    b.expect(linked[0], str(KZ.linkEvidence), "link without evidence")
    g.add((linked[1], SKOS.exactMatch, URIRef("https://www.wikidata.org/wiki/Q1")))
    b.expect(linked[1], str(SKOS.exactMatch), "web page, not entity IRI")
    g.add((linked[2], SKOS.exactMatch, Literal("Q1")))
    b.expect(linked[2], str(SKOS.exactMatch), "literal link")


def break_ontology(b: Breaker) -> None:
    g, label, comment = b.g, RDFS.label, RDFS.comment
    b.drop(KZ.Claim, label)
    b.expect(KZ.Claim, "", "no label")
    g.add((KZ.Event, label, Literal("Happening", lang="en")))
    b.expect(KZ.Event, "", "two English labels")
    b.set(KZ.Article, label, Literal("Article"))
    b.expect(KZ.Article, "", "label without language")
    b.set(KZ.Person, label, Literal("Адам", lang="kk"))
    b.expect(KZ.Person, "", "label in Kazakh only")
    b.set(KZ.Place, label, Literal("Place", lang="en-GB"))
    b.fine.add(KZ.Place)  # en-GB matches "en"
    b.drop(KZ.claimedBy, comment)
    b.expect(KZ.claimedBy, "", "no comment")
    b.set(KZ.reportedIn, comment, Literal("Сообщается в", lang="ru"))
    b.expect(KZ.reportedIn, "", "no English comment")
    b.set(KZ.Deaths, RDFS.isDefinedBy, URIRef("http://example.org/other"))
    b.expect(KZ.Deaths, "", "wrong isDefinedBy")
    g.add((KZ.Group, RDFS.isDefinedBy, URIRef("http://example.org/other")))
    b.expect(KZ.Group, "", "two isDefinedBy")
    b.drop(KZ.Riot, SKOS.prefLabel)
    b.expect(KZ.Riot, "", "concept without prefLabel")
    b.set(KZ.Looting, SKOS.inScheme, URIRef("http://example.org/scheme"))
    b.expect(KZ.Looting, "", "foreign scheme")
    b.drop(KZ.ClaimStatus, SKOS.hasTopConcept)
    b.expect(KZ.ClaimStatus, "", "scheme without top concepts")
    b.drop(ONTOLOGY_IRI, DCTERMS.title)
    b.expect(ONTOLOGY_IRI, str(DCTERMS.title), "header without title")
    b.set(ONTOLOGY_IRI, URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix"), Literal("kz"), Literal("kzkg"))
    b.expect(ONTOLOGY_IRI, "http://purl.org/vocab/vann/preferredNamespacePrefix", "two prefixes")
    vann_uri = URIRef("http://purl.org/vocab/vann/preferredNamespaceUri")
    b.set(ONTOLOGY_IRI, vann_uri, Literal("https://w3id.org/kzkg/ontology/"))
    b.expect(ONTOLOGY_IRI, str(vann_uri), "URI")
    b.drop(ONTOLOGY_IRI, DCTERMS.description)
    b.expect(ONTOLOGY_IRI, str(DCTERMS.description), "no description")
    b.set(ONTOLOGY_IRI, DCTERMS.creator, Literal("someone"))
    b.expect(ONTOLOGY_IRI, str(DCTERMS.creator), "creator")
    b.drop(ONTOLOGY_IRI, DCTERMS.license)
    b.expect(ONTOLOGY_IRI, str(DCTERMS.license), "no licence")
    g.remove((ONTOLOGY_IRI, RDF.type, OWL.Ontology))
    b.expect(ONTOLOGY_IRI, "", "header not an owl:Ontology")
    g.add((URIRef("http://example.org/Undocumented"), RDF.type, OWL.Class))  # not kz: exempt
    b.fine.add(URIRef("http://example.org/Undocumented"))


def test_fast_check_flags_exactly_what_pyshacl_reports_on_broken_data(shacl_inputs) -> None:
    triples, ontology, shapes, _ = shacl_inputs
    assert fast_failures(graph_of(triples), shapes, ontology) == set()  # the real data conforms
    breaker = Breaker(graph_of(triples))
    break_data(breaker)
    broken = breaker.g
    fast = fast_failures(broken, shapes, ontology)
    reference = pyshacl_top_level(graph_of(broken), shapes, ontology)
    assert fast == reference
    assert fast_failures(list(broken), shapes, ontology) == fast  # plain triples: the same answer
    assert {focus for focus, _ in breaker.expected} <= {focus for focus, _ in fast}
    assert not breaker.fine & {focus for focus, _ in fast}
    lines = run_shapes(graph_of(broken), shapes, ontology)
    missing = [
        f"{focus} {path}: {why}"
        for (focus, path), why in {**breaker.expected, **breaker.detail}.items()
        if not any(line.startswith(f"shacl: {focus}: {path}: ") for line in lines)
    ]
    assert not missing, "\n".join(missing)


def test_fast_check_flags_exactly_what_pyshacl_reports_on_the_ontology_lint(shacl_inputs) -> None:
    _, ontology, _, lint = shacl_inputs
    assert fast_failures(ontology, lint, Graph()) == set()
    breaker = Breaker(graph_of(ontology))
    break_ontology(breaker)
    broken = breaker.g
    fast = fast_failures(broken, lint, Graph())
    assert fast == pyshacl_top_level(graph_of(broken), lint, Graph())
    assert not breaker.fine & {focus for focus, _ in fast}
    lines = run_shapes(graph_of(broken), lint, Graph())
    missing = [
        f"{focus} {path}: {why}"
        for (focus, path), why in breaker.expected.items()
        if not any(line.startswith(f"shacl: {focus}: {path}: ") for line in lines)
    ]
    assert not missing, "\n".join(missing)


def test_shapes_beyond_the_fast_subset_are_validated_by_pyshacl(shacl_inputs) -> None:
    """sh:severity (or any construct the fast check lacks) hands the whole run to pyshacl."""
    triples, ontology, shapes, _ = shacl_inputs
    data = graph_of(triples)
    claim = min(data.subjects(RDF.type, KZ.Claim))
    data.remove((claim, RDFS.label, None))
    extended = graph_of(shapes)
    extended.add((KZSH.ChannelShape, SH.severity, SH.Violation))
    assert fast_failures(data, extended, ontology) is None
    lines = run_shapes(list(data), extended, ontology)  # triples become a Graph for pyshacl
    assert lines == run_shapes(graph_of(data), shapes, ontology, engine="pyshacl")
    assert any(line.startswith(f"shacl: {claim}: {RDFS.label}: ") for line in lines)


SYNTHETIC_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
ex:Known a sh:NodeShape ; sh:targetObjectsOf ex:knows ;
    sh:property [ sh:path [ sh:inversePath ex:knows ] ; sh:maxCount 1 ] ;
    sh:property [ sh:path ex:name ; sh:maxLength 5 ; sh:languageIn ( "en" "kk" ) ] ;
    sh:property [ sh:path ex:age ; sh:minExclusive 0 ; sh:maxInclusive 150 ; sh:maxExclusive 200 ] ;
    sh:property [ sh:path ex:nick ; sh:datatype xsd:string ; sh:minLength 2 ] ;
    sh:property [ sh:path ex:motto ; sh:datatype rdf:langString ] ;
    sh:property [ sh:path ex:born ; sh:lessThan ex:died ] ;
    sh:property [ sh:path ex:code ; sh:lessThanOrEquals ex:maxCode ] ;
    sh:xone ( [ sh:class ex:A ] [ sh:class ex:B ] ) ;
    sh:not [ sh:hasValue ex:banned ] ;
    sh:and ( [ sh:nodeKind sh:IRI ] [ sh:pattern "^http://example.org/" ] ) .
ex:Hand a sh:NodeShape ; sh:targetClass ex:Hand ;
    sh:property [ sh:path ex:digit ; sh:qualifiedValueShape [ sh:class ex:Thumb ] ;
                  sh:qualifiedValueShapesDisjoint true ; sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ] ,
                [ sh:path ex:digit ; sh:qualifiedValueShape [ sh:class ex:Finger ] ;
                  sh:qualifiedValueShapesDisjoint true ; sh:qualifiedMinCount 4 ; sh:qualifiedMaxCount 4 ] .
ex:Doc a sh:NodeShape ; sh:targetClass ex:Doc ; sh:targetNode ex:ghost , "a literal" ;
    sh:property [ sh:path ex:part ; sh:node ex:Titled , ex:Short ;
                  sh:property [ sh:path ex:title ; sh:minCount 1 ; sh:hasValue "Intro" ] ] ;
    sh:property [ sh:path ( ex:part [ sh:inversePath ex:part ] ) ; sh:disjoint ex:notSelf ; sh:equals ex:self ] .
ex:Titled a sh:NodeShape ; sh:property [ sh:path ex:title ; sh:maxCount 2 ; sh:in ( "Intro" "Body" "End" ) ] .
ex:Short a sh:NodeShape ; sh:or ( [ sh:path ex:title ; sh:maxCount 1 ] [ sh:class ex:Long ] ) .
"""

SYNTHETIC_DATA = """
@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:knows ex:p1 , ex:p2 , ex:p3 , ex:p4 , ex:p5 , ex:banned , "lit" . ex:b ex:knows ex:p2 .
ex:p1 a ex:A ; ex:name "Ann"@en ; ex:age 30 ; ex:nick "an" ; ex:motto "carpe"@la ; ex:born 1 ; ex:died 2 ;
    ex:code "a" ; ex:maxCode "b" .
ex:p2 a ex:A , ex:B ; ex:name "Alexandra"@en ; ex:age 0 ; ex:nick "x"^^xsd:token ; ex:born 3 ; ex:died 2 .
ex:p3 a ex:B ; ex:name "Бек"@kk-Cyrl ; ex:age 150.0 ; ex:nick "b" ; ex:motto "x" ; ex:born "1" ; ex:died 2 .
ex:p4 ex:name "Bo" ; ex:age "12" ; ex:code 5 ; ex:maxCode 5 ; ex:born "2020-01-01"^^xsd:date ; ex:died 2 .
ex:p5 a ex:A ; ex:age 200 ; ex:code "b" ; ex:maxCode "a" ; ex:born ex:x ; ex:died ex:y .
ex:banned a ex:A .
ex:h1 a ex:Hand ; ex:digit ex:t1 , ex:f1 , ex:f2 , ex:f3 , ex:f4 .
ex:h2 a ex:Hand ; ex:digit ex:t1 , ex:t2 , ex:f1 , ex:f2 , ex:f3 .
ex:h3 a ex:Hand ; ex:digit ex:tf , ex:f1 , ex:f2 , ex:f3 , ex:f4 .
ex:t1 a ex:Thumb . ex:t2 a ex:Thumb . ex:tf a ex:Thumb , ex:Finger .
ex:f1 a ex:Finger . ex:f2 a ex:Finger . ex:f3 a ex:Finger . ex:f4 a ex:Finger .
ex:d1 a ex:Doc ; ex:part ex:s1 ; ex:self ex:d1 .
ex:d2 a ex:Doc ; ex:part ex:s2 , ex:s3 ; ex:self ex:d2 ; ex:notSelf ex:d2 .
ex:d3 a ex:Doc ; ex:part ex:s4 .
ex:s1 ex:title "Intro" . ex:s2 ex:title "Body" . ex:s3 ex:title "Intro" , "End" , "Body" .
ex:s4 a ex:Long ; ex:title "Intro" , "Epilogue" .
"""


def test_fast_check_agrees_with_pyshacl_on_constraints_the_kzkg_shapes_do_not_use_yet() -> None:
    """Every implemented construct, so a future edit of the shapes stays checked the same way."""
    shapes = Graph().parse(data=SYNTHETIC_SHAPES, format="turtle")
    data = Graph().parse(data=SYNTHETIC_DATA, format="turtle")
    fast = fast_failures(data, shapes, Graph())
    assert fast is not None  # nothing here should make the fast check step aside
    assert fast == pyshacl_top_level(graph_of(data), shapes, Graph())
    flagged = {str(focus).rsplit("/", 1)[-1] for focus, _ in fast}
    assert {"p1", "h1", "d1"}.isdisjoint(flagged)  # the conforming ones
    assert {"p2", "p3", "p4", "p5", "banned", "lit", "h2", "h3", "d2", "d3"} <= flagged
