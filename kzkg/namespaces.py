"""The IRIs kzkg publishes. Users write queries against these, so they never change.

The one vocabulary module: every namespace and graph IRI is spelled here once, and so is the
graph policy (which named graphs are reasoned over, make up the endpoint's default graph, go into
merged dumps, are checked by SHACL), so that the build, the dumps, the store and the server cannot
drift apart on what a graph is for.
"""

from __future__ import annotations

from typing import Any

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

__all__ = [
    "ASSERTION_BASE",
    "CC0",
    "DATASET",
    "DBR",
    "DCTERMS",
    "DEFAULT_GRAPH",
    "DISAGREEMENTS_GRAPH",
    "DUMPS",
    "ENRICHMENT_GRAPH",
    "ENTITIES_GRAPH",
    "EXTERNAL_SITES",
    "GEO",
    "GEONAMES",
    "GRAPH",
    "HOME",
    "ID",
    "INFERRED_GRAPH",
    "KZ",
    "LINKS_GRAPH",
    "OA",
    "ONTOLOGY_GRAPH",
    "ONTOLOGY_IRI",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "RELEASE_GRAPH",
    "SCHEMA",
    "SCHEMA_HTTPS",
    "SD",
    "SEM",
    "SKOS",
    "SPARQL_ENDPOINT",
    "VOID",
    "WD",
    "WDT",
    "XSD",
    "article_graph",
    "assertion_graph",
    "graph_iri",
    "in_default_graph",
    "in_merged_dumps",
    "is_assertion_graph",
    "is_claims_graph",
    "reasoned_over",
    "validated",
]

HOME = "https://w3id.org/kzkg"

