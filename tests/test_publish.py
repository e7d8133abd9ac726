"""`kzkg publish` against a real Virtuoso on loopback: every graph arrives, counts are verified."""

from __future__ import annotations

import subprocess
import sys

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

from kzkg.namespaces import is_assertion_graph
from kzkg.publish import DEFAULT_GRAPH, PublishError, Target, _chunks, publish, release_graphs
from kzkg.store import open_read_only

XSD = "http://www.w3.org/2001/XMLSchema#"


def respelt_by_virtuoso(triple: ox.Triple) -> bool:
    """Literals Virtuoso stores in its own spelling, in every graph alike (not only the default one):
    WKT points as virtrdf:Geometry ("POINT(76.92861 …)"), decimals canonicalised, integers beyond
    32 bits as decimals."""
    value = triple.object
    if not isinstance(value, ox.Literal):
        return False
    datatype = value.datatype.value
    if datatype in ("http://www.opengis.net/ont/geosparql#wktLiteral", XSD + "decimal"):
        return True
    return datatype == XSD + "integer" and abs(int(value.value)) >= 2**31


def target_for(virtuoso, **overrides) -> Target:
    settings = {
        "query_url": virtuoso.sparql_url,
        "gsp_url": virtuoso.gsp_url,
        "graph_param": virtuoso.graph_param,
        "user": virtuoso.user,
        "password": virtuoso.password,
        "auth_scheme": "digest",
    }
    settings.update(overrides)
    return Target(**settings)


def remote_count(virtuoso, graph: str) -> int:
    client = SPARQLWrapper(virtuoso.sparql_url)
    client.setQuery(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    client.setReturnFormat(JSON)
    return int(client.queryAndConvert()["results"]["bindings"][0]["n"]["value"])


def test_publish_by_graph_store_protocol_to_virtuoso(release, virtuoso) -> None:
    report = publish(release, target_for(virtuoso), batch=5_000)
    expected = {g: len(set(t)) for g, t in release_graphs(release).items()}
    assert report.graphs == expected
    assert "https://w3id.org/kzkg/id/graph/inferred" in report.graphs
    for graph, size in expected.items():
        assert remote_count(virtuoso, graph) == size
    # a real query through the remote store finds the corpus's facts
    client = SPARQLWrapper(virtuoso.sparql_url)
    client.setQuery("""PREFIX kz: <https://w3id.org/kzkg/ontology#>
        SELECT ?who WHERE { <https://w3id.org/kzkg/id/claim/001-health-ministry-164-dead> kz:claimedBy ?who }""")
    client.setReturnFormat(JSON)
    who = {b["who"]["value"] for b in client.queryAndConvert()["results"]["bindings"]}
    assert who == {"https://w3id.org/kzkg/id/health-ministry"}


def store_triples(virtuoso, where: str) -> set[str]:
    """The triples a pattern over ?s ?p ?o matches on the store, as N-Triples lines without blank
    nodes (they are renamed per request), read in 16 slices by the subject's MD5 so that none
    reaches Virtuoso's silent 10,000-row cap."""
    found: set[str] = set()
    for digit in "0123456789abcdef":
        query = f'CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} FILTER(STRSTARTS(MD5(STR(?s)), "{digit}")) }}'
        answer = requests.post(
            virtuoso.sparql_url, data={"query": query}, headers={"Accept": "application/n-triples"}, timeout=60
        )
        assert answer.status_code == 200, answer.text[:300]
        part = list(ox.parse(answer.content, format=ox.RdfFormat.N_TRIPLES))
        assert len(part) < 9_000  # far from the cap: nothing was cut
        found |= {
            str(t) for t in part if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
        }
    return found


def test_the_default_graph_is_published_as_one_graph_holding_the_embedded_default_graph(release, virtuoso) -> None:
    """kzgraph:default on the store holds exactly the embedded store's default graph (blank nodes
    aside): the union of every graph but claims' assertion graphs, read back from the same store."""
    report = publish(release, target_for(virtuoso), batch=5_000)  # several batches, blank nodes in the first
    embedded = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in open_read_only(release).quads_for_pattern(None, None, None, ox.DefaultGraph())
    ]
    assert report.default_triples == len(embedded) == remote_count(virtuoso, DEFAULT_GRAPH) > 20_000
    assert DEFAULT_GRAPH not in report.graphs  # not one of the release's named graphs
    published = store_triples(virtuoso, f"GRAPH <{DEFAULT_GRAPH}> {{ ?s ?p ?o }}")
    curated = " ".join(f"<{g}>" for g in report.graphs if not is_assertion_graph(g))
    assert published == store_triples(virtuoso, f"GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ {curated} }}")
    expected = {
        str(t): t
        for t in embedded
        if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
    }
    missing = [expected[line] for line in expected.keys() - published]
    assert all(respelt_by_virtuoso(t) for t in missing), [str(t) for t in missing if not respelt_by_virtuoso(t)]
    assert len(missing) < 30 and len(published) == len(expected)
    # and the record names it as the dataset's default graph
    client = SPARQLWrapper(virtuoso.sparql_url)
    client.setQuery(
        "SELECT ?d WHERE { GRAPH <https://w3id.org/kzkg/id/graph/release> { <https://w3id.org/kzkg/id/dataset> "
        "<http://www.w3.org/ns/sparql-service-description#defaultGraph> ?d } }"
    )
    client.setReturnFormat(JSON)
    assert [b["d"]["value"] for b in client.queryAndConvert()["results"]["bindings"]] == [DEFAULT_GRAPH]


