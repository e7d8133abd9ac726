"""Reading the served graph for a page: the request's reader, terms narrowed to RDF 1.1, labels.

Shared by every HTML view (resource, article, claims-as-data and geography pages, and the
timeline / network / browse views): one place that knows how a term is printed and linked.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeGuard

import pyoxigraph as ox
from flask import abort, current_app, url_for

from kzkg.namespaces import DCTERMS, EXTERNAL_SITES, KZ, PREFIXES, RDF, RDFS, SKOS
from kzkg.store import NoReleaseError

from .backend import GraphReader, Row, Served, Term

RDF_TYPE = str(RDF.type)
RDFS_LABEL = str(RDFS.label)
SKOS_PREF = str(SKOS.prefLabel)
SKOS_ALT = str(SKOS.altLabel)
SKOS_EXACT = str(SKOS.exactMatch)
DCT = str(DCTERMS)
DCT_TITLE = DCT + "title"
LABEL_PREDICATES = (RDFS_LABEL, SKOS_PREF, DCT_TITLE)
# Shown in the page header, so not repeated in the table of facts.
HEADER_PREDICATES = frozenset({RDF_TYPE, RDFS_LABEL, SKOS_ALT, SKOS_EXACT})
# Terms of vocabularies (ours and the W3C's) are links too, but not "leaving to another dataset".
VOCABULARIES = tuple(ns for name, ns in PREFIXES.items() if name not in ("kzid", "wd"))
MAX_INCOMING = 1000
MAX_BNODE_DEPTH = 4


# --------------------------------------------------------------------------------------------
# the request's reader, shared by the pages and the views


def page_reader() -> tuple[Served, GraphReader]:
    """What is served and a reader for this request, or a 503 that says a build is needed.

    A remote store that cannot be reached raises the backend's QueryError, which the app answers
    as a plain-text 502/503/504 (see create_app).
    """
    service = current_app.extensions["kzkg"]
    try:
        served = service.served()
    except NoReleaseError as missing:
        abort(503, description=str(missing))
    return served, service.backend.reader(served, float(current_app.config["QUERY_TIMEOUT"]))


def resource_base() -> str:
    return current_app.config["RESOURCE_BASE"]


def local_href(iri: str) -> str:
    """Where a browser on this server should go for an IRI: /id/… for ours, the IRI itself otherwise."""
    base = resource_base()
    if iri.startswith(base) and len(iri) > len(base):
        rest, hash_mark, fragment = iri[len(base) :].partition("#")
        return url_for("pages.resource", rest=rest) + hash_mark + fragment
    if iri.startswith(str(KZ)) and len(iri) > len(str(KZ)):  # our vocabulary: its term on /ontology
        return url_for("views.ontology") + "#" + iri[len(str(KZ)) :]
    return iri


# The terms of RDF 1.1: what every query here binds and every view prints.
Plain = ox.NamedNode | ox.BlankNode | ox.Literal
PlainRow = dict[str, Plain]


def rdf11(term: Term, where: str) -> Plain:
    """The term narrowed to RDF 1.1.

    The graph holds no RDF-star triples, so no statement or query of the pages yields one; a store
    answering one anyway is a bug, reported here by name rather than as a missing ``.value`` deep
    in a page.
    """
    if isinstance(term, ox.Triple):
        raise TypeError(f"{where} is the RDF-star triple {term}, which the pages do not expect")
    return term


def node_of(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> ox.NamedNode | ox.BlankNode:
    """A statement's subject narrowed to RDF 1.1 (see rdf11)."""
    if isinstance(term, ox.Triple):
        raise TypeError(f"the subject {term} is an RDF-star triple, which the pages do not expect")
    return term


def plain(rows: list[Row]) -> list[PlainRow]:
    """The solutions with their types narrowed to RDF 1.1 terms (see rdf11)."""
    return [{name: rdf11(term, f"?{name}") for name, term in row.items()} for row in rows]


