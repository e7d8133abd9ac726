"""The IRIs kzkg publishes. Users write queries against these, so they never change."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

KZ = Namespace("https://w3id.org/kzkg/ontology#")
ID = Namespace("https://w3id.org/kzkg/id/")
ONTOLOGY_IRI = "https://w3id.org/kzkg/ontology"
OA = Namespace("http://www.w3.org/ns/oa#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
SCHEMA = Namespace("http://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
WD = Namespace("http://www.wikidata.org/entity/")
GEONAMES = Namespace("https://sws.geonames.org/")
DBR = Namespace("http://dbpedia.org/resource/")

GRAPH = Namespace(str(ID) + "graph/")
ENTITIES_GRAPH = GRAPH["entities"]
ONTOLOGY_GRAPH = GRAPH["ontology"]
INFERRED_GRAPH = GRAPH["inferred"]


def article_graph(article_id: str):
    """One named graph per article, so that 'which article says what' is a GRAPH pattern."""
    return GRAPH["article/" + article_id]


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
