"""The shape of Wikidata-style data, shared by reconciliation (``kzkg link``) and enrichment.

Both query Wikidata's service by default, or any endpoint holding Wikidata-shaped data (wd:
items, rdfs:label / skos:altLabel / schema:description, wdt: properties) -- in the tests, a second
kzkg server on loopback loaded with a small snapshot. What an item IRI looks like and which
prefixes a query declares is said once, here.
"""

from __future__ import annotations

from kzkg import namespaces

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
DBPEDIA_ENDPOINT = "https://dbpedia.org/sparql"

# Plain strings (not rdflib Namespaces): callers concatenate them into IRIs and SPARQL text.
WD = str(namespaces.WD)
WDT = str(namespaces.WDT)
RDFS_LABEL = str(namespaces.RDFS.label)
SKOS_ALT = str(namespaces.SKOS.altLabel)
SKOS_EXACT = str(namespaces.SKOS.exactMatch)
SCHEMA_DESCRIPTION = str(namespaces.SCHEMA.description)
PROV = str(namespaces.PROV)
DCTERMS = str(namespaces.DCTERMS)
VOID = str(namespaces.VOID)
RDF_TYPE = str(namespaces.RDF.type)
XSD = str(namespaces.XSD)
CC0 = str(namespaces.CC0)
KNOWN_LICENCES = {WIKIDATA_ENDPOINT: CC0}  # Wikidata's structured data is CC0

QUERY_PREFIXES = f"""PREFIX wd: <{WD}>
PREFIX wdt: <{WDT}>
PREFIX rdfs: <{namespaces.RDFS}>
PREFIX skos: <{namespaces.SKOS}>
PREFIX schema: <{namespaces.SCHEMA}>
PREFIX prov: <{PROV}>
PREFIX dcterms: <{DCTERMS}>
PREFIX void: <{VOID}>
"""


def qid(iri_or_id: str) -> str:
    """``Q232`` for ``wd:Q232`` (anything else unchanged)."""
    return iri_or_id[len(WD) :] if iri_or_id.startswith(WD) else iri_or_id


def value(binding: dict, name: str) -> str:
    """A SPARQL-JSON binding's lexical value, or "" when the variable is unbound."""
    cell = binding.get(name)
    return str(cell.get("value", "")) if isinstance(cell, dict) else ""
