"""What the enrichment graph says about a resource, for its page: names per language, aliases,
descriptions and coordinates (``kzkg enrich`` copies them from Wikidata; ``kzkg build`` loads them
into ``kzgraph:enrichment``).

Works over a ``select`` callable so the embedded store and a remote store behind the pages both
serve it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import pyoxigraph as ox

from kzkg.enrich import ENRICHMENT_GRAPH
from kzkg.wikidata import RDFS_LABEL, SCHEMA_DESCRIPTION, SKOS_ALT, SKOS_EXACT, WDT

FACTS_QUERY = """
SELECT ?item ?p ?value WHERE {
  <%(entity)s> <%(exact)s> ?item .
  GRAPH <%(graph)s> {
    VALUES ?p { <%(label)s> <%(alt)s> <%(desc)s> <%(coord)s> }
    ?item ?p ?value .
  }
}"""


class SolutionRow(Protocol):
    """One SELECT solution by variable name: a pyoxigraph QuerySolution or a mapping of terms."""

    def __getitem__(self, name: str, /) -> Any: ...


def external_facts(select: Callable[[str], Iterable[SolutionRow]], entity_iri: str) -> dict[str, Any]:
    """Names per language, descriptions and coordinates the enrichment graph holds for an entity.

    ``select`` runs a SELECT over the union graph and yields rows of pyoxigraph terms, so the
    embedded store and a remote store behind the pages both serve it. Returns ``{"items": [...],
    "names": {"ru": [...], ...}, "aliases": {...}, "descriptions": {...}, "coordinates": [(lat, lon)]}``.
    """
    query = FACTS_QUERY % {
        "entity": entity_iri,
        "exact": SKOS_EXACT,
        "graph": ENRICHMENT_GRAPH,
        "label": RDFS_LABEL,
        "alt": SKOS_ALT,
        "desc": SCHEMA_DESCRIPTION,
        "coord": WDT + "P625",
    }
    facts: dict[str, Any] = {"items": [], "names": {}, "aliases": {}, "descriptions": {}, "coordinates": []}
    key = {RDFS_LABEL: "names", SKOS_ALT: "aliases", SCHEMA_DESCRIPTION: "descriptions"}
    for row in select(query):
        item, prop, value = row["item"].value, row["p"].value, row["value"]
        if item not in facts["items"]:
            facts["items"].append(item)
        if prop == WDT + "P625":
            point = parse_point(value.value)
            if point and point not in facts["coordinates"]:
                facts["coordinates"].append(point)
        elif isinstance(value, ox.Literal):
            bucket = facts[key[prop]].setdefault(value.language or "", [])
            if value.value not in bucket:
                bucket.append(value.value)
    return facts


def store_select(store: ox.Store) -> Callable[[str], Iterable[SolutionRow]]:
    """``external_facts``' select over a release store's default graph (kzkg.store.load_store)."""

    def select(query: str) -> Iterable[SolutionRow]:
        solutions = store.query(query)
        if not isinstance(solutions, ox.QuerySolutions):
            raise TypeError(f"external_facts runs SELECT queries only, not {query!r}")
        return solutions

    return select


def parse_point(wkt: str) -> tuple[float, float] | None:
    """``Point(lon lat)`` (Wikidata's WKT, optionally with a CRS IRI first) -> (lat, lon)."""
    match = re.search(r"Point\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)", wkt)
    if not match:
        return None
    lon, lat = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon
