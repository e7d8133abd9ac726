"""What a user of /sparql meets when something is off: an undeclared prefix or an empty query said
in words (endpoint and CLI), and SPARQLWrapper's N3 return format answered, not refused.

Runs against a small release written with ``publish_nquads`` and served by ``kzkg serve`` on
loopback; the CLI is run as a real subprocess against the same release.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
import requests
from SPARQLWrapper import N3, SPARQLWrapper

from conftest import LiveServer
from kzkg.namespaces import PREFIXES
from kzkg.store import publish_nquads

KZ = "https://w3id.org/kzkg/ontology#"
ID = "https://w3id.org/kzkg/id/"
G1 = f"{ID}graph/article/001"
NQUADS = f"""
<{ID}claim/001-1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{KZ}Claim> <{G1}> .
<{ID}claim/001-1> <http://www.w3.org/2000/01/rdf-schema#label> "Protesters seized Almaty airport"@en <{G1}> .
""".strip().encode("utf-8")


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("ux-build")
    publish_nquads(build_dir, NQUADS)
    return build_dir


@pytest.fixture(scope="module")
def server(small_build: Path) -> Iterator[LiveServer]:
    live = LiveServer(small_build)
    yield live
    live.stop()


def _get(server: LiveServer, query: str, **headers: str) -> requests.Response:
    return requests.get(server.url + "/sparql", params={"query": query}, headers=headers, timeout=60)


# --- 1. undeclared prefix, empty query ------------------------------------------------------

def test_an_undeclared_prefix_is_named_with_the_declared_ones(server: LiveServer) -> None:
    query = "PREFIX ex: <http://example.org/>\nSELECT * WHERE {\n  ?s foo:bar ex:x }"
    response = _get(server, query)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    line = response.text.strip()
    assert "\n" not in line
    assert line.startswith("error at 3:6: prefix `foo:` is not declared; declared prefixes are "), line
    declared = line.split("declared prefixes are ", 1)[1].split(", ")
    assert declared == [*PREFIXES, "ex"]
    assert "'\\u{" not in line and "expected" not in line  # no grammar character ranges


@pytest.mark.parametrize("query", ["", "   \n\t", "# only a comment\n"])
def test_an_empty_query_is_said_to_be_empty(server: LiveServer, query: str) -> None:
    for response in (_get(server, query),
                     requests.post(server.url + "/sparql", data=query.encode(), timeout=60,
                                   headers={"Content-Type": "application/sparql-query"})):
        assert response.status_code == 400, response.text
        assert response.text.strip() == "error at 1:1: the query is empty"


def test_a_declared_prefix_and_other_errors_keep_the_engine_message(server: LiveServer) -> None:
    response = _get(server, "SELECT * WHERE { ?s kz:claimant ?o ")  # predeclared prefix, missing }
    assert response.status_code == 400
    assert "not declared" not in response.text and response.text.startswith("error at 1:")
    assert _get(server, "PREFIX foo: <http://e/> ASK { ?s foo:p ?o }",
                Accept="application/sparql-results+json").json() == {"head": {}, "boolean": False}


def _kzkg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kzkg.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_names_the_undeclared_prefix_and_the_empty_query(small_build: Path) -> None:
    result = _kzkg("query", "--build-dir", str(small_build), "SELECT * { ?s nope:x ?o }")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "error at 1:15: prefix `nope:` is not declared; declared prefixes are kz, kzid" in lines[0]
    result = _kzkg("query", "--build-dir", str(small_build), "  ")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("the query is empty"), result.stderr


# --- 3. SPARQLWrapper's N3 ------------------------------------------------------------------

def test_sparqlwrapper_n3_gets_turtle(server: LiveServer) -> None:
    wrapper = SPARQLWrapper(server.url + "/sparql")
    wrapper.setQuery("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    wrapper.setReturnFormat(N3)
    result = wrapper.query()
    assert result.info()["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=result.convert(), format="turtle")
    assert len(graph) == 2
    assert (rdflib.URIRef(f"{ID}claim/001-1"), rdflib.RDF.type, rdflib.URIRef(f"{KZ}Claim")) in graph


@pytest.mark.parametrize("accept", ["text/n3", "text/rdf+n3", "application/n3"])
def test_n3_media_types_and_format_n3_are_answered_with_turtle(server: LiveServer, accept: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    for response in (_get(server, query, Accept=accept),
                     requests.get(server.url + "/sparql", params={"query": query, "format": "n3"}, timeout=60)):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/turtle")
        assert len(rdflib.Graph().parse(data=response.text, format="turtle")) == 2
