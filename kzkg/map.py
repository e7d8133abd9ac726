"""Stage 2, map: turn the ingested corpus into RDF, one named graph per article.

Every IRI is derived from a curated id or from a quote's offsets, never from a counter or a blank
node, so a rebuild of the same data yields the same graph byte for byte. Each quote is located in
its article here; its offsets become a W3C Web Annotation that proves the article says it.
"""

from __future__ import annotations

import bisect
import functools
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from kzkg import __version__, namespaces
from kzkg.assertion_graphs import assertion_triples, claim_triples
from kzkg.corpus import Claim, Corpus, Entity, Event, Evidence, Problem
from kzkg.disagreements import compute_disagreements, disagreement_triples
from kzkg.namespaces import (
    DISAGREEMENTS_GRAPH,
    ENTITIES_GRAPH,
    LINKS_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    article_graph,
    assertion_graph,
)


class _Terms:
    """A namespace whose terms are made once: rdflib builds (and validates) a new URIRef at every
    ``KZ.quantity`` or ``ID[...]``, 1.8M of them in a 1M-triple map; reusing one object per IRI
    also lets the dataset's triples share their terms."""

    def __init__(self, namespace) -> None:
        self._namespace = namespace
        self._items: dict[str, URIRef] = {}

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        term = getattr(self._namespace, name)
        setattr(self, name, term)  # later lookups are plain attribute reads
        return term

    def __getitem__(self, name: str) -> URIRef:
        term = self._items.get(name)
        if term is None:
            term = self._items[name] = self._namespace[name]
        return term


# Memoised views of kzkg.namespaces (the one vocabulary module), under the same names.
DCTERMS, OWL, RDF, RDFS, SKOS, XSD = (
    _Terms(getattr(namespaces, name)) for name in ("DCTERMS", "OWL", "RDF", "RDFS", "SKOS", "XSD")
)
DBR, GEONAMES, ID, KZ, OA, SCHEMA, WD, GRAPH = (
    _Terms(getattr(namespaces, name)) for name in ("DBR", "GEONAMES", "ID", "KZ", "OA", "SCHEMA", "WD", "GRAPH")
)

QUOTE_CONTEXT = 32  # characters of oa:prefix / oa:suffix, enough to re-anchor a quote

ENTITY_CLASS = {
    "Person": KZ.Person,
    "Organization": KZ.Organization,
    "MediaOutlet": KZ.MediaOutlet,
    "Place": KZ.Place,
    "Channel": KZ.Channel,
    "Group": KZ.Group,
}
QUALIFIER_CONCEPT = {
    "exactly": KZ.Exactly,
    "at-least": KZ.AtLeast,
    "more-than": KZ.MoreThan,
    "nearly": KZ.Nearly,
    "about": KZ.About,
    "a-little-over": KZ.ALittleOver,
    "up-to": KZ.UpTo,
    "dozens": KZ.Dozens,
    "a-couple-of-dozen": KZ.ACoupleOfDozen,
    "hundreds": KZ.Hundreds,
    "thousands": KZ.Thousands,
    "several": KZ.Several,
    "many": KZ.Many,
    "most": KZ.Most,
}
EVENT_TYPE_CONCEPT = {"Other": KZ.OtherEvent}
QUANTITY_KIND_CONCEPT = {"Other": KZ.OtherQuantity}
CONTROL_CONCEPT = {"state": KZ.StateControlled, "independent": KZ.Independent}


@dataclass(frozen=True)
class Located:
    """Where a quote sits in its article (code-point offsets, as oa:TextPositionSelector counts)."""

    article: str
    start: int
    end: int
    exact: str


def locate(text: str, quote: str, occurrence: int = 1) -> tuple[int, int] | None:
    """Find a quote in an article, letting runs of white space differ and nothing else.

    The same as matching the quote's words joined by ``\\s+``, but searched in the article with
    each white-space run folded to one space: compiling a regular expression per quote cost a
    quarter of the map stage (thousands of quotes, re's cache holds 512 patterns).
    """
    words = quote.split()
    if not words:
        return None
    folded = _fold(text)
    needle = " ".join(words)
    found = -len(needle)
    for _ in range(occurrence):
        found = folded.text.find(needle, found + len(needle))
        if found < 0:
            return None
    return folded.original(found), folded.original(found + len(needle) - 1) + 1