KZ = Namespace("https://w3id.org/kzkg/ontology#")
ID = Namespace("https://w3id.org/kzkg/id/")
ONTOLOGY_IRI = "https://w3id.org/kzkg/ontology"
OA = Namespace("http://www.w3.org/ns/oa#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
SCHEMA = Namespace("http://schema.org/")
# schema.org's terms as data written against its https IRIs spells them (schema.org accepts both)
SCHEMA_HTTPS = Namespace("https://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
WD = Namespace("http://www.wikidata.org/entity/")
GEONAMES = Namespace("https://sws.geonames.org/")
DBR = Namespace("http://dbpedia.org/resource/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")

DATASET = ID["dataset"]
SPARQL_ENDPOINT = URIRef(HOME + "/sparql")
DUMPS = Namespace(HOME + "/dumps/")

GRAPH = Namespace(str(ID) + "graph/")
ENTITIES_GRAPH = GRAPH["entities"]
ONTOLOGY_GRAPH = GRAPH["ontology"]
INFERRED_GRAPH = GRAPH["inferred"]
LINKS_GRAPH = GRAPH["links"]  # owl:sameAs to Wikidata/GeoNames/DBpedia (kzkg.map)
ENRICHMENT_GRAPH = GRAPH["enrichment"]  # external facts fetched by `kzkg enrich`
DISAGREEMENTS_GRAPH = GRAPH["disagreements"]  # kz:Disagreement computed from what claims assert
RELEASE_GRAPH = GRAPH["release"]  # the build record `kzkg publish` keeps in a remote store
# One named graph per claim: what the claim asserts (a nanopublication's assertion graph).
ASSERTION_BASE = str(ID) + "assertion/"


def article_graph(article_id: str):
    """One named graph per article, so that 'which article says what' is a GRAPH pattern."""
    return GRAPH["article/" + article_id]


def assertion_graph(claim_id: str) -> URIRef:
    """The named graph holding what the claim asserts (nanopublication assertion)."""
    return URIRef(ASSERTION_BASE + claim_id)


# -- The graph policy -----------------------------------------------------------------------------
# Each predicate takes a graph name as an rdflib term, a pyoxigraph NamedNode/BlankNode/DefaultGraph
# or a plain string, because the build holds rdflib Datasets while the store, dumps and server
# hold pyoxigraph quads. They are called once per quad at 1M triples, so they stay one string test.


_DISAGREEMENTS = str(DISAGREEMENTS_GRAPH)  # a plain str: a URIRef never equals a str


def graph_iri(name: Any) -> str:
    """A graph name as its IRI string, whichever library's term it is ('' for a default graph)."""
    if name is None:
        return ""
    return str(getattr(name, "value", name))


def is_assertion_graph(name: Any) -> bool:
    """Whether a graph name is a claim's assertion graph."""
    return str(getattr(name, "value", name)).startswith(ASSERTION_BASE)  # graph_iri, inlined: per quad


def is_claims_graph(name: Any) -> bool:
    """An assertion graph or the disagreements graph: what claims say, never fed to the reasoner."""
    return is_assertion_graph(name) or graph_iri(name) == _DISAGREEMENTS


_NOT_REASONED = frozenset(map(str, (LINKS_GRAPH, ENRICHMENT_GRAPH, INFERRED_GRAPH)))
_NOT_VALIDATED = frozenset(map(str, (ONTOLOGY_GRAPH, LINKS_GRAPH, ENRICHMENT_GRAPH, INFERRED_GRAPH)))


def reasoned_over(name: Any) -> bool:
    """Whether the OWL 2 RL reasoner reads this graph. Not the links graph (owl:sameAs would copy
    every claim of an actor onto its external twin, see kzkg.reason), not the enrichment graph
    (someone else's statements, not ours to reason over), not what claims say (assertion graphs and
    the disagreements computed from them are claims, not facts), and not the inferred graph (the
    reasoner's own output)."""
    return graph_iri(name) not in _NOT_REASONED and not is_claims_graph(name)


def in_default_graph(name: Any) -> bool:
    """Whether the graph is part of the endpoint's (materialised) default graph: every graph but
    claims' assertion graphs, which hold what a claim says, not a fact; merged into the default
    graph they would read as facts. They stay reachable with GRAPH patterns."""
    return not is_assertion_graph(name)


def in_merged_dumps(name: Any) -> bool:
    """Whether the graph goes into the triple-only dumps (Turtle, N-Triples), which merge all graphs
    into one: the same graphs as the default graph, so a dump reads as the endpoint does. The
    dataset dumps (N-Quads, TriG, JSON-LD) keep every graph, assertion graphs included, in its own
    named graph."""
    return in_default_graph(name)


def validated(name: Any) -> bool:
    """Whether the SHACL data shapes check the graph: what we assert. Not the ontology (its own
    annotation lint checks it), nor the links or enrichment graphs (external identifiers and
    facts, not curated), nor the inferred graph. Assertion graphs are checked only in part
    (kzkg.assertion_graphs.checked_triples)."""
    return graph_iri(name) not in _NOT_VALIDATED


# Predeclared in the endpoint, the dumps and the CLI, so users can write kz:Claim straight away.
PREFIXES: dict[str, str] = {
    "kz": str(KZ),
    "kzid": str(ID),
    # '/' may not appear in a prefixed name's local part, so each IRI family gets its own prefix:
    # kzclaim:001-health-ministry-164-dead, kzevent:csto-deployment, kzarticle:001, kzgraph:inferred.
    "kzclaim": str(ID) + "claim/",
    "kzevent": str(ID) + "event/",
    "kzarticle": str(ID) + "article/",
    "kzgraph": str(ID) + "graph/",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "oa": str(OA),
    "sem": str(SEM),
    "schema": str(SCHEMA),
    "void": str(VOID),
    "wd": str(WD),
}

# The vocabularies the endpoint describes itself with (service description, VoID subsets, SHACL
# prefix declarations); not in PREFIXES, since users rarely query with them.
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

# The endpoint's default graph as one named graph on a remote store: `kzkg publish` writes the
# union of the graphs in_default_graph admits into it and names it in the release record as the
# dataset's sd:defaultGraph; the remote backend sends it as default-graph-uri. Never one of the
# release's graphs, so kept out of the graph policy above.
DEFAULT_GRAPH = GRAPH["default"]

# Where the linked datasets' IRIs (and the pages people paste in their place) begin, with the
# dataset's name: how a page says which site an external link goes to. Both schemes, since each
# dataset's IRIs and pages are written both ways in the wild.
EXTERNAL_SITES: tuple[tuple[str, str], ...] = (
    (str(WD), "Wikidata"),
    ("https://www.wikidata.org/wiki/", "Wikidata"),
    (str(GEONAMES), "GeoNames"),
    ("http://sws.geonames.org/", "GeoNames"),
    ("https://www.geonames.org/", "GeoNames"),
    (str(DBR), "DBpedia"),
    ("https://dbpedia.org/resource/", "DBpedia"),
)
