"""Reasoning: each OWL-RL inference users rely on, as input and expected output side by side.

Each case gives asserted triples and the inferred triples expected for the predicates it is about;
the reasoner's output, projected onto those subjects and predicates, must be isomorphic to it.
Then the same inferences are checked on the real corpus build.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from kzkg.namespaces import INFERRED_GRAPH, PREFIXES
from kzkg.reason import infer

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "@prefix ex: <https://w3id.org/kzkg/id/> .\n"
)

CASES = [
    pytest.param(
        "ex:rt a kz:MediaOutlet .",
        """ex:rt a kz:Organization, kz:Actor, prov:Agent, prov:Organization, sem:Actor,
                  schema:NewsMediaOrganization, schema:Organization .""",
        id="subclass-typing: a MediaOutlet is an Organization, an Actor and a prov:Agent",
    ),
    pytest.param(
        "ex:c1 a kz:Claim ; kz:claimedBy ex:rt .",
        "ex:c1 prov:wasAttributedTo ex:rt .",
        id="super-property: claimedBy answers prov:wasAttributedTo",
    ),
    pytest.param(
        """ex:square a kz:Place ; kz:locatedIn ex:almaty .
           ex:almaty a kz:Place ; kz:locatedIn ex:kazakhstan .
           ex:kazakhstan a kz:Place .""",
        "ex:square kz:locatedIn ex:kazakhstan .",
        id="transitive locatedIn: Republic Square is in Kazakhstan",
    ),
    pytest.param(
        """ex:shooting a kz:Event ; kz:place ex:square .
           ex:square a kz:Place ; kz:locatedIn ex:almaty .
           ex:almaty a kz:Place ; kz:locatedIn ex:kazakhstan .""",
        "ex:shooting kz:place ex:almaty, ex:kazakhstan .",
        id="an event at Republic Square is an event in Almaty and in Kazakhstan",
    ),
    pytest.param(
        "ex:a a kz:Claim ; kz:contradicts ex:b . ex:b a kz:Claim .",
        "ex:b kz:contradicts ex:a .",
        id="symmetric contradicts",
    ),
    pytest.param(
        "ex:a a kz:Claim ; kz:corroborates ex:b . ex:b a kz:Claim .",
        "ex:b kz:corroborates ex:a .",
        id="symmetric corroborates",
    ),
    pytest.param(
        "ex:a a kz:Claim ; kz:contradicts ex:b . ex:b a kz:Claim . ex:c a kz:Claim .",
        """ex:a a kz:ContestedClaim, schema:Claim, prov:Entity .
           ex:b a kz:ContestedClaim, schema:Claim, prov:Entity .
           ex:c a schema:Claim, prov:Entity .""",
        id="restriction class: a claim that some claim contradicts is a ContestedClaim",
    ),
    pytest.param(
        "ex:sub a kz:Event ; kz:partOf ex:mid . ex:mid a kz:Event ; kz:partOf ex:top . ex:top a kz:Event .",
        "ex:sub kz:partOf ex:top .",
        id="transitive partOf",
    ),
]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "kzkg.ttl", format="turtle")


def project(inferred: Graph, expected: Graph) -> Graph:
    """The inferred triples about the subjects and predicates the expectation speaks of."""
    subjects, predicates = set(expected.subjects()), set(expected.predicates())
    classes_asked = set(expected.objects(None, RDF.type))
    out = Graph()
    for s, p, o in inferred:
        if s in subjects and p in predicates:
            if (
                p == RDF.type
                and classes_asked
                and not str(o).startswith(tuple(PREFIXES[x] for x in ("kz", "prov", "sem", "schema")))
            ):
                continue
            out.add((s, p, o))
    return out


@pytest.mark.parametrize(("asserted", "expected"), CASES)
def test_inference(ontology: Graph, asserted: str, expected: str) -> None:
    data = Graph().parse(data=HEADER + asserted, format="turtle")
    want = Graph().parse(data=HEADER + expected, format="turtle")
    got = project(infer(ontology + data), want)
    assert isomorphic(got, want), f"missing: {sorted(set(want) - set(got))}\nunexpected: {sorted(set(got) - set(want))}"


def test_no_noise_in_closure(ontology: Graph) -> None:
    data = Graph().parse(
        data=HEADER + 'ex:a a kz:Claim ; rdfs:label "x" ; kz:claimedBy ex:rt . ex:rt a kz:MediaOutlet .',
        format="turtle",
    )
    inferred = infer(ontology + data)
    assert not [t for t in inferred if t[1] == OWL.sameAs and t[0] == t[2]], "reflexive owl:sameAs kept"
    assert not [t for t in inferred if not isinstance(t[0], URIRef)], "literal or blank subjects kept"
    builtins = (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/2002/07/owl#",
    )
    assert not [t for t in inferred if str(t[0]).startswith(builtins)], "restatements of RDF/OWL built-ins kept"


# --- the same inferences on the real corpus -------------------------------------------------


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(query, prefixes=PREFIXES))


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    results = store.query(query, prefixes=PREFIXES)
    return [{v.value: s[v].value for v in results.variables if s[v] is not None} for s in results]


def test_real_media_outlet_is_prov_agent(store: ox.Store) -> None:
    assert ask(store, "ASK { GRAPH kzgraph:inferred { kzid:rt a prov:Agent } }")
    assert not ask(store, "ASK { GRAPH ?g { kzid:rt a prov:Agent } FILTER(?g != kzgraph:inferred) }"), (
        "the typing must be inferred, not asserted"
    )


def test_real_claims_answer_was_attributed_to(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT (COUNT(*) AS ?n) WHERE { ?c kz:claimedBy ?a
                            FILTER NOT EXISTS { GRAPH kzgraph:inferred { ?c prov:wasAttributedTo ?a } } }""",
    )
    assert rows[0]["n"] == "0"
    assert ask(store, "ASK { ?c prov:wasAttributedTo kzid:tokayev }")