@dataclass(frozen=True)
class _Folded:
    """An article with every white-space run as one space, and how to map offsets back.

    Only the runs are recorded (their folded offsets and the characters removed up to each), not a
    table per character: a corpus of hundreds of articles stays a few MB in the cache below.
    """

    text: str
    runs: array  # folded offset of each run's single space, ascending
    removed: array  # characters removed by that run and every run before it

    def original(self, offset: int) -> int:
        """The article offset of the folded character at ``offset`` (not inside a run)."""
        before = bisect.bisect_left(self.runs, offset)
        return offset + (self.removed[before - 1] if before else 0)


@functools.lru_cache(maxsize=4096)
def _fold(text: str) -> _Folded:
    """Folded once per article however many quotes it holds, and however the quotes of the
    corpus interleave articles (a 64-entry cache was refolding at every article switch at 1M)."""
    pieces: list[str] = []
    runs, removed = array("q"), array("q")
    position = folded_length = dropped = 0
    for run in _WHITESPACE.finditer(text):
        piece = text[position : run.start()]
        pieces.append(piece)
        pieces.append(" ")
        folded_length += len(piece)
        runs.append(folded_length)
        dropped += run.end() - run.start() - 1
        removed.append(dropped)
        folded_length += 1
        position = run.end()
    pieces.append(text[position:])
    return _Folded("".join(pieces), runs, removed)


_WHITESPACE = re.compile(r"\s+")


def entity_iri(entity_id: str) -> URIRef:
    return ID[entity_id]


def event_iri(event_id: str) -> URIRef:
    return ID["event/" + event_id]


def claim_iri(claim_id: str) -> URIRef:
    return ID["claim/" + claim_id]


def article_iri(article_id: str) -> URIRef:
    return ID["article/" + article_id]


def annotation_iri(spot: Located) -> URIRef:
    return ID[f"annotation/{spot.article}-{spot.start}-{spot.end}"]


class MappedGraph:
    """One named graph as the map stage writes it: a set of rdflib triples, added to and read."""

    __slots__ = ("_triples", "identifier")

    def __init__(self, identifier: URIRef):
        self.identifier = identifier
        self._triples: set[tuple] = set()

    def add(self, triple: tuple) -> None:
        self._triples.add(triple)

    def update(self, triples: Iterable[tuple]) -> None:
        """Add many triples in one call (a graph written whole, as an assertion graph is)."""
        self._triples.update(triples)

    def parse(self, source: Path | str, format: str) -> None:
        """Add a file's triples (rdflib parses it)."""
        self._triples.update(Graph().parse(source, format=format))

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)


class MappedDataset:
    """The asserted dataset as the map stage writes it: named graphs of rdflib terms, no indexes.

    Why not rdflib's Dataset: the map stage only adds and every later stage only iterates, while
    the Memory store's indexes cost memory and time on every quad, which no later stage uses. A
    set per graph keeps the same terms and the same duplicate-free quads in far less memory
    (figures: bench/README.md). Every graph is named: the map stage writes nothing to a default graph.
    """

    def __init__(self) -> None:
        self._graphs: dict[URIRef, MappedGraph] = {}

    def graph(self, identifier: URIRef) -> MappedGraph:
        graph = self._graphs.get(identifier)
        if graph is None:
            graph = self._graphs[identifier] = MappedGraph(identifier)
        return graph

    def graphs(self) -> Iterator[MappedGraph]:
        """Every named graph, so that a stage can leave whole graphs out without a test per quad."""
        return iter(self._graphs.values())

    def quads(self) -> Iterator[tuple]:
        """Every quad as (s, p, o, graph name)."""
        for name, graph in self._graphs.items():
            for s, p, o in graph:
                yield s, p, o, name


