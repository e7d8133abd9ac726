"""RDF terms between rdflib (the build's mapping, validation and reasoning) and pyoxigraph (the
store, the dumps, the reasoner cache), converted term by term.

Neither library offers this: rdflib knows nothing of pyoxigraph, pyoxigraph nothing of rdflib, and
oxrdflib (the rdflib store backed by pyoxigraph) keeps its converter in a private module. Going
through a serialisation (N-Quads out of one, parsed by the other) gives the same terms but is 3x
slower on the build's quads, so the mapping is written here once.

Lexical forms are kept as written: ``"2026-01-01T00:00:00Z"^^xsd:dateTime`` stays so, where rdflib
alone would rewrite it. Plain literals: rdflib keeps ``Literal("x")`` apart from
``Literal("x", datatype=xsd:string)``, RDF 1.1 and pyoxigraph do not. :func:`from_ox` returns the
plain form, which is what the corpus and owlrl use, so a term makes the round trip unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import overload

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

__all__ = ["from_ox", "quads_to_ox", "to_ox", "triple_from_ox", "triple_to_ox"]

RdflibTerm = URIRef | BNode | Literal
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
RdflibTriple = tuple[RdflibTerm, RdflibTerm, RdflibTerm]

_XSD_STRING = str(XSD.string)


@overload
def to_ox(term: URIRef) -> ox.NamedNode: ...
@overload
def to_ox(term: BNode) -> ox.BlankNode: ...
@overload
def to_ox(term: Literal) -> ox.Literal: ...
def to_ox(term: RdflibTerm) -> OxTerm:
    """An rdflib term as pyoxigraph's. Anything else is a TypeError: a stray Python value (a str, a
    Graph) in a triple is a bug to see at once, not a term to guess."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def from_ox(term: OxTerm) -> RdflibTerm:
    """A pyoxigraph term as rdflib's; an xsd:string literal comes back plain (see the module)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        # normalize=False: rdflib would otherwise rewrite the lexical form ("…Z" as "…+00:00"),
        # and the round trip would publish a different literal than it was given.
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    raise TypeError(f"not an RDF term: {term!r}")


def triple_to_ox(triple: RdflibTriple) -> ox.Triple:
    """An rdflib (subject, predicate, object) as a pyoxigraph Triple."""
    s, p, o = triple
    return ox.Triple(to_ox(s), to_ox(p), to_ox(o))  # type: ignore[arg-type]


def triple_from_ox(triple: ox.Triple | ox.Quad) -> RdflibTriple:
    """A pyoxigraph Triple (or a Quad's triple) as an rdflib (subject, predicate, object)."""
    return (from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object))  # type: ignore[arg-type]


def quads_to_ox(quads: Iterable[tuple[RdflibTerm, RdflibTerm, RdflibTerm, RdflibTerm]]) -> Iterator[ox.Quad]:
    """rdflib (s, p, o, graph) tuples as pyoxigraph Quads, streamed (a list of them at 1M triples
    would be another few hundred MB at the build's peak) and memoised: a dataset repeats its
    terms many times, and a dict lookup is cheaper than building the pyoxigraph term again."""
    cache: dict[RdflibTerm, OxTerm] = {}

    def convert(term: RdflibTerm) -> OxTerm:
        converted = cache.get(term)
        if converted is None:
            converted = cache[term] = to_ox(term)
        return converted

    for s, p, o, g in quads:
        yield ox.Quad(convert(s), convert(p), convert(o), convert(g))  # type: ignore[arg-type]