def select_about(store: GraphReader, query: str, this: ox.NamedNode) -> list[PlainRow]:
    """Run a SELECT about one resource, written with ``?this`` where the resource goes.

    ``?this`` becomes the IRI token ``<…>``: the IRI was validated by ox.NamedNode, which refuses
    every character that could end the token (``>``, quotes, braces, spaces), so nothing can be
    injected. (pyoxigraph's ``substitutions`` would also do, but binds only at the top of the query,
    which leaves ``BIND(?this …)`` in a group unbound and makes the engine scan before filtering.)
    All graphs are queried as one: facts live in per-article and entity graphs.
    """
    rows = plain(store.select(query.replace("?this", str(this))))
    store.warm((term for row in rows for term in row.values() if isinstance(term, ox.NamedNode)), LABEL_PREDICATES)
    return rows


def number(term: Plain | None) -> int | None:
    if term is None:
        return None
    try:
        return int(term.value)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# labels and terms as the templates see them


@dataclass
class TermView:
    """An RDF term ready to print: a link with a label, a literal, or a blank node's own facts."""

    kind: str  # "iri" | "literal" | "bnode"
    value: str
    label: str = ""
    href: str = ""
    local: bool = False
    external: bool = False  # another site's resource (Wikidata, GeoNames…), marked as leaving
    lang: str | None = None
    datatype: str | None = None
    facts: list[FactGroup] = field(default_factory=list)


@dataclass
class FactGroup:
    """One predicate and its values (facts out) or its subjects (facts in)."""

    predicate: TermView
    values: list[TermView]


class Labeller:
    """Labels for IRIs, looked up in the store once each per request."""

    def __init__(self, store: GraphReader, base: str):
        self.store = store
        self.base = base
        self.cache: dict[str, str] = {}

    def label(self, iri: str) -> str:
        if iri not in self.cache:
            self.cache[iri] = self._lookup(iri) or self._fallback(iri)
        return self.cache[iri]

    def warm(self, terms: Iterable[ox.NamedNode | ox.BlankNode | ox.Literal]) -> None:
        """Announce the IRIs about to be labelled, so a remote reader fetches their labels in one
        round trip (the embedded reader ignores it)."""
        self.store.warm(
            (t for t in terms if isinstance(t, ox.NamedNode) and t.value not in self.cache), LABEL_PREDICATES
        )

    def has_label(self, iri: str) -> bool:
        return bool(self._lookup(iri))

    def _lookup(self, iri: str) -> str:
        node = ox.NamedNode(iri)
        for predicate in LABEL_PREDICATES:
            found = [
                q.object
                for q in self.store.quads(node, ox.NamedNode(predicate), None)
                if isinstance(q.object, ox.Literal)
            ]
            if found:
                english = [lit for lit in found if (lit.language or "en").startswith("en")]
                return sorted(lit.value for lit in (english or found))[0]
        return ""

    def _fallback(self, iri: str) -> str:
        for prefix, site in EXTERNAL_SITES:
            if iri.startswith(prefix):
                return f"{site} {iri[len(prefix) :].strip('/')}"
        for name, namespace in PREFIXES.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{name}:{iri[len(namespace) :]}"
        return iri

    def term(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, depth: int = 0) -> TermView:
        if isinstance(term, ox.NamedNode):
            local = term.value.startswith(self.base)
            vocabulary = term.value.startswith(VOCABULARIES)
            return TermView(
                "iri", term.value, self.label(term.value), local_href(term.value), local, not (local or vocabulary)
            )
        if isinstance(term, ox.Literal):
            lang = term.language
            datatype = None if lang or term.datatype.value.endswith("#string") else self._fallback(term.datatype.value)
            return TermView("literal", term.value, term.value, lang=lang, datatype=datatype)
        if isinstance(term, ox.BlankNode):
            facts = self.facts_out(term, depth=depth + 1) if depth < MAX_BNODE_DEPTH else []
            return TermView("bnode", term.value, "", facts=facts)
        return TermView("literal", str(term), str(term))

    def facts_out(
        self, subject: ox.NamedNode | ox.BlankNode, depth: int = 0, skip: frozenset[str] = frozenset()
    ) -> list[FactGroup]:
        grouped: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]] = defaultdict(list)
        for quad in self.store.quads(subject, None, None):
            if quad.predicate.value in skip or quad.object in grouped[quad.predicate.value]:
                continue
            grouped[quad.predicate.value].append(rdf11(quad.object, "an object"))
        self.warm([ox.NamedNode(p) for p in grouped] + [o for objs in grouped.values() for o in objs])
        return [
            FactGroup(
                self.term(ox.NamedNode(p)), [self._value(subject, o, depth) for o in sorted(objs, key=term_order)]
            )
            for p, objs in sorted(grouped.items(), key=lambda item: self.label(item[0]))
            if objs
        ]

    def _value(
        self, subject: ox.NamedNode | ox.BlankNode, obj: ox.NamedNode | ox.BlankNode | ox.Literal, depth: int
    ) -> TermView:
        """A value in the facts table; a hash IRI of the subject shows its own facts in place."""
        view = self.term(obj, depth)
        if is_part_of(obj, subject) and depth < MAX_BNODE_DEPTH:
            view.facts = self.facts_out(obj, depth=depth + 1)
        return view

    def facts_in(self, obj: ox.NamedNode) -> tuple[list[FactGroup], bool]:
        grouped: dict[str, list[ox.NamedNode | ox.BlankNode]] = defaultdict(list)
        truncated = False
        for count, quad in enumerate(self.store.quads(None, None, obj, limit=MAX_INCOMING + 1)):
            if count >= MAX_INCOMING:
                truncated = True
                break
            subject = node_of(quad.subject)
            if isinstance(subject, ox.BlankNode):
                subject = self._named_ancestor(subject) or subject
            if subject not in grouped[quad.predicate.value]:
                grouped[quad.predicate.value].append(subject)
        self.warm([ox.NamedNode(p) for p in grouped] + [s for subs in grouped.values() for s in subs])
        groups = [
            FactGroup(
                self.term(ox.NamedNode(p)),
                [
                    self.term(s, MAX_BNODE_DEPTH)
                    for s in sorted(
                        subs,
                        key=lambda s: (self.label(s.value), s.value) if isinstance(s, ox.NamedNode) else ("", s.value),
                    )
                ],
            )
            for p, subs in sorted(grouped.items(), key=lambda item: self.label(item[0]))
        ]
        return groups, truncated

    def _named_ancestor(self, node: ox.BlankNode, depth: int = 0) -> ox.NamedNode | None:
        """The IRI a blank node hangs from (an annotation's target hangs from the annotation)."""
        for quad in self.store.quads(None, None, node):
            if isinstance(quad.subject, ox.NamedNode):
                return quad.subject
            if isinstance(quad.subject, ox.BlankNode) and depth < MAX_BNODE_DEPTH:
                found = self._named_ancestor(quad.subject, depth + 1)
                if found:
                    return found
        return None