class Mapper:
    """Builds the asserted dataset; collects problems (quotes not found) rather than stopping."""

    def __init__(self, corpus: Corpus, ontology: Graph):
        self.corpus = corpus
        self.ontology = ontology
        self.dataset = MappedDataset()
        self.problems: list[Problem] = []

    # -- helpers ---------------------------------------------------------------------------
    def graph(self, iri: URIRef) -> MappedGraph:
        return self.dataset.graph(iri)

    def ref(self, some_id: str) -> URIRef:
        """An id in the shared registry: an event or an entity (validation checks it resolves)."""
        return event_iri(some_id) if some_id in self.corpus.events else entity_iri(some_id)

    def evidence(self, evidence: Evidence, body: URIRef) -> URIRef | None:
        """Locate a quote and write its annotation into the article's graph; None if not found."""
        article = self.corpus.articles.get(evidence.article)
        path, _, entry = evidence.where.partition(": ")
        if article is None:
            self.problems.append(Problem(path, entry, f"evidence names unknown article {evidence.article!r}"))
            return None
        span = locate(article.text, evidence.quote, evidence.occurrence)
        if span is None:
            shown = evidence.quote if len(evidence.quote) <= 90 else evidence.quote[:87] + "..."
            self.problems.append(
                Problem(path, entry, f"quote not found in article {article.id} ({article.file}): {shown!r}")
            )
            return None
        start, end = span
        spot = Located(article.id, start, end, article.text[start:end])
        anno = annotation_iri(spot)
        g = self.graph(article_graph(article.id))
        target, quote_sel, pos_sel = URIRef(anno + "#target"), URIRef(anno + "#quote"), URIRef(anno + "#position")
        g.add((anno, RDF.type, OA.Annotation))
        g.add((anno, OA.motivatedBy, OA.describing))
        g.add((anno, OA.hasBody, body))
        g.add((anno, OA.hasTarget, target))
        g.add((target, RDF.type, OA.SpecificResource))
        g.add((target, OA.hasSource, article_iri(article.id)))
        g.add((target, OA.hasSelector, quote_sel))
        g.add((target, OA.hasSelector, pos_sel))
        g.add((quote_sel, RDF.type, OA.TextQuoteSelector))
        g.add((quote_sel, OA.exact, Literal(spot.exact)))
        g.add((quote_sel, OA.prefix, Literal(article.text[max(0, start - QUOTE_CONTEXT) : start])))
        g.add((quote_sel, OA.suffix, Literal(article.text[end : end + QUOTE_CONTEXT])))
        g.add((pos_sel, RDF.type, OA.TextPositionSelector))
        # xsd:integer, not the Web Annotation context's xsd:nonNegativeInteger: oxigraph stores
        # derived integer types as xsd:integer (oxigraph#526), and the endpoint and the dumps
        # must say the same thing.
        g.add((pos_sel, OA.start, Literal(start, datatype=XSD.integer)))
        g.add((pos_sel, OA.end, Literal(end, datatype=XSD.integer)))
        return anno

    # -- the stages ------------------------------------------------------------------------
    def run(self) -> MappedDataset:
        self.map_ontology()
        for article in self.corpus.articles.values():
            self.map_article(article)
        for entity in self.corpus.entities.values():
            self.map_entity(entity)
        for event in self.corpus.events.values():
            self.map_event(event)
        for claim in self.corpus.claims.values():
            self.map_claim(claim)
        self.map_disagreements()
        for report in self.corpus.reports:
            reported = claim_iri(report.claim)
            anno = self.evidence(report.evidence, reported)
            g = self.graph(article_graph(report.evidence.article))
            g.add((reported, KZ.reportedIn, article_iri(report.evidence.article)))
            if anno:
                g.add((reported, KZ.evidence, anno))
        for role in self.corpus.roles:
            self.map_role(role)
        return self.dataset

    def map_ontology(self) -> None:
        """The ontology graph, stamped with the package version at build time (never by hand)."""
        g = self.graph(ONTOLOGY_GRAPH)
        # OWL restrictions and lists are blank nodes; canonical labels keep rebuilds byte-identical.
        for triple in to_canonical_graph(self.ontology):
            g.add(triple)
        ontology = URIRef(ONTOLOGY_IRI)
        g.add((ontology, OWL.versionIRI, URIRef(f"{ONTOLOGY_IRI}/{__version__}")))
        g.add((ontology, OWL.versionInfo, Literal(__version__)))

    def map_article(self, article) -> None:
        g = self.graph(ENTITIES_GRAPH)
        iri = article_iri(article.id)
        g.add((iri, RDF.type, KZ.Article))
        g.add((iri, RDFS.label, Literal(article.title)))
        g.add((iri, DCTERMS.title, Literal(article.title)))
        g.add((iri, KZ.publisher, entity_iri(article.publisher)))
        g.add((iri, KZ.byline, Literal(article.byline)))
        g.add((iri, DCTERMS.identifier, Literal(Path(article.file).name)))
        for creator in article.creators:
            g.add((iri, DCTERMS.creator, entity_iri(creator)))
        if article.date:
            g.add((iri, DCTERMS.date, Literal(article.date, datatype=XSD.date)))
        if article.date_text:
            g.add((iri, KZ.dateText, Literal(article.date_text)))
        if article.note:
            g.add((iri, RDFS.comment, Literal(article.note)))
        if article.part_of_issue:
            g.add((iri, SCHEMA.isPartOf, Literal(article.part_of_issue)))
        for reprinted in article.reprints:
            g.add((iri, KZ.reprints, article_iri(reprinted)))
        if article.repost_of:
            original = article_iri(str(article.repost_of["id"]))
            g.add((iri, KZ.repostOf, original))
            g.add((original, RDF.type, KZ.Article))
            g.add((original, RDFS.label, Literal(article.repost_of["title"])))
            g.add((original, DCTERMS.title, Literal(article.repost_of["title"])))
            g.add((original, KZ.publisher, entity_iri(article.repost_of["publisher"])))
            g.add((original, RDFS.comment, Literal("The original of a corpus article; its text is not in the corpus.")))
            evidence = article.repost_of.get("evidence")
            if evidence:
                anno = self.evidence(
                    Evidence(article.id, evidence, 1, f"data/articles.yaml: article {article.id}"), iri
                )
                if anno:
                    self.graph(article_graph(article.id)).add((iri, KZ.evidence, anno))
        # The text itself, so that a dump is self-contained and every offset can be checked.
        self.graph(article_graph(article.id)).add((iri, SCHEMA.articleBody, Literal(article.text)))

    def map_entity(self, entity: Entity) -> None:
        g = self.graph(ENTITIES_GRAPH)
        iri = entity_iri(entity.id)
        for kind in entity.types:
            g.add((iri, RDF.type, ENTITY_CLASS[kind]))
        g.add((iri, RDFS.label, Literal(entity.label)))
        for alias in entity.aliases:
            g.add((iri, SKOS.altLabel, Literal(alias)))
        if entity.located_in:
            g.add((iri, KZ.locatedIn, entity_iri(entity.located_in)))
        for organisation in entity.member_of:
            g.add((iri, KZ.memberOf, entity_iri(organisation)))
        if entity.country:
            g.add((iri, KZ.country, entity_iri(entity.country)))
        if entity.control in CONTROL_CONCEPT:
            g.add((iri, KZ.editorialControl, CONTROL_CONCEPT[entity.control]))
            if entity.control_evidence:
                anno = self.evidence(entity.control_evidence, iri)
                if anno:
                    self.graph(article_graph(entity.control_evidence.article)).add((iri, KZ.evidence, anno))
        external = []
        if "wikidata" in entity.links:
            external.append(WD[entity.links["wikidata"]])
        if "geonames" in entity.links:
            external.append(GEONAMES[entity.links["geonames"] + "/"])
        if "dbpedia" in entity.links:
            external.append(DBR[entity.links["dbpedia"]])
        for target in external:
            # skos:exactMatch in the reasoned graphs; owl:sameAs only in the links graph, which the
            # reasoner never sees (see kzkg.reason: sameAs would copy every claim onto the twin).
            g.add((iri, SKOS.exactMatch, target))
            self.graph(LINKS_GRAPH).add((iri, OWL.sameAs, target))
        if entity.links.get("evidence"):
            g.add((iri, KZ.linkEvidence, Literal(entity.links["evidence"])))

    def map_event(self, event: Event) -> None:
        g = self.graph(ENTITIES_GRAPH)
        iri = event_iri(event.id)
        g.add((iri, RDF.type, KZ.Event))
        g.add((iri, RDFS.label, Literal(event.label)))
        g.add((iri, KZ.eventType, EVENT_TYPE_CONCEPT.get(event.type, KZ[event.type])))
        if event.start:
            g.add((iri, KZ.startDate, Literal(event.start, datatype=XSD.date)))
        if event.end:
            g.add((iri, KZ.endDate, Literal(event.end, datatype=XSD.date)))
        if event.date_text or not event.start:
            g.add((iri, KZ.dateText, Literal(event.date_text or "unknown")))
        for place in event.places:
            g.add((iri, KZ.place, entity_iri(place)))
        for actor in event.participants:
            g.add((iri, KZ.participant, entity_iri(actor)))
        for parent in event.part_of:
            g.add((iri, KZ.partOf, event_iri(parent)))
        for evidence in event.evidence:
            anno = self.evidence(evidence, iri)
            if anno:
                self.graph(article_graph(evidence.article)).add((iri, KZ.evidence, anno))

    def map_claim(self, claim: Claim) -> None:
        g = self.graph(article_graph(claim.article))
        iri = claim_iri(claim.id)
        g.add((iri, RDF.type, KZ.Claim))
        g.add((iri, RDFS.label, Literal(claim.label)))
        g.add((iri, KZ.reportedIn, article_iri(claim.article)))
        for actor in claim.claimed_by:
            g.add((iri, KZ.claimedBy, entity_iri(actor)))
        for actor in claim.via:
            g.add((iri, KZ.relayedBy, entity_iri(actor)))
        if claim.date:
            g.add((iri, KZ.claimDate, Literal(claim.date, datatype=XSD.date)))
        if claim.date_text:
            g.add((iri, KZ.dateText, Literal(claim.date_text)))
        if claim.stated_in:
            g.add((iri, KZ.statedIn, entity_iri(claim.stated_in)))
        for subject in claim.about:
            g.add((iri, KZ.about, self.ref(subject)))
        if claim.quantity is not None:
            number = claim.quantity
            if isinstance(number, float) and number.is_integer():
                number = int(number)
            datatype = XSD.integer if isinstance(number, int) else XSD.decimal
            g.add((iri, KZ.quantity, Literal(str(number), datatype=datatype)))
        if claim.quantity_kind:
            g.add((iri, KZ.quantityKind, QUANTITY_KIND_CONCEPT.get(claim.quantity_kind, KZ[claim.quantity_kind])))
        if claim.qualifier:
            g.add((iri, KZ.quantityQualifier, QUALIFIER_CONCEPT[claim.qualifier]))
        if claim.quantity_text:
            g.add((iri, KZ.quantityText, Literal(claim.quantity_text)))
        if claim.unit:
            g.add((iri, KZ.unit, Literal(claim.unit)))
        g.add((iri, KZ.status, KZ[claim.status]))
        if claim.polarity == "negative":
            g.add((iri, KZ.polarity, KZ.Negative))
        for other in claim.contradicts:
            g.add((iri, KZ.contradicts, claim_iri(other)))
        for other in claim.corroborates:
            g.add((iri, KZ.corroborates, claim_iri(other)))
        for evidence in claim.evidence:
            anno = self.evidence(evidence, iri)
            if anno:
                self.graph(article_graph(evidence.article)).add((iri, KZ.evidence, anno))
        self.map_assertions(claim, iri)

    def map_assertions(self, claim: Claim, iri: URIRef) -> None:
        """The claim's kind beside it, and what it asserts in its own named graph (see
        kzkg.assertion_graphs: claims, not facts, so that graph stays out of the default graph)."""
        self.graph(article_graph(claim.article)).update(claim_triples(iri, claim))
        if claim.asserts:
            self.graph(assertion_graph(claim.id)).update(assertion_triples(claim, self))

    def map_disagreements(self) -> None:
        """Disagreements computed from every claim's assertions, into kzgraph:disagreements."""
        found = compute_disagreements(self.corpus.claims.values())
        if found:
            self.graph(DISAGREEMENTS_GRAPH).update(disagreement_triples(found, self))

    def map_role(self, role) -> None:
        article = role.evidence.article
        slug = re.sub(r"[^a-z0-9]+", "-", role.role.lower()).strip("-")
        iri = ID[f"role/{article}-{role.actor}-{slug}"]
        g = self.graph(article_graph(article))
        g.add((iri, RDF.type, KZ.RoleStatement))
        g.add((iri, RDFS.label, Literal(f"{role.role} (as given in article {article})")))
        g.add((iri, KZ.actor, entity_iri(role.actor)))
        g.add((entity_iri(role.actor), KZ.hasRole, iri))
        g.add((iri, KZ.roleName, Literal(role.role)))
        g.add((iri, KZ.reportedIn, article_iri(article)))
        anno = self.evidence(role.evidence, iri)
        if anno:
            g.add((iri, KZ.evidence, anno))


def map_corpus(corpus: Corpus, ontology: Graph) -> tuple[MappedDataset, list[Problem]]:
    """The asserted dataset and the problems met while mapping (quotes that are not in the text)."""
    mapper = Mapper(corpus, ontology)
    dataset = mapper.run()
    _fold.cache_clear()  # the folded articles are only needed while quotes are being located
    return dataset, mapper.problems
