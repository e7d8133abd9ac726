"""The shape of Wikidata-style data, shared by reconciliation (``kzkg link``) and enrichment.

Both query Wikidata's service by default, or any endpoint holding Wikidata-shaped data (wd:
items, rdfs:label / skos:altLabel / schema:description, wdt: properties) -- in the tests, a second
kzkg server on loopback loaded with a small snapshot. What an item IRI looks like and which
prefixes a query declares is said once, here.
"""

from __future__ import annotations

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
DBPEDIA_ENDPOINT = "https://dbpedia.org/sparql"

WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
SCHEMA_DESCRIPTION = "http://schema.org/description"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
KNOWN_LICENCES = {WIKIDATA_ENDPOINT: CC0}  # Wikidata's structured data is CC0

QUERY_PREFIXES = f"""PREFIX wd: <{WD}>
PREFIX wdt: <{WDT}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
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