def term_order(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> tuple[int, str]:
    return (0 if isinstance(term, ox.Literal) else 1, term.value)


# --------------------------------------------------------------------------------------------
# reading a resource's statements


def annotation_anchor(annotation: ox.NamedNode | ox.BlankNode, base: str) -> str:
    """The HTML id of an annotation's highlight: its IRI after …/id/annotation/ (stable, linkable)."""
    if isinstance(annotation, ox.BlankNode):
        return "ann-" + annotation.value
    value = annotation.value
    for prefix in (base + "annotation/", base):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return "ann-" + re.sub(r"[^A-Za-z0-9_-]+", "-", value)


def types_of(store: GraphReader, node: ox.NamedNode) -> set[str]:
    return {rdf11(q.object, "a type").value for q in store.quads(node, ox.NamedNode(RDF_TYPE), None)}


def objects_of(store: GraphReader, node: ox.NamedNode | ox.BlankNode, predicate: str) -> list[Plain]:
    found = [rdf11(q.object, "an object") for q in store.quads(node, ox.NamedNode(predicate), None)]
    return sorted(dict.fromkeys(found), key=term_order)


def is_part_of(term: Term, owner: ox.NamedNode | ox.BlankNode) -> TypeGuard[ox.NamedNode]:
    """A hash IRI of the owner (``<ann#target>`` of ``<ann>``): described as part of the owner."""
    return (
        isinstance(term, ox.NamedNode)
        and isinstance(owner, ox.NamedNode)
        and term.value.startswith(owner.value.split("#", 1)[0] + "#")
        and term != owner
    )
