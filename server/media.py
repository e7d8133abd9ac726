"""The one table that maps media types to serialisers, shared by every blueprint.

pyoxigraph serialises query results and graphs natively (in Rust), so a media type maps to a
pyoxigraph format; Werkzeug's Accept parser does the q-value arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class MediaType:
    """One way to write a response: its media type, `format=` short names and serialiser."""

    media_type: str
    names: tuple[str, ...]
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None

    @property
    def is_dataset_format(self) -> bool:
        return bool(self.rdf and self.rdf.supports_datasets)


MEDIA_TYPES: tuple[MediaType, ...] = (
    # SELECT / ASK results
    MediaType("application/sparql-results+json", ("json", "srj"), results=ox.QueryResultsFormat.JSON),
    MediaType("application/sparql-results+xml", ("xml", "srx"), results=ox.QueryResultsFormat.XML),
    MediaType("text/csv", ("csv",), results=ox.QueryResultsFormat.CSV),
    MediaType("text/tab-separated-values", ("tsv",), results=ox.QueryResultsFormat.TSV),
    # graphs (CONSTRUCT / DESCRIBE / resource pages / dumps)
    # "n3": SPARQLWrapper's N3 return format sends format=n3; Turtle is N3's RDF subset, and
    # SPARQLWrapper takes text/turtle back as an N3 answer.
    MediaType("text/turtle", ("turtle", "ttl", "n3"), rdf=ox.RdfFormat.TURTLE),
    MediaType("application/n-triples", ("ntriples", "nt"), rdf=ox.RdfFormat.N_TRIPLES),
    MediaType("application/ld+json", ("jsonld", "json-ld"), rdf=ox.RdfFormat.JSON_LD),
    MediaType("application/rdf+xml", ("rdfxml", "rdf"), rdf=ox.RdfFormat.RDF_XML),
    # datasets (named graphs kept)
    MediaType("application/trig", ("trig",), rdf=ox.RdfFormat.TRIG),
    MediaType("application/n-quads", ("nquads", "nq"), rdf=ox.RdfFormat.N_QUADS),
)

BY_MEDIA_TYPE: dict[str, MediaType] = {m.media_type: m for m in MEDIA_TYPES}
BY_NAME: dict[str, MediaType] = {name: m for m in MEDIA_TYPES for name in m.names}
# Older or looser spellings clients send; answered with the canonical type.
ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/rdf+n3": "text/turtle",
    "application/n3": "text/turtle",
    "text/plain": "application/n-triples",
    "application/json+ld": "application/ld+json",
}

RESULT_TYPES = tuple(m for m in MEDIA_TYPES if m.results)
GRAPH_TYPES = tuple(m for m in MEDIA_TYPES if m.rdf)
TRIPLE_TYPES = tuple(m for m in GRAPH_TYPES if not m.is_dataset_format)


def negotiate(accept: MIMEAccept, offered: tuple[MediaType, ...], format_name: str | None = None) -> MediaType | None:
    """Pick the response type: an explicit `format=` wins, else the best Accept match, else None (406).

    An empty or `*/*` Accept gets the first offered type, which each caller orders as its default.
    """
    if format_name:
        chosen = BY_NAME.get(format_name.lower()) or BY_MEDIA_TYPE.get(ALIASES.get(format_name, format_name))
        return chosen if chosen in offered else None
    if not accept:
        return offered[0]
    candidates = [m.media_type for m in offered]
    candidates += [alias for alias, canonical in ALIASES.items() if canonical in candidates]
    best = accept.best_match(candidates)
    if best is None:
        return None
    return BY_MEDIA_TYPE[ALIASES.get(best, best)]
