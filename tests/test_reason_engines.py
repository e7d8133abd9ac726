"""The default reasoning engine (reasonable + supplements) gives exactly owlrl's filtered closure.

owlrl is the reference. Equality is checked as sets of triples after the one noise filter both
engines share, with "x" and "x"^^xsd:string counted as the same literal — on the real corpus
(through the pipeline, as a build reasons) and on a synthetic corpus of the same shape (bench/synth).
The rule gaps of reasonable that kzkg.reason closes each get a small case of their own, so a
regression names the rule. No timings here: speed is measured by `python -m bench`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from bench.synth import generate
from kzkg import pipeline
from kzkg.namespaces import KZ, PREFIXES
from kzkg.reason import (
    ENGINES,
    Reasoner,
    filtered,
    infer,
    infer_triples,
    is_noise,
    normalise_triple,
    owlrl_closure,
    reasonable_closure,
)

ROOT = Path(__file__).resolve().parent.parent
EX = "https://w3id.org/kzkg/id/"
HEADER = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + f"@prefix ex: <{EX}> .\n"


def explain(reference: set, candidate: set) -> str:
    missing, extra = sorted(reference - candidate), sorted(candidate - reference)
    return (
        f"{len(missing)} missing from reasonable, e.g. {missing[:5]}\n{len(extra)} only in reasonable, e.g. {extra[:5]}"
    )


def assert_same_closure(graph: Graph) -> set:
    """Both engines' filtered closures of ``graph`` are equal; returns the shared inferences."""
    reference = filtered(owlrl_closure(graph), graph)
    candidate = filtered(reasonable_closure(graph), graph)
    assert reference == candidate, explain(reference, candidate)
    return reference


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "kzkg.ttl", format="turtle")


@pytest.fixture(scope="module")
def real_prepared() -> pipeline.Prepared:
    return pipeline.prepare(ROOT / "data")


@pytest.fixture(scope="module")
def real_input(real_prepared: pipeline.Prepared) -> Graph:
    return pipeline.reasoning_input(real_prepared.dataset)


