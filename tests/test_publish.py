"""`kzkg publish` against a real Virtuoso on loopback: every graph arrives, counts are verified."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

from kzkg.publish import PublishError, Target, publish, release_graphs


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
