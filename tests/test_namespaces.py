"""The vocabulary module: every IRI spelled once, and one graph policy that the build, the store and
the dumps all follow (checked on the real build, not on the predicates' own definitions)."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from kzkg.namespaces import (
    ASSERTION_BASE,
    DISAGREEMENTS_GRAPH,
    ENRICHMENT_GRAPH,
    ENTITIES_GRAPH,
    GRAPH,
    INFERRED_GRAPH,
    LINKS_GRAPH,
    ONTOLOGY_GRAPH,
    OWL,
    in_default_graph,
    in_merged_dumps,
    reasoned_over,
    validated,
)
from kzkg.pipeline import prepare, reasoning_triples
from kzkg.store import Release

ROOT = Path(__file__).resolve().parent.parent

# (reasoned over, in the default graph, in merged dumps, checked by SHACL) for each kind of graph
# the real build holds: the README's table of named graphs.
POLICY = {
    "ontology": (True, True, True, False),
    "entities": (True, True, True, True),
    "article": (True, True, True, True),
    "links": (False, True, True, False),
    "enrichment": (False, True, True, False),
    "inferred": (False, True, True, False),
    "disagreements": (False, True, True, True),
    "assertion": (False, False, False, True),
}


def kind(iri: str) -> str:
    if iri.startswith(ASSERTION_BASE):
        return "assertion"
    if iri.startswith(str(GRAPH["article/"])):
        return "article"
    named = {
        ONTOLOGY_GRAPH: "ontology",
        ENTITIES_GRAPH: "entities",
        LINKS_GRAPH: "links",
        ENRICHMENT_GRAPH: "enrichment",
        INFERRED_GRAPH: "inferred",
        DISAGREEMENTS_GRAPH: "disagreements",
    }
    return named[URIRef(iri)]


def test_every_graph_of_the_build_has_its_documented_place(store: ox.Store) -> None:
    """Each named graph of the real build, given as a pyoxigraph node, an rdflib URIRef or a str,
    is placed as the README says; and the build holds every kind of graph the policy names."""
    kinds = set()
    for graph in store.named_graphs():
        assert isinstance(graph, ox.NamedNode)
        expected = POLICY[kind(graph.value)]
        kinds.add(kind(graph.value))
        for name in (graph, URIRef(graph.value), graph.value):
            got = (reasoned_over(name), in_default_graph(name), in_merged_dumps(name), validated(name))
            assert got == expected, f"{graph.value} as {type(name).__name__}: {got} != {expected}"
    assert kinds == set(POLICY)


def _triples(quads) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in quads}


def _ground(triples: set[tuple]) -> tuple[set[tuple], int]:
    """The triples without blank nodes, and how many there are in all: a parser labels blank nodes
    its own way, so a dump's are compared by count."""
    return {t for t in triples if not any(isinstance(x, ox.BlankNode) for x in t)}, len(triples)


def test_the_store_default_graph_and_merged_dumps_hold_exactly_the_policys_graphs(
    release: Release, store: ox.Store
) -> None:
    """The materialised default graph (kzkg.store) and the N-Triples dump (kzkg.export) are both the
    union of the graphs in_default_graph / in_merged_dumps admit; the N-Quads dump keeps all."""
    named = [q for q in store if isinstance(q.graph_name, ox.NamedNode)]
    default = _triples(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert default == _triples(q for q in named if in_default_graph(q.graph_name))
    dumps = release.path / "dumps"
    merged = _triples(ox.parse(path=str(dumps / "kzkg.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert _ground(merged) == _ground(_triples(q for q in named if in_merged_dumps(q.graph_name)))
    assert len(merged) < len(_triples(named))  # the real corpus has claims' assertion graphs to leave out
    dataset = ox.parse(path=str(dumps / "kzkg.nq"), format=ox.RdfFormat.N_QUADS)
    assert {q.graph_name for q in dataset} == {q.graph_name for q in named}


def test_the_build_reasons_over_exactly_the_graphs_reasoned_over(release: Release) -> None:
    """The build's reasoner input (kzkg.pipeline, from rdflib) and the benchmark's (bench.worker,
    rebuilt from the N-Quads dump with pyoxigraph) are the same set: the policy and the term
    conversion are shared. No owl:sameAs link and no claim's assertion reaches the reasoner."""
    from bench.worker import reasoning_input_from_release

    built = reasoning_triples(prepare(ROOT / "data").dataset)
    assert built == reasoning_input_from_release(release.path)
    dump = ox.parse(path=str(release.path / "dumps" / "kzkg.nq"), format=ox.RdfFormat.N_QUADS)
    left_out = {kind(q.graph_name.value) for q in dump if not reasoned_over(q.graph_name)}
    assert left_out == {name for name, policy in POLICY.items() if not policy[0]}
    assert not any(p == OWL.sameAs for _, p, _ in built)


# Every module of the library, the server and the benchmarks.
CHECKED = [
    *sorted((ROOT / "kzkg").glob("*.py")),
    *sorted((ROOT / "kzkg" / "extract").glob("*.py")),
    *sorted((ROOT / "server").glob("*.py")),
    *sorted((ROOT / "bench").glob("*.py")),
]
NOT_VOCABULARY = (
    "http://127.0.0.1",
    "https://query.wikidata.org/",
    "https://dbpedia.org/sparql",
    "http://{",
    # a URL scheme tested or mounted, not an IRI
    'http://"',
    'https://"',
    "http://'",
    "https://'",
)


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_iris_are_spelled_only_in_the_vocabulary_module(path: Path) -> None:
    """An IRI written out in a second module drifts from the one users query; namespaces.py is the
    one place (string literals only: comments and docstrings may name IRIs)."""
    if path.name == "namespaces.py":
        return
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for token in tokens:
        if token.type != tokenize.STRING or token.string.startswith('"""'):  # f-strings too (Python 3.11)
            continue
        for scheme in ("http://", "https://"):
            at = token.string.find(scheme)
            if at >= 0 and not token.string[at:].startswith(NOT_VOCABULARY):
                pytest.fail(f"{path.name}:{token.start[0]}: IRI spelled outside kzkg/namespaces.py: {token.string}")
