"""Terms between rdflib and pyoxigraph: every term of the real build makes the round trip unchanged."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from kzkg.oxterms import from_ox, quads_to_ox, to_ox, triple_from_ox, triple_to_ox


def test_every_quad_of_the_build_makes_the_round_trip(store: ox.Store) -> None:
    quads = [q for q in store if isinstance(q.graph_name, ox.NamedNode)]
    assert quads
    rdflib_quads = [(*triple_from_ox(q), from_ox(q.graph_name)) for q in quads]
    assert list(quads_to_ox(rdflib_quads)) == quads
    assert [triple_to_ox(triple_from_ox(q)) for q in quads] == [q.triple for q in quads]


def test_a_lexical_form_is_kept_as_written() -> None:
    """rdflib alone rewrites "…Z" as "…+00:00" (its parsers do, too); the round trip must not, or
    the build would publish another literal than the one it read (the enrichment graph has them)."""
    written = ox.Literal("2026-11-22T04:10:49Z", datatype=ox.NamedNode(str(XSD.dateTime)))
    assert str(from_ox(written)) == "2026-11-22T04:10:49Z"
    assert to_ox(from_ox(written)) == written


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (URIRef("https://w3id.org/kzkg/id/x"), ox.NamedNode("https://w3id.org/kzkg/id/x")),
        (BNode("b0"), ox.BlankNode("b0")),
        (Literal("Алматы", lang="kk"), ox.Literal("Алматы", language="kk")),
        (Literal("164", datatype=XSD.integer), ox.Literal("164", datatype=ox.NamedNode(str(XSD.integer)))),
        (Literal("plain"), ox.Literal("plain")),
    ],
)
def test_each_kind_of_term(term: URIRef | BNode | Literal, expected: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
    assert to_ox(term) == expected
    assert from_ox(expected) == term


def test_a_string_literal_comes_back_plain_as_the_corpus_writes_it() -> None:
    """RDF 1.1 has no plain literals; rdflib does, and owlrl and the corpus use them."""
    typed = Literal("x", datatype=XSD.string)
    assert to_ox(typed) == to_ox(Literal("x"))
    back = from_ox(to_ox(typed))
    assert back == Literal("x") and back.datatype is None


@pytest.mark.parametrize("value", ["https://w3id.org/kzkg/id/x", Graph(), None, 3])
def test_what_is_not_an_rdf_term_is_refused(value: object) -> None:
    with pytest.raises(TypeError, match="not an RDF term"):
        to_ox(value)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="not an RDF term"):
        from_ox(value)  # type: ignore[arg-type]
