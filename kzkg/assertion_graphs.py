"""Claims as data, mapped to RDF: each factual claim's assertion graph (nanopublication pattern).

A claim points with ``kz:asserts`` at its own named graph ``kzid:assertion/<claim-id>``, written in
the ontology's own terms (a figure is a ``kz:Figure`` node). These graphs hold what claims *say*,
so the build keeps them out of the reasoner, the default graph and the merged dumps; their names
and the predicates that tell them apart are kzkg.namespaces' (import them from there).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from kzkg.assertion_format import EXTERNAL_PROPERTIES, Assertion
from kzkg.namespaces import (  # the graph names and the graph policy are kzkg.namespaces' (issue #11)
    ASSERTION_BASE,
    ID,
    KZ,
    assertion_graph,
    is_assertion_graph,
)

KIND_CONCEPT = {"factual": "Factual", "opinion": "Opinion", "prediction": "Prediction"}
QUALIFIER_NAME = {
    "exactly": "Exactly",
    "at-least": "AtLeast",
    "more-than": "MoreThan",
    "nearly": "Nearly",
    "about": "About",
    "a-little-over": "ALittleOver",
    "up-to": "UpTo",
    "dozens": "Dozens",
    "a-couple-of-dozen": "ACoupleOfDozen",
    "hundreds": "Hundreds",
    "thousands": "Thousands",
    "several": "Several",
    "many": "Many",
    "most": "Most",
}


_KZ_TERMS: dict[str, URIRef] = {}
# rdflib builds and validates a new URIRef at every ``RDF.type`` or ``XSD.date``: made once here.
A, LABEL, EVENT, FIGURE = RDF.type, RDFS.label, KZ.Event, KZ.Figure
XSD_DATE, XSD_INTEGER, XSD_DECIMAL = XSD.date, XSD.integer, XSD.decimal


def kz(name: str) -> URIRef:
    """A term of the kzkg ontology (``kz("Figure")``), for names built from the curated data.

    One object per name (the vocabulary is small and fixed): a new URIRef per triple cost most of
    the assertion graphs' mapping time at 1M triples (bench/README.md)."""
    term = _KZ_TERMS.get(name)
    if term is None:
        term = _KZ_TERMS[name] = KZ[name]
    return term


# Events that exist only in what one claim asserts ("they have not tried to evacuate us"): an IRI
# space of their own, so that no such event can be mistaken for, or merged with, a registry event
# (kzid:event/...), and a query can tell them apart by their IRI alone.
ASSERTED_EVENT_BASE = f"{ID}asserted-event/"


def asserted_event_iri(subject: str) -> URIRef:
    """An asserted event's IRI from its claim-wide id (``<claim-id>-<id>``, see parse_claim)."""
    return URIRef(ASSERTED_EVENT_BASE + subject)


def property_iri(name: str) -> URIRef:
    """A statement's property: a kz: term, or an allowed external one by its own IRI."""
    external = EXTERNAL_PROPERTIES.get(name)
    return URIRef(external[0]) if external else kz(name)


def figure_iri(claim_id: str, position: int) -> URIRef:
    return URIRef(f"{ASSERTION_BASE}{claim_id}#figure-{position}")


def number(value: int | float) -> Literal:
    """A figure's number as xsd:integer when it is whole (8.5e9 is 8500000000), else xsd:decimal."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return Literal(str(value), datatype=XSD_INTEGER if isinstance(value, int) else XSD_DECIMAL)


class Refs(Protocol):
    """What maps a registry id to its IRI (the mapper, which knows events from entities)."""

    def ref(self, some_id: str) -> URIRef: ...


def claim_triples(claim_iri: URIRef, claim: Any) -> list[tuple]:
    """The claim node's own triples (in its article graph): its kind and its assertion graph."""
    triples = [(claim_iri, kz("claimKind"), kz(KIND_CONCEPT[claim.kind]))]
    if claim.asserts:
        triples.append((claim_iri, kz("asserts"), assertion_graph(claim.id)))
    return triples


def value_term(statement: Assertion, refs: Refs, claim_id: str) -> Node:
    """The RDF object of a statement (a figure's node for a quantity)."""
    prop = statement.property
    if prop == "quantity":
        return figure_iri(claim_id, statement.position)
    if prop == "eventType":
        return kz({"Other": "OtherEvent"}.get(str(statement.value), str(statement.value)))
    if prop in ("startDate", "endDate"):
        assert isinstance(statement.value, dt.date)  # parse_assertion only makes dates of these
        return Literal(statement.value.isoformat(), datatype=XSD_DATE)
    if prop in ("dateText", "degreeText", "label"):  # the text's own words
        return Literal(str(statement.value))
    return refs.ref(str(statement.value))


def assertion_triples(claim: Any, refs: Refs) -> list[tuple]:
    """The triples of the claim's assertion graph, in the ontology's own terms."""
    triples: list[tuple] = []
    for statement in claim.asserts:
        subject = asserted_event_iri(statement.subject) if statement.asserted_event else refs.ref(statement.subject)
        obj = value_term(statement, refs, claim.id)
        if statement.property == "label":
            triples.append((subject, LABEL, obj))
            continue
        if statement.asserted_event and statement.property == "eventType":
            triples.append((subject, A, EVENT))  # it is an event, by this claim's word only
        if statement.property != "quantity":
            triples.append((subject, property_iri(statement.property), obj))
            continue
        triples.append((subject, kz("figure"), obj))
        triples.append((obj, A, FIGURE))
        triples.append((obj, kz("quantityKind"), kz({"Other": "OtherQuantity"}.get(statement.kind, statement.kind))))
        if statement.value is not None:
            triples.append((obj, kz("quantity"), number(statement.value)))
        if statement.minimum is not None and statement.maximum is not None:
            triples.append((obj, kz("minQuantity"), number(statement.minimum)))
            triples.append((obj, kz("maxQuantity"), number(statement.maximum)))
        if statement.qualifier:
            triples.append((obj, kz("quantityQualifier"), kz(QUALIFIER_NAME[statement.qualifier])))
        if statement.unit:
            triples.append((obj, kz("unit"), Literal(statement.unit)))
        if statement.as_of:
            triples.append((obj, kz("asOf"), Literal(statement.as_of.isoformat(), datatype=XSD_DATE)))
        if statement.population:
            triples.append((obj, kz("population"), refs.ref(statement.population)))
    return triples


def checked_triples(graph: Any) -> Any:
    """What SHACL sees of a graph: all of it, except in an assertion graph, where only the figure
    nodes are checked (kzsh:FigureShape). The rest of an assertion graph states things about
    events and people that the data shapes would read as curated facts (an event's second start
    date); kzkg.assertion_format.check_assertions checks those statements instead."""
    if not is_assertion_graph(graph.identifier):
        return graph
    base = str(graph.identifier) + "#"
    return (triple for triple in graph if str(triple[0]).startswith(base))


__all__ = [
    "ASSERTED_EVENT_BASE",
    "KIND_CONCEPT",
    "QUALIFIER_NAME",
    "Refs",
    "asserted_event_iri",
    "assertion_triples",
    "checked_triples",
    "claim_triples",
    "figure_iri",
    "kz",
    "number",
    "property_iri",
    "value_term",
]
