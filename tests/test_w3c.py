"""The W3C SPARQL 1.1 Protocol and Query test suites, run over HTTP against a live ``kzkg serve``.

One release holds every test's data (each file a named graph named by its IRI); one server serves
it; each evaluation test sends its query with ``default-graph-uri`` = its ``qt:data`` files and
``named-graph-uri`` = its ``qt:graphData`` files, so the union default graph is never involved
(a test with no data names a graph that does not exist: an empty dataset). A query with its own
FROM / FROM NAMED is sent without protocol graphs, since those would override it.

Known failures are listed with their reasons in ``w3c_known_failures.txt`` and marked
``xfail(strict=True)``: a fixed one turns the run red until it is taken off the list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import w3c_harness as w3c
from conftest import LiveServer

from kzkg.store import publish_nquads
from kzkg_server.sparql_scan import scan

pytestmark = pytest.mark.w3c

QUERY_TESTS = w3c.query_tests()
PROTOCOL_TESTS = w3c.protocol_tests()
KNOWN = w3c.known_failures()


def _params(tests, kind: str | None = None):
    chosen = [t for t in tests if kind is None or t.kind == kind]
    return [
        pytest.param(t, id=t.id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[t.id])] if t.id in KNOWN else [])
        for t in chosen
    ]


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """ONE release with the data of every test, and ONE live server on it."""
    build_dir: Path = tmp_path_factory.mktemp("w3c-build")
    publish_nquads(build_dir, w3c.dataset_nquads(w3c.all_graph_data(QUERY_TESTS, PROTOCOL_TESTS)))
    server = LiveServer(build_dir, env={"KZKG_MAX_RESULTS": "100000", "KZKG_QUERY_TIMEOUT": "30"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _post_query(
    http: requests.Session,
    server: LiveServer,
    query: str,
    accept: str,
    default_graphs: list[str],
    named_graphs: list[str],
) -> requests.Response:
    params = [("default-graph-uri", g) for g in default_graphs] + [("named-graph-uri", g) for g in named_graphs]
    return http.post(
        server.url + "/sparql",
        params=params,
        data=query.encode("utf-8"),
        timeout=60,
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
    )


@pytest.mark.parametrize("test", _params(QUERY_TESTS, "eval"))
def test_query_evaluation(w3c_server: LiveServer, http: requests.Session, test: w3c.QueryTest) -> None:
    # The query's base is its file's IRI, as in the manifests; the endpoint's own base is its URL.
    query = f"BASE <{test.query_iri}>\n{test.query_text}"
    if scan(test.query_text).has_dataset_clause:
        default_graphs, named_graphs = [], []
    else:
        default_graphs = [d.name for d in test.data]
        named_graphs = [d.name for d in test.graph_data]
        if not default_graphs and not named_graphs:
            default_graphs = [w3c.EMPTY_GRAPH]
    expected_path = w3c.local_path(test.result_iri or "")

    if expected_path.suffix == ".ttl" and not w3c.is_result_set(expected_path):
        response = _post_query(http, w3c_server, query, "application/n-triples", default_graphs, named_graphs)
        assert response.status_code == 200, response.text
        assert w3c.graphs_isomorphic(expected_path, response.content, test.result_iri or ""), response.text
        return

    media_type = w3c.RESULT_MEDIA.get(expected_path.suffix, "application/sparql-results+json")
    response = _post_query(http, w3c_server, query, media_type, default_graphs, named_graphs)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].split(";")[0] == media_type
    actual = w3c.parse_results(response.content, media_type)
    expected = w3c.expected_results(test)
    if expected.boolean is not None:
        assert actual.boolean == expected.boolean
        return
    if media_type == "text/csv":
        expected = w3c.csv_view(expected)
    assert set(actual.variables or []) == set(expected.variables or [])
    assert w3c.solutions_equal(expected.solutions or [], actual.solutions or []), (
        f"expected {expected.solutions}\nactual   {actual.solutions}"
    )


@pytest.mark.parametrize("test", _params(QUERY_TESTS, "positive-syntax"))
def test_positive_syntax(w3c_server: LiveServer, http: requests.Session, test: w3c.QueryTest) -> None:
    response = _post_query(http, w3c_server, test.query_text, "*/*", [w3c.EMPTY_GRAPH], [])
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("test", _params(QUERY_TESTS, "negative-syntax"))
def test_negative_syntax(w3c_server: LiveServer, http: requests.Session, test: w3c.QueryTest) -> None:
    response = _post_query(http, w3c_server, test.query_text, "*/*", [w3c.EMPTY_GRAPH], [])
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("test", _params(PROTOCOL_TESTS))
def test_protocol(w3c_server: LiveServer, test: w3c.ProtocolTest) -> None:
    """Each ht:Request of the test, sent as written (its /sparql/ path is our endpoint's too)."""
    for step in test.requests:
        response = requests.request(
            step.method,
            w3c_server.url + step.path,
            headers=step.headers,
            data=step.body,
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code // 100 in step.expected_status, (
            step.method,
            step.path,
            response.status_code,
            response.text,
        )
        media_type = response.headers.get("Content-Type", "").split(";")[0]
        if step.expected_format:
            assert media_type in w3c.FORMAT_GROUPS[step.expected_format], media_type
        if step.expected_boolean is not None:
            assert w3c.results_json_boolean(response.content, media_type) == step.expected_boolean


@pytest.mark.parametrize("test", [pytest.param(t, id=t.id) for t in PROTOCOL_TESTS if t.is_update])
def test_protocol_updates_are_refused(w3c_server: LiveServer, test: w3c.ProtocolTest) -> None:
    """The expected difference: every update request gets a 4xx, and a success-expecting one a 403
    that says why, and nothing in the store changes."""
    for step in test.requests:
        response = requests.request(
            step.method,
            w3c_server.url + step.path,
            headers=step.headers,
            data=step.body,
            allow_redirects=False,
            timeout=30,
        )
        is_update = (
            step.headers.get("content-type") == "application/sparql-update"
            or (step.body or b"").startswith(b"update=")
            or "update=" in step.path
        )
        if is_update:
            assert 400 <= response.status_code < 500, response.text
            if 2 in step.expected_status:
                assert response.status_code == 403 and "read-only" in response.text
    still_there = requests.get(
        w3c_server.url + "/sparql",
        timeout=30,
        params={
            "query": "ASK { <http://kasei.us/2009/09/sparql/data/data1.rdf> a ?t }",
            "default-graph-uri": "http://kasei.us/2009/09/sparql/data/data1.rdf",
        },
    ).json()
    assert still_there["boolean"] is True


def test_the_vendored_suite_holds_every_file_the_run_reads() -> None:
    """The suite lives in the repository (tests/w3c/), with its licence and upstream commit, and
    every file a manifest names is there: a fresh clone runs the same tests as this one."""
    vendored = w3c.SUITE_ROOT.parent.parent
    assert (vendored / "LICENSE.md").is_file()
    assert "ad541a5f0479f0798608c4801369d97b8e08b36f" in (vendored / "README.md").read_text(encoding="utf-8")
    needed = w3c.referenced_files(QUERY_TESTS, PROTOCOL_TESTS)
    missing = sorted(str(path.relative_to(w3c.SUITE_ROOT)) for path in needed if not path.is_file())
    assert not missing, missing
    assert len(QUERY_TESTS) > 300 and len(PROTOCOL_TESTS) > 30 and len(w3c.query_files()) > 400
    assert all(
        path.resolve().is_relative_to(Path(__file__).resolve().parent) for path in needed | set(w3c.query_files())
    )


def test_a_missing_suite_is_an_error_not_a_skip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without tests/w3c/ the harness raises (collection fails, the run is red) and says what to do."""
    monkeypatch.setattr(w3c, "SUITE_ROOT", tmp_path / "nowhere")
    for read in (w3c.query_tests, w3c.protocol_tests, w3c.query_files):
        with pytest.raises(w3c.SuiteMissing, match=r"vendored W3C SPARQL 1\.1 suite is missing"):
            read()
