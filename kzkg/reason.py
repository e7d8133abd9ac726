"""Stage 4, reason: the OWL 2 RL closure, kept apart from what curators asserted.

owlrl is the reference engine. Its raw closure is mostly noise to a user — ``x owl:sameAs x`` for
every resource, triples about literals, re-derivations of the RDF/OWL vocabulary itself — so only
the inferences that answer real questions survive into the inferred named graph: class membership
through the ontology (a MediaOutlet is a prov:Agent), super-properties (claimedBy answers
prov:wasAttributedTo), transitive locatedIn/partOf, symmetric contradicts, restriction classes
(kz:ContestedClaim).

owl:sameAs links to Wikidata/GeoNames/DBpedia are deliberately *not* part of the reasoner's input
(they live in the links graph; the reasoned graphs carry skos:exactMatch, which OWL RL does not
interpret). Fed to OWL RL, each sameAs would copy every claim of an actor onto its external twin,
so a query for "the claims of Tokayev" by either IRI would return each claim twice.
"""

from __future__ import annotations

from collections.abc import Iterable

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kzkg.namespaces import KZ

_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_NOISE_OBJECTS = {RDFS.Resource, OWL.Thing, RDFS.Class, OWL.Class, RDF.Property, RDFS.Datatype, RDFS.Literal}


def _is_builtin(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(_BUILTIN_NAMESPACES)


def is_noise(triple: tuple) -> bool:
    """True for an inference that tells nobody anything about the unrest or the ontology."""
    subject, predicate, obj = triple
    if isinstance(subject, (Literal, BNode)) or isinstance(obj, BNode):
        return True
    if _is_builtin(subject):
        return True  # restating RDF/RDFS/OWL/XSD built-ins
    if predicate in (OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf,
                     RDFS.subPropertyOf) and subject == obj:
        return True  # reflexive
    if predicate == RDF.type and (obj in _NOISE_OBJECTS or _is_builtin(obj)):
        return True
    if predicate in (RDFS.subClassOf, RDFS.subPropertyOf) and obj in (OWL.Thing, RDFS.Resource, OWL.topObjectProperty, OWL.topDataProperty):
        return True
    if predicate == OWL.differentFrom or predicate == RDFS.label and isinstance(obj, Literal) and _is_builtin(subject):
        return True
    return False


def owlrl_closure(asserted: Iterable[tuple]) -> Graph:
    """The full OWL-RL closure of the given triples (asserted included), computed by owlrl."""
    graph = Graph()
    for triple in asserted:
        graph.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    return graph


def infer(asserted: Graph) -> Graph:
    """What OWL RL adds to ``asserted`` (ontology + data), minus the noise."""
    closure = owlrl_closure(asserted)
    inferred = Graph()
    for triple in closure:
        if triple not in asserted and not is_noise(triple):
            inferred.add(triple)
    return inferred


__all__ = ["infer", "owlrl_closure", "is_noise", "KZ"]