@pytest.fixture(scope="module")
def synthetic_input(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    corpus = generate(4000, tmp_path_factory.mktemp("synth") / "data", seed=7)
    prepared = pipeline.prepare(corpus.data_dir, ROOT / "ontology")
    assert prepared.report.conforms, prepared.report.lines()[:10]
    return pipeline.reasoning_input(prepared.dataset)


def test_real_corpus_same_filtered_closure(real_input: Graph) -> None:
    inferred = assert_same_closure(real_input)
    predicates = {p for _, p, _ in inferred}
    # The comparison is only worth something if it covers the inferences users rely on.
    assert {RDF.type, KZ.place, KZ.locatedIn, KZ.contradicts, KZ.isContradictedBy, RDFS.domain} <= predicates


def test_synthetic_corpus_same_filtered_closure(synthetic_input: Graph) -> None:
    inferred = assert_same_closure(synthetic_input)
    assert any(o == KZ.ContestedClaim for _, p, o in inferred if p == RDF.type)


def test_infer_gives_the_same_graph_with_either_engine(synthetic_input: Graph) -> None:
    by_engine = {engine: {normalise_triple(t) for t in infer(synthetic_input, engine=engine)} for engine in ENGINES}
    assert by_engine["reasonable"] == by_engine["owlrl"], explain(by_engine["owlrl"], by_engine["reasonable"])


# --- each gap of reasonable that kzkg.reason closes ---------------------------------------------

GAPS = [
    pytest.param(
        """ex:e a kz:Event ; kz:place ex:square . ex:square a kz:Place ; kz:locatedIn ex:city .
           ex:city a kz:Place ; kz:locatedIn ex:country . ex:country a kz:Place .""",
        [
            (URIRef(EX + "e"), KZ.place, URIRef(EX + "country")),
            (URIRef(EX + "e"), URIRef(PREFIXES["sem"] + "hasPlace"), URIRef(EX + "country")),
        ],
        id="prp-spo2: owl:propertyChainAxiom (kz:place o kz:locatedIn), then its super-property",
    ),
    pytest.param(
        "ex:c a kz:Claim .",
        [
            (KZ.claimedBy, RDFS.domain, URIRef(PREFIXES["prov"] + "Entity")),
            (KZ.claimedBy, RDFS.range, URIRef(PREFIXES["prov"] + "Agent")),
        ],
        id="scm-dom1/scm-rng1: domain and range lifted along rdfs:subClassOf",
    ),
    pytest.param(
        "ex:a a kz:Claim ; kz:contradicts ex:b . ex:b a kz:Claim .",
        [(URIRef(EX + "b"), KZ.isContradictedBy, URIRef(EX + "a")), (URIRef(EX + "a"), RDF.type, KZ.ContestedClaim)],
        id="prp-symp, prp-inv and cls-svf1 with cax-eqc (reasonable has them; kept under test)",
    ),
    pytest.param(
        """ex:a owl:sameAs ex:b . ex:a kz:dateText "the night of 5 January" .""",
        [(URIRef(EX + "b"), KZ.dateText, Literal("the night of 5 January"))],
        id="eq-rep-s: asserted sameAs rewrites even triples no schema axiom names (no pruning then)",
    ),
    pytest.param(
        """ex:mayorOf a owl:FunctionalProperty . ex:city ex:mayorOf ex:a , ex:b .
           ex:a skos:altLabel "Mayor A" .""",
        [(URIRef(EX + "b"), URIRef(PREFIXES["skos"] + "altLabel"), Literal("Mayor A"))],
        id="prp-fp then eq-rep-s: a derived sameAs also rewrites triples no schema axiom names",
    ),
]


@pytest.mark.parametrize(("asserted", "expected"), GAPS)
def test_rule_gap_is_closed(ontology: Graph, asserted: str, expected: list) -> None:
    graph = ontology + Graph().parse(data=HEADER + asserted, format="turtle")
    inferred = assert_same_closure(graph)
    for triple in expected:
        assert triple in inferred, f"{triple} not inferred"


def test_plain_and_xsd_string_literals_are_one_literal(ontology: Graph) -> None:
    """reasonable hands back "x" as "x"^^xsd:string; an asserted label must not come back as new."""
    from rdflib.namespace import XSD  # imported here: pytest probes module globals, and XSD warns

    graph = ontology + Graph().parse(data=HEADER + 'ex:c a kz:Claim ; rdfs:label "a label" .', format="turtle")
    raw = {t for t in reasonable_closure(graph) if t[0] == URIRef(EX + "c") and t[1] == RDFS.label}
    assert raw and all(isinstance(o, Literal) for _, _, o in raw)
    inferred = infer(graph)
    assert not list(inferred.triples((URIRef(EX + "c"), RDFS.label, None)))
    assert normalise_triple((URIRef(EX + "c"), RDFS.label, Literal("a label", datatype=XSD.string))) == (
        URIRef(EX + "c"),
        RDFS.label,
        Literal("a label"),
    )


def test_unsupported_schema_falls_back_to_owlrl(ontology: Graph, caplog: pytest.LogCaptureFixture) -> None:
    """A schema needing a rule neither reasonable nor kzkg.reason implements is reasoned by owlrl."""
    graph = ontology + Graph().parse(data=HEADER + "kz:Claim owl:hasKey ( kz:quantity ) .", format="turtle")
    with caplog.at_level("WARNING", logger="kzkg.reason"):
        fell_back = infer_triples(graph, "reasonable")
    assert "which reasonable lacks: reasoning with owlrl" in caplog.text and "hasKey" in caplog.text
    assert fell_back == infer_triples(graph, "owlrl")
    caplog.clear()
    with caplog.at_level("WARNING", logger="kzkg.reason"):
        infer_triples(ontology, "reasonable")
    assert "reasoning with owlrl" not in caplog.text
    with pytest.raises(ValueError, match="unknown reasoning engine"):
        infer_triples(ontology, "pellet")


def test_noise_filter_is_the_same_function_for_both_engines() -> None:
    assert is_noise((URIRef(EX + "x"), OWL.sameAs, URIRef(EX + "x")))
    assert not is_noise((URIRef(EX + "x"), RDF.type, KZ.Claim))


# --- incremental: adding an article re-derives only what it entails ----------------------------


def test_adding_an_article_incrementally_gives_the_full_closure(
    real_prepared: pipeline.Prepared, real_input: Graph
) -> None:
    from kzkg.namespaces import article_graph

    prepared = real_prepared
    last = sorted(prepared.corpus.articles)[-1]
    added = {(s, p, o) for s, p, o in prepared.dataset.graph(article_graph(last))}
    reasoner = Reasoner()
    reasoner.add(t for t in real_input if t not in added)
    before = filtered(reasoner.closure(), real_input)
    reasoner.add(added)
    after = filtered(reasoner.closure(), real_input)
    assert after == filtered(reasonable_closure(real_input), real_input)
    assert before < after, "the article's own inferences must appear only once it is added"
