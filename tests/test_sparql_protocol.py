"""The SPARQL 1.1 Protocol endpoint over real HTTP: datasets, formats, negotiation, service
description, VoID, caching, CORS, refusals, clients (requests, SPARQLWrapper, curl), concurrency.

Most tests run against a small release written here with ``publish_nquads`` (so every expected
value is known), served by ``kzkg serve`` on loopback; the ``corpus`` tests at the end use the
real build (conftest's ``build_dir`` / ``live_server``).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib
import requests
from conftest import LiveServer
from rdflib import Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

from kzkg.examples import load_examples
from kzkg.namespaces import PREFIXES
from kzkg.store import current_release, publish_nquads
from kzkg_server import DEFAULTS

KZ = "https://w3id.org/kzkg/ontology#"
ID = "https://w3id.org/kzkg/id/"
G1, G2 = f"{ID}graph/article/001", f"{ID}graph/article/002"
ENTITIES, ONTOLOGY, INFERRED = f"{ID}graph/entities", f"{ID}graph/ontology", f"{ID}graph/inferred"
ALL_GRAPHS = {G1, G2, ENTITIES, ONTOLOGY, INFERRED}
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
SH = Namespace("http://www.w3.org/ns/shacl#")
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

NQUADS = f"""
<{ID}claim/001-1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{KZ}Claim> <{G1}> .
<{ID}claim/001-1> <{RDFS_LABEL}> "Protesters seized Almaty airport"@en <{G1}> .
<{ID}claim/001-1> <{KZ}claimant> <{ID}person/tokayev> <{G1}> .
<{ID}claim/002-1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{KZ}Claim> <{G2}> .
<{ID}claim/002-1> <{RDFS_LABEL}> "225 people died, \\"officially\\"\\nsecond line"@en <{G2}> .
<{ID}claim/002-1> <{KZ}count> "225"^^<http://www.w3.org/2001/XMLSchema#integer> <{G2}> .
<{ID}claim/002-1> <{KZ}claimant> <{ID}person/tokayev> <{G2}> .
<{ID}person/tokayev> <{RDFS_LABEL}> "Kassym-Jomart Tokayev"@en <{ENTITIES}> .
<{ID}person/tokayev> <{RDFS_LABEL}> "Қасым-Жомарт Тоқаев"@kk <{ENTITIES}> .
<{ID}person/tokayev> <http://schema.org/affiliation> _:org <{ENTITIES}> .
_:org <{RDFS_LABEL}> "the security service" <{ENTITIES}> .
<{KZ}Claim> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Class> <{ONTOLOGY}> .
<{ID}claim/001-1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/prov#Entity> <{INFERRED}> .
""".strip().encode("utf-8")
TRIPLES = 13
CLAIM_QUERY = "SELECT ?c WHERE { ?c a kz:Claim } ORDER BY ?c"
CLAIMS = [f"{ID}claim/001-1", f"{ID}claim/002-1"]


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("protocol-build")
    publish_nquads(build_dir, NQUADS)
    return build_dir


@pytest.fixture(scope="module")
def server(small_build: Path) -> Iterator[LiveServer]:
    # test_many_concurrent_queries_are_all_answered_correctly is one client with 12 queries at once:
    # the per-client fairness limits (tests/test_fairness.py) are lifted so all of them are answered.
    live = LiveServer(
        small_build,
        env={
            "KZKG_SERVER_THREADS": "16",
            "KZKG_QUERY_CLIENT_CONCURRENCY": "100",
            "KZKG_QUERY_QUEUE_SIZE": "100",
            "KZKG_QUERY_QUEUE_TIMEOUT": "60",
        },
    )
    yield live
    live.stop()


@pytest.fixture(scope="module")
def endpoint(server: LiveServer) -> str:
    return server.url + "/sparql"


def select(endpoint: str, query: str, **params: object) -> list[dict[str, str]]:
    response = requests.get(
        endpoint, params={"query": query, **params}, timeout=30, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def column(rows: list[dict[str, str]], name: str) -> list[str]:
    return [row[name] for row in rows if name in row]


# --- the three ways to send a query ---------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_answer(endpoint: str) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    by_get = requests.get(endpoint, params={"query": CLAIM_QUERY}, headers=accept, timeout=30)
    by_form = requests.post(endpoint, data={"query": CLAIM_QUERY}, headers=accept, timeout=30)
    by_body = requests.post(
        endpoint, data=CLAIM_QUERY.encode(), timeout=30, headers={**accept, "Content-Type": "application/sparql-query"}
    )
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "application/sparql-results+json"
        assert [b["c"]["value"] for b in response.json()["results"]["bindings"]] == CLAIMS


def test_head_answers_like_get_without_a_body(endpoint: str) -> None:
    response = requests.head(endpoint, params={"query": CLAIM_QUERY}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/sparql-results+json"
    assert response.content == b""


@pytest.mark.parametrize(
    ("request_kwargs", "status", "words"),
    [
        ({"method": "PUT", "params": {"query": "ASK {}"}}, 405, ""),
        ({"method": "POST", "data": b"ASK {}"}, 415, "Content-Type"),
        ({"method": "POST", "data": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415, "unsupported"),
        ({"method": "GET", "params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "exactly one"),
        (
            {
                "method": "POST",
                "data": "ASK {}".encode("utf-16"),
                "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"},
            },
            415,
            "UTF-8",
        ),
        (
            {"method": "POST", "data": b"ASK { \xff }", "headers": {"Content-Type": "application/sparql-query"}},
            400,
            "UTF-8",
        ),
        ({"method": "POST", "data": {"format": "json"}}, 400, "missing 'query'"),
        (
            {"method": "GET", "params": {"query": "ASK {}", "default-graph-uri": "not an iri"}},
            400,
            "not an absolute IRI",
        ),
    ],
)
def test_protocol_violations_are_4xx_with_a_reason(
    endpoint: str, request_kwargs: dict, status: int, words: str
) -> None:
    kwargs = dict(request_kwargs)
    response = requests.request(kwargs.pop("method"), endpoint, timeout=30, **kwargs)
    assert response.status_code == status, response.text
    if words:
        assert words in response.text
        assert response.headers["Content-Type"].startswith("text/plain")


# --- the dataset ----------------------------------------------------------------------------


def test_default_graph_is_the_union_of_all_named_graphs(endpoint: str) -> None:
    rows = select(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert rows == [{"n": str(TRIPLES)}]
    per_graph = select(endpoint, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert {row["g"]: int(row["n"]) for row in per_graph} == {G1: 3, G2: 4, ENTITIES: 4, ONTOLOGY: 1, INFERRED: 1}
    # Which article says what is still a GRAPH pattern, while the union sees across graphs.
    joined = select(
        endpoint,
        "SELECT ?g ?name WHERE { GRAPH ?g { ?c kz:claimant ?p } ?p rdfs:label ?name "
        "FILTER(lang(?name) = 'en') } ORDER BY ?g",
    )
    assert joined == [{"g": G1, "name": "Kassym-Jomart Tokayev"}, {"g": G2, "name": "Kassym-Jomart Tokayev"}]


def test_default_graph_uri_and_named_graph_uri_give_exactly_that_dataset(endpoint: str) -> None:
    assert column(select(endpoint, CLAIM_QUERY, **{"default-graph-uri": G2}), "c") == [CLAIMS[1]]
    both_defaults = [("query", CLAIM_QUERY), ("default-graph-uri", G1), ("default-graph-uri", G2)]
    assert column(_select_params(endpoint, both_defaults), "c") == CLAIMS
    # Only default-graph-uri: no named graphs at all.
    assert select(endpoint, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **{"default-graph-uri": G1}) == []
    # Only named-graph-uri: the default graph is empty, GRAPH sees just those graphs.
    named = [
        ("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
        ("named-graph-uri", G1),
        ("named-graph-uri", ENTITIES),
    ]
    assert sorted(column(_select_params(endpoint, named), "g")) == sorted([ENTITIES, G1])
    assert select(endpoint, "SELECT * WHERE { ?s ?p ?o }", **{"named-graph-uri": G1}) == []
    # A graph the store does not have is simply empty: nothing is fetched.
    assert select(endpoint, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": "http://example.org/nowhere"}) == []


def _select_params(endpoint: str, params: list[tuple[str, str]]) -> list[dict[str, str]]:
    response = requests.get(endpoint, params=params, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def test_from_and_from_named_select_graphs_already_in_the_store(endpoint: str) -> None:
    assert column(select(endpoint, f"SELECT ?c FROM <{G2}> WHERE {{ ?c a kz:Claim }}"), "c") == [CLAIMS[1]]
    rows = select(endpoint, f"SELECT ?g ?c FROM NAMED <{G1}> WHERE {{ GRAPH ?g {{ ?c a kz:Claim }} }}")
    assert rows == [{"g": G1, "c": CLAIMS[0]}]
    # FROM NAMED alone leaves the default graph empty (the union is only for queries without a dataset).
    assert select(endpoint, f"SELECT * FROM NAMED <{G1}> WHERE {{ ?s ?p ?o }}") == []
    # The word "from" in a literal is not a FROM clause: the union default still applies.
    assert len(select(endpoint, "SELECT ?c WHERE { ?c a kz:Claim FILTER(?c != 'from') }")) == 2


def test_protocol_dataset_overrides_the_query_dataset(endpoint: str) -> None:
    query = f"SELECT ?c FROM <{G1}> WHERE {{ ?c a kz:Claim }}"
    assert column(select(endpoint, query, **{"default-graph-uri": G2}), "c") == [CLAIMS[1]]


def test_predeclared_prefixes_need_no_prefix_lines(endpoint: str) -> None:
    rows = select(
        endpoint,
        "SELECT ?label WHERE { kzid:person\\/tokayev rdfs:label ?label FILTER(langMatches(lang(?label), 'kk')) }",
    )
    assert rows == [{"label": "Қасым-Жомарт Тоқаев"}]
    # A query may still declare its own, overriding a predeclared one.
    rows = select(endpoint, "PREFIX kz: <http://example.org/other#> SELECT ?c WHERE { ?c a kz:Claim }")
    assert rows == []


# --- formats and negotiation ----------------------------------------------------------------

LABEL_QUERY = f"SELECT ?label WHERE {{ <{ID}claim/002-1> rdfs:label ?label }}"
EXPECTED_LABEL = '225 people died, "officially"\nsecond line'


@pytest.mark.parametrize(
    "accept",
    ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
)
def test_select_results_in_every_format(endpoint: str, accept: str) -> None:
    response = requests.get(endpoint, params={"query": LABEL_QUERY}, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == accept
    if accept.endswith("json"):
        binding = response.json()["results"]["bindings"][0]["label"]
        assert (binding["value"], binding["xml:lang"]) == (EXPECTED_LABEL, "en")
    elif accept.endswith("xml"):
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        literal = ET.fromstring(response.content).find(".//r:binding[@name='label']/r:literal", ns)
        assert literal is not None and literal.text == EXPECTED_LABEL
        assert literal.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    elif accept == "text/csv":
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert list(csv.reader(io.StringIO(response.text))) == [["label"], [EXPECTED_LABEL]]
    else:
        lines = response.text.split("\n")
        assert lines[0] == "?label"
        assert lines[1] == '"225 people died, \\"officially\\"\\nsecond line"@en'


CONSTRUCT = "CONSTRUCT { ?c rdfs:label ?l ; kz:claimant ?p } WHERE { ?c a kz:Claim ; rdfs:label ?l ; kz:claimant ?p }"


def _expected_construct() -> rdflib.Graph:
    graph = rdflib.Graph()
    tokayev = URIRef(f"{ID}person/tokayev")
    for claim, label in ((CLAIMS[0], "Protesters seized Almaty airport"), (CLAIMS[1], EXPECTED_LABEL)):
        graph.add((URIRef(claim), URIRef(RDFS_LABEL), Literal(label, lang="en")))
        graph.add((URIRef(claim), URIRef(KZ + "claimant"), tokayev))
    return graph


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/trig", "trig"),
        ("application/n-quads", "nquads"),
    ],
)
def test_construct_in_every_rdf_format(endpoint: str, accept: str, rdflib_format: str) -> None:
    response = requests.post(endpoint, data={"query": CONSTRUCT}, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == accept
    if rdflib_format in {"trig", "nquads"}:
        dataset = rdflib.Dataset()
        dataset.parse(data=response.content, format=rdflib_format)
        graph = rdflib.Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
    else:
        graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    assert isomorphic(graph, _expected_construct())


def test_turtle_output_uses_the_predeclared_prefixes(endpoint: str) -> None:
    response = requests.get(endpoint, params={"query": CONSTRUCT}, headers={"Accept": "text/turtle"}, timeout=30)
    assert "@prefix kz: <https://w3id.org/kzkg/ontology#> ." in response.text
    assert "kz:claimant" in response.text


def test_describe_returns_rdf(endpoint: str) -> None:
    response = requests.get(
        endpoint,
        params={"query": f"DESCRIBE <{ID}person/tokayev>"},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    graph = rdflib.Graph().parse(data=response.content, format="nt")
    assert (URIRef(f"{ID}person/tokayev"), URIRef(RDFS_LABEL), Literal("Kassym-Jomart Tokayev", lang="en")) in graph


def test_ask_in_json_and_xml(endpoint: str) -> None:
    query = "ASK { ?c a kz:Claim }"
    assert requests.get(endpoint, params={"query": query}, timeout=30).json() == {"head": {}, "boolean": True}
    xml = requests.get(
        endpoint, params={"query": query}, headers={"Accept": "application/sparql-results+xml"}, timeout=30
    )
    assert ET.fromstring(xml.content).find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (CLAIM_QUERY, "text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        (CLAIM_QUERY, "text/html;q=0.5, text/tab-separated-values;q=0.8, */*;q=0.1", "text/tab-separated-values"),
        # HTML preferred over every SPARQL type: the results page (tests/test_sparql_ux.py)
        (CLAIM_QUERY, "text/html, text/tab-separated-values;q=0.8, */*;q=0.1", "text/html"),
        (CLAIM_QUERY, "*/*", "application/sparql-results+json"),
        (CLAIM_QUERY, "", "application/sparql-results+json"),
        (CLAIM_QUERY, "application/json", "application/sparql-results+json"),
        (CLAIM_QUERY, "text/*", "text/csv"),
        (CONSTRUCT, "*/*", "text/turtle"),
        (CONSTRUCT, "text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        (CONSTRUCT, "application/x-turtle", "text/turtle"),
        ("ASK {}", "text/csv, application/sparql-results+xml;q=0.2", "application/sparql-results+xml"),
    ],
)
def test_accept_negotiation_with_q_values(endpoint: str, query: str, accept: str, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = requests.get(endpoint, params={"query": query}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == expected
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        (CLAIM_QUERY, "json", "application/sparql-results+json"),
        (CLAIM_QUERY, "xml", "application/sparql-results+xml"),
        (CLAIM_QUERY, "csv", "text/csv"),
        (CLAIM_QUERY, "tsv", "text/tab-separated-values"),
        (CONSTRUCT, "ttl", "text/turtle"),
        (CONSTRUCT, "nt", "application/n-triples"),
        (CONSTRUCT, "jsonld", "application/ld+json"),
        (CONSTRUCT, "rdfxml", "application/rdf+xml"),
        (CONSTRUCT, "trig", "application/trig"),
        (CONSTRUCT, "nq", "application/n-quads"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "xml", "application/rdf+xml"),
        (CLAIM_QUERY, "application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_format_parameter_beats_accept(endpoint: str, query: str, name: str, expected: str) -> None:
    response = requests.get(
        endpoint, params={"query": query, "format": name}, timeout=30, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == expected


def test_406_lists_what_can_be_produced(endpoint: str) -> None:
    response = requests.get(endpoint, params={"query": CLAIM_QUERY}, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 406
    for media_type in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ):
        assert media_type in response.text
    response = requests.get(endpoint, params={"query": CONSTRUCT, "format": "csv"}, timeout=30)
    assert response.status_code == 406
    assert "text/turtle (format=turtle)" in response.text and "application/n-quads" in response.text


# --- errors and refusals --------------------------------------------------------------------


def test_malformed_query_gets_the_parser_message_with_position(endpoint: str) -> None:
    response = requests.get(endpoint, params={"query": "SELECT * WHERE {\n  ?s ?p \n}"}, timeout=30)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("error at 3:")
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "POST", "data": {"update": "CLEAR ALL"}},
        {"method": "POST", "data": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}},
        {"method": "GET", "params": {"update": "DROP ALL"}},
        {"method": "GET", "params": {"query": "LOAD <http://example.org/data.ttl>"}},
        {"method": "POST", "data": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}},
        {
            "method": "POST",
            "data": b"DELETE WHERE { ?s ?p ?o }",
            "headers": {"Content-Type": "application/sparql-query"},
        },
    ],
)
def test_updates_are_refused_and_change_nothing(endpoint: str, request_kwargs: dict) -> None:
    kwargs = dict(request_kwargs)
    response = requests.request(kwargs.pop("method"), endpoint, timeout=30, **kwargs)
    assert response.status_code == 403, response.text
    assert "read-only" in response.text
    assert select(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": str(TRIPLES)}]


# --- CORS -----------------------------------------------------------------------------------


def test_cors_on_answers_errors_and_preflight(endpoint: str) -> None:
    origin = {"Origin": "https://example.org"}
    answer = requests.get(endpoint, params={"query": "ASK {}"}, headers=origin, timeout=30)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    error = requests.get(endpoint, params={"query": "ASK {"}, headers=origin, timeout=30)
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == "*"
    preflight = requests.options(
        endpoint,
        timeout=30,
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


# --- caching --------------------------------------------------------------------------------


def test_etag_and_304_and_in_process_cache(endpoint: str) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . FILTER(isIRI(?s)) }"
    with requests.Session() as session:  # keep-alive: the same gunicorn worker, the same cache
        first = session.get(endpoint, params={"query": query}, timeout=30)
        second = session.get(endpoint, params={"query": query}, timeout=30)
        assert first.status_code == second.status_code == 200
        assert first.content == second.content
        assert first.headers["ETag"] == second.headers["ETag"]
        assert "public, max-age=" in first.headers["Cache-Control"]
        assert "cache;desc=hit" in second.headers["Server-Timing"]
        not_modified = session.get(
            endpoint, params={"query": query}, headers={"If-None-Match": first.headers["ETag"]}, timeout=30
        )
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified.headers["ETag"] == first.headers["ETag"]
        other_type = session.get(endpoint, params={"query": query, "format": "xml"}, timeout=30)
        assert other_type.headers["ETag"] != first.headers["ETag"]
        other_dataset = session.get(endpoint, params={"query": query, "default-graph-uri": G1}, timeout=30)
        assert other_dataset.headers["ETag"] != first.headers["ETag"]


def test_a_new_build_changes_answers_and_etags(tmp_path: Path) -> None:
    publish_nquads(tmp_path, NQUADS)
    live = LiveServer(tmp_path)
    try:
        url = live.url + "/sparql"
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        with requests.Session() as session:
            before = session.get(url, params={"query": query}, timeout=30)
            assert before.json()["results"]["bindings"][0]["n"]["value"] == str(TRIPLES)
            old_build = current_release(tmp_path).build_id
            assert old_build in before.headers["ETag"]
            release = publish_nquads(tmp_path, NQUADS + f'\n<{ID}x> <{ID}y> "new" <{G1}> .\n'.encode())
            after = session.get(url, params={"query": query}, timeout=30)
            assert after.json()["results"]["bindings"][0]["n"]["value"] == str(TRIPLES + 1)
            assert after.headers["ETag"] != before.headers["ETag"]
            assert release.build_id in after.headers["ETag"]
            stale = session.get(
                url, params={"query": query}, headers={"If-None-Match": before.headers["ETag"]}, timeout=30
            )
            assert stale.status_code == 200
    finally:
        live.stop()


# --- describing the service -----------------------------------------------------------------


def test_service_description(endpoint: str) -> None:
    response = requests.get(endpoint, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    service = URIRef(endpoint)
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) not in graph  # claims' assertion graphs are left out
    federates = (service, SD.feature, SD.BasicFederatedQuery) in graph
    assert federates == bool(DEFAULTS["SERVICE_ALLOWLIST"])  # announced exactly when SERVICE may be used
    formats = {str(f).rsplit("/", 1)[-1] for f in graph.objects(service, SD.resultFormat)}
    assert formats == {
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
        "TriG",
        "N-Quads",
    }
    dataset = graph.value(service, SD.defaultDataset)
    default_graph = graph.value(dataset, SD.defaultGraph)
    assert "union of all named graphs" in str(
        graph.value(default_graph, URIRef("http://purl.org/dc/terms/description"))
    )
    assert int(graph.value(default_graph, VOID.triples)) == TRIPLES
    named = {
        str(graph.value(n, SD.name)): int(graph.value(graph.value(n, SD.graph), VOID.triples))
        for n in graph.objects(dataset, SD.namedGraph)
    }
    assert named == {G1: 3, G2: 4, ENTITIES: 4, ONTOLOGY: 1, INFERRED: 1}
    declared = {
        str(graph.value(d, SH.prefix)): str(graph.value(d, SH.namespace)) for d in graph.objects(service, SH.declare)
    }
    assert declared == PREFIXES


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("application/rdf+xml", "xml"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")],
)
def test_service_description_in_other_formats(endpoint: str, accept: str, rdflib_format: str) -> None:
    response = requests.get(endpoint, headers={"Accept": accept}, timeout=30)
    assert response.headers["Content-Type"].split(";")[0] == accept
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    assert (URIRef(endpoint), SD.feature, SD.UnionDefaultGraph) not in graph


def test_a_browser_asking_for_the_endpoint_is_sent_to_the_query_page(endpoint: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = requests.get(endpoint, headers={"Accept": browser}, allow_redirects=False, timeout=30)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/")
    # A client that prefers RDF, or says nothing, gets the description.
    assert requests.get(endpoint, timeout=30).headers["Content-Type"].startswith("text/turtle")


def test_void_from_the_store_then_from_the_build(server: LiveServer, small_build: Path) -> None:
    url = server.url + "/.well-known/void"
    release = current_release(small_build)
    (release.path / "void.ttl").unlink(missing_ok=True)
    generated = requests.get(url, timeout=30)
    assert generated.status_code == 200 and generated.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=generated.content, format="turtle")
    dataset = next(graph.subjects(RDF.type, VOID.Dataset))
    assert int(graph.value(dataset, VOID.triples)) == TRIPLES
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef(server.url + "/sparql")
    subsets = {
        str(graph.value(s, SD.name)): int(graph.value(s, VOID.triples)) for s in graph.objects(dataset, VOID.subset)
    }
    assert subsets == {G1: 3, G2: 4, ENTITIES: 4, ONTOLOGY: 1, INFERRED: 1}

    written = f"<{ID}dataset> a <http://rdfs.org/ns/void#Dataset> ; <http://rdfs.org/ns/void#triples> 42 .\n"
    (release.path / "void.ttl").write_text(written, encoding="utf-8")
    try:
        served = requests.get(url, timeout=30)
        assert served.text == written
        as_ntriples = requests.get(url, headers={"Accept": "application/n-triples"}, timeout=30)
        assert isomorphic(
            rdflib.Graph().parse(data=as_ntriples.content, format="nt"),
            rdflib.Graph().parse(data=written, format="turtle"),
        )
    finally:
        (release.path / "void.ttl").unlink()


# --- clients --------------------------------------------------------------------------------


def test_sparqlwrapper_select_and_construct(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(CLAIM_QUERY)
    client.setReturnFormat(JSON)
    assert [b["c"]["value"] for b in client.queryAndConvert()["results"]["bindings"]] == CLAIMS
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    turtle = client.queryAndConvert()
    assert isomorphic(rdflib.Graph().parse(data=turtle, format="turtle"), _expected_construct())
    client.setMethod("POST")
    client.setQuery("ASK { ?c a kz:Claim }")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is True


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_gets_csv_and_sees_the_error_text(endpoint: str) -> None:
    result = subprocess.run(
        ["curl", "-sS", "-H", "Accept: text/csv", "--data-urlencode", f"query={CLAIM_QUERY}", endpoint],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.splitlines() == ["c", *CLAIMS]
    error = subprocess.run(
        ["curl", "-sS", "-w", "\\n%{http_code}", "--get", "--data-urlencode", "query=SELEC", endpoint],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert error.stdout.rstrip().endswith("400") and "error at 1:" in error.stdout


# --- concurrency ----------------------------------------------------------------------------


def test_many_concurrent_queries_are_all_answered_correctly(endpoint: str) -> None:
    """64 distinct queries (no cache hits) from 12 threads across every format the workers write."""

    def run(i: int) -> tuple[int, bool]:
        kind = i % 4
        if kind == 0:
            rows = select(endpoint, f"SELECT (COUNT(*) + {i} AS ?n) WHERE {{ ?s ?p ?o }}")
            return i, rows == [{"n": str(TRIPLES + i)}]
        if kind == 1:
            response = requests.get(
                endpoint,
                params={"query": f"SELECT ?c ({i} AS ?i) WHERE {{ ?c a kz:Claim }} ORDER BY ?c", "format": "csv"},
                timeout=60,
            )
            return i, list(csv.reader(io.StringIO(response.text))) == [
                ["c", "i"],
                [CLAIMS[0], str(i)],
                [CLAIMS[1], str(i)],
            ]
        if kind == 2:
            query = f"CONSTRUCT {{ ?c <{ID}n> {i} }} WHERE {{ ?c a kz:Claim }}"
            response = requests.post(
                endpoint, data={"query": query}, headers={"Accept": "application/n-triples"}, timeout=60
            )
            graph = rdflib.Graph().parse(data=response.content, format="nt")
            return i, len(graph) == 2 and all(o == Literal(i) for o in graph.objects())
        response = requests.post(
            endpoint,
            data=f"ASK {{ FILTER({i} = {i}) }}".encode(),
            timeout=60,
            headers={"Content-Type": "application/sparql-query"},
        )
        return i, response.json()["boolean"] is True

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(run, range(64)))
    assert [i for i, ok in outcomes if not ok] == []


# --- the real corpus ------------------------------------------------------------------------


def test_corpus_union_default_and_article_graphs(live_server: LiveServer) -> None:
    endpoint = live_server.url + "/sparql"
    total = int(select(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"])
    per_graph = select(endpoint, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    graphs = {row["g"]: int(row["n"]) for row in per_graph}
    articles = [g for g in graphs if g.startswith(f"{ID}graph/article/")]
    assert len(articles) >= 3
    assert {ENTITIES, ONTOLOGY} <= graphs.keys()
    assert 0 < total <= sum(graphs.values())
    # Every claim is stated in some article graph, and the union finds them without GRAPH.
    claims = int(select(endpoint, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kz:Claim }")[0]["n"])
    in_articles = select(
        endpoint,
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH ?g { ?c a kz:Claim } "
        "FILTER(STRSTARTS(STR(?g), STR(kzid:graph\\/article\\/))) }",
    )
    assert claims > 0 and int(in_articles[0]["n"]) > 0


def test_corpus_example_queries_run_over_http(live_server: LiveServer) -> None:
    endpoint = live_server.url + "/sparql"
    examples = load_examples()
    assert examples
    for example in examples:
        response = requests.post(endpoint, data={"query": example.sparql}, timeout=60)
        assert response.status_code == 200, (example.slug, response.text)
        assert response.headers["Content-Type"].split(";")[0] in {"application/sparql-results+json", "text/turtle"}


def test_corpus_service_description_names_every_graph_and_void_is_the_builds(
    live_server: LiveServer, build_dir: Path
) -> None:
    endpoint = live_server.url + "/sparql"
    graph = rdflib.Graph().parse(data=requests.get(endpoint, timeout=30).content, format="turtle")
    dataset = graph.value(URIRef(endpoint), SD.defaultDataset)
    named = {str(graph.value(n, SD.name)) for n in graph.objects(dataset, SD.namedGraph)}
    in_store = set(column(select(endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"), "g"))
    assert named == in_store and len(named) >= 3
    # A built release's sizes come from its manifest, not a store scan: they must be the store's.
    sizes = {
        str(graph.value(n, SD.name)): int(graph.value(graph.value(n, SD.graph), VOID.triples))
        for n in graph.objects(dataset, SD.namedGraph)
    }
    counted = select(endpoint, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert sizes == {row["g"]: int(row["n"]) for row in counted}
    union = select(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    default_graph = graph.value(dataset, SD.defaultGraph)
    assert int(graph.value(default_graph, VOID.triples)) == int(union[0]["n"])
    assert "triples" in current_release(build_dir).manifest
    void_file = current_release(build_dir).path / "void.ttl"
    if void_file.exists():
        assert requests.get(live_server.url + "/.well-known/void", timeout=30).content == void_file.read_bytes()