def test_blank_nodes_go_together_in_a_first_batch_and_the_rest_is_batched() -> None:
    node, blank = ox.NamedNode("http://example.org/s"), ox.BlankNode("b")
    triples = [ox.Triple(node, node, ox.Literal(str(n))) for n in range(10)]
    triples[7] = ox.Triple(node, node, blank)
    triples[3] = ox.Triple(blank, node, ox.Literal("x"))
    chunks = [list(chunk) for chunk in _chunks(triples, 4)]
    assert [len(chunk) for chunk in chunks] == [2, 4, 4]
    assert all(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in chunks[0])
    assert sorted(map(str, (t for chunk in chunks for t in chunk))) == sorted(map(str, triples))
    # more blank-node triples than a batch: they still travel together
    many = [ox.Triple(blank, node, ox.Literal(str(n))) for n in range(6)] + [ox.Triple(node, node, node)]
    assert [len(chunk) for chunk in _chunks(many, 4)] == [6, 1]
    # a graph smaller than a batch (the ontology's) still sends its blank-node triples on their own
    assert [len(chunk) for chunk in _chunks(triples, 20)] == [2, 8]
    assert [len(chunk) for chunk in _chunks(many[:6], 20)] == [6]  # all blank: one batch


def test_virtuoso_truncates_silently_so_publish_counts_instead(release, virtuoso) -> None:
    """Virtuoso's ResultSetMaxRows (10000) cuts a large SELECT without saying so; COUNT is exact."""
    publish(release, target_for(virtuoso))
    total = sum(len(set(t)) for t in release_graphs(release).values())
    assert total > 10_000
    rows = requests.post(
        virtuoso.sparql_url,
        data={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'https://w3id.org/kzkg/')) }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    ).json()
    assert len(rows["results"]["bindings"]) == 10_000


def test_publish_by_sparql_update(release, virtuoso) -> None:
    target = target_for(virtuoso, gsp_url=None, update_url=virtuoso.base + "/sparql-auth")
    report = publish(release, target, batch=20_000)
    for graph, size in report.graphs.items():
        assert remote_count(virtuoso, graph) == size


def test_wrong_password_is_a_clear_error(release, virtuoso) -> None:
    with pytest.raises(PublishError, match="HTTP 401"):
        publish(release, target_for(virtuoso, password="not-the-password"))


def test_publish_command_exit_codes(build_dir, virtuoso) -> None:
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "kzkg.cli",
            "publish",
            "--build-dir",
            str(build_dir),
            "--query-url",
            virtuoso.sparql_url,
            "--gsp-url",
            virtuoso.gsp_url,
            "--graph-param",
            "graph-uri",
            "--user",
            "dba",
            "--auth",
            "digest",
        ],
        env={"KZKG_STORE_PASSWORD": "dba", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ok.returncode == 0, ok.stderr
    assert "counts verified" in ok.stdout
    unreachable = subprocess.run(
        [
            sys.executable,
            "-m",
            "kzkg.cli",
            "publish",
            "--build-dir",
            str(build_dir),
            "--query-url",
            "http://127.0.0.1:9/sparql",
            "--gsp-url",
            "http://127.0.0.1:9/data",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unreachable.returncode == 2
    assert "cannot reach the target store" in unreachable.stderr