def test_real_transitive_located_in(store: ox.Store) -> None:
    assert ask(store, "ASK { GRAPH kzgraph:inferred { kzid:republic-square kz:locatedIn kzid:kazakhstan } }")


def test_real_event_at_republic_square_is_in_almaty_and_kazakhstan(store: ox.Store) -> None:
    rows = select(
        store,
        """SELECT ?e WHERE { GRAPH kzgraph:entities { ?e kz:place kzid:republic-square }
                            ?e kz:place kzid:almaty, kzid:kazakhstan }""",
    )
    assert rows, "no event at Republic Square is found in Almaty and Kazakhstan"


def test_real_symmetric_contradicts_and_contested_class(store: ox.Store) -> None:
    pairs = select(store, "SELECT ?a ?b WHERE { GRAPH ?g { ?a kz:contradicts ?b } FILTER(?g != kzgraph:inferred) }")
    assert pairs, "the corpus must record contradictions"
    for pair in pairs:
        assert ask(store, f"ASK {{ <{pair['b']}> kz:contradicts <{pair['a']}> }}")
        assert ask(store, f"ASK {{ <{pair['a']}> a kz:ContestedClaim . <{pair['b']}> a kz:ContestedClaim }}")


def test_real_claims_of_one_actor_are_returned_once(store: ox.Store) -> None:
    """owl:sameAs to Wikidata is published but never reasoned over: no claim is counted twice."""
    assert ask(store, "ASK { kzid:tokayev owl:sameAs <http://www.wikidata.org/entity/Q200881> }")
    rows = select(
        store,
        "SELECT (COUNT(?c) AS ?all) (COUNT(DISTINCT ?c) AS ?distinct) "
        "WHERE { ?c a kz:Claim ; kz:claimedBy kzid:tokayev }",
    )
    assert int(rows[0]["all"]) > 0
    assert rows[0]["all"] == rows[0]["distinct"]
    assert not ask(store, "ASK { ?c kz:claimedBy <http://www.wikidata.org/entity/Q200881> }")


def test_real_inferred_graph_has_no_noise(store: ox.Store) -> None:
    assert not ask(store, "ASK { GRAPH kzgraph:inferred { ?x owl:sameAs ?x } }")
    assert not ask(
        store,
        """ASK { GRAPH kzgraph:inferred { ?s ?p ?o }
                             FILTER(STRSTARTS(STR(?s), STR(rdf:)) || STRSTARTS(STR(?s), STR(owl:))
                                    || STRSTARTS(STR(?s), STR(rdfs:))) }""",
    )
    assert not ask(store, "ASK { GRAPH kzgraph:inferred { ?s a owl:Thing } }")
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    assert any(True for _ in store.quads_for_pattern(None, None, None, inferred))
