"""What a user of /sparql meets when something is off: an undeclared prefix or an empty query said
in words (endpoint and CLI), and SPARQLWrapper's N3 return format answered, not refused.

Runs against a small release written with ``publish_nquads`` and served by ``kzkg serve`` on
loopback; the CLI is run as a real subprocess against the same release.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import rdflib
import requests
from conftest import LiveServer
from SPARQLWrapper import N3, SPARQLWrapper
from test_browser import browser  # noqa: F401 (the chromium fixture)

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
    for response in (
        _get(server, query),
        requests.post(
            server.url + "/sparql",
            data=query.encode(),
            timeout=60,
            headers={"Content-Type": "application/sparql-query"},
        ),
    ):
        assert response.status_code == 400, response.text
        assert response.text.strip() == "error at 1:1: the query is empty"


def test_a_declared_prefix_and_other_errors_keep_the_engine_message(server: LiveServer) -> None:
    response = _get(server, "SELECT * WHERE { ?s kz:claimant ?o ")  # predeclared prefix, missing }
    assert response.status_code == 400
    assert "not declared" not in response.text and response.text.startswith("error at 1:")
    assert _get(
        server, "PREFIX foo: <http://e/> ASK { ?s foo:p ?o }", Accept="application/sparql-results+json"
    ).json() == {"head": {}, "boolean": False}


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
    for response in (
        _get(server, query, Accept=accept),
        requests.get(server.url + "/sparql", params={"query": query, "format": "n3"}, timeout=60),
    ):
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/turtle")
        assert len(rdflib.Graph().parse(data=response.text, format="turtle")) == 2


# --- 2. the results page for browsers -------------------------------------------------------

CHROME_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
FIREFOX_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SELECT_QUERY = "SELECT ?c ?label WHERE { ?c a kz:Claim ; rdfs:label ?label }"


class Page(HTMLParser):
    """The parts of the results page a test reads: table cells by row, links by id / class, the boolean."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.links: dict[str, str] = {}
        self.downloads: dict[str, str] = {}
        self.boolean: str | None = None
        self._cell: list[str] | None = None
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._in = [], tag
        elif tag == "a" and attributes.get("id"):
            self.links[attributes["id"] or ""] = attributes.get("href") or ""
        elif tag == "a" and attributes.get("class") == "download":
            self.downloads[attributes.get("data-format") or ""] = attributes.get("href") or ""
        elif tag == "strong" and attributes.get("id") == "boolean":
            self._in, self._cell = "boolean", []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._cell is None:
            return
        text = "".join(self._cell).strip()
        if tag == "th" and self._in == "th":
            self.header.append(text)
        elif tag == "td" and self._in == "td":
            self.rows[-1].append(text)
        elif tag == "strong" and self._in == "boolean":
            self.boolean = text
        else:
            return
        self._cell = self._in = None


def _page(server: LiveServer, query: str, accept: str = CHROME_ACCEPT) -> tuple[requests.Response, Page]:
    response = _get(server, query, Accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/html"), response.headers["Content-Type"]
    return response, Page(response.text)


@pytest.mark.parametrize("accept", [CHROME_ACCEPT, FIREFOX_ACCEPT, "text/html"])
def test_a_browser_gets_a_results_table_with_editor_and_download_links(server: LiveServer, accept: str) -> None:
    _, page = _page(server, SELECT_QUERY, accept)
    assert page.header == ["?c", "?label"]
    body = [row for row in page.rows if row]
    assert body == [["kzid:claim/001-1", "Protesters seized Almaty airport @en"]]
    editor = urlsplit(page.links["open-in-editor"])
    assert editor.path == "/" and editor.fragment.startswith("query=")
    assert unquote(editor.fragment[len("query=") :]) == SELECT_QUERY
    assert set(page.downloads) == {"json", "xml", "csv", "tsv"}
    for name, href in page.downloads.items():
        assert parse_qs(urlsplit(href).query) == {"query": [SELECT_QUERY], "format": [name]}
        download = requests.get(server.url + href, headers={"Accept": accept}, timeout=60)
        assert download.status_code == 200 and not download.headers["Content-Type"].startswith("text/html")
    assert "Protesters seized Almaty airport" in requests.get(server.url + page.downloads["csv"], timeout=60).text


def test_ask_and_construct_pages(server: LiveServer) -> None:
    _, page = _page(server, "ASK { ?c a kz:Claim }")
    assert page.boolean == "true"
    assert set(page.downloads) == {"json", "xml", "csv", "tsv"}
    _, page = _page(server, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert page.header == ["subject", "predicate", "object"]
    triples = sorted(tuple(row) for row in page.rows if row)
    assert triples == [
        ("kzid:claim/001-1", "rdf:type", "kz:Claim"),
        ("kzid:claim/001-1", "rdfs:label", "Protesters seized Almaty airport @en"),
    ]
    assert set(page.downloads) == {"ttl", "nt", "jsonld", "rdfxml", "trig", "nq"}
    for name, href in page.downloads.items():
        download = requests.get(server.url + href, timeout=60)
        assert download.status_code == 200, (name, download.text)


class _TableLinks(HTMLParser):
    """(href, title) of every link inside the results table."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._depth = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id") == "results":
            self._depth = 1
        elif tag == "a" and self._depth:
            self.links.append((attributes.get("href") or "", attributes.get("title") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth = 0


def test_our_iris_link_to_this_server_and_others_to_themselves(server: LiveServer) -> None:
    response, _ = _page(server, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    links = set(_TableLinks(response.text).links)
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    rdfs_label = "http://www.w3.org/2000/01/rdf-schema#label"
    assert links == {
        ("/id/claim/001-1", f"{ID}claim/001-1"),  # a resource: its page here, the IRI in the title
        ("/ontology#Claim", f"{KZ}Claim"),  # a kz: term: its entry on this server's /ontology
        (rdf_type, rdf_type),  # not ours: the IRI itself
        (rdfs_label, rdfs_label),
    }
    assert not [href for href, _ in links if href.startswith("https://w3id.org/kzkg/")]
    resource = requests.get(server.url + "/id/claim/001-1", headers={"Accept": CHROME_ACCEPT}, timeout=60)
    assert resource.status_code == 200 and "Protesters seized Almaty airport" in resource.text
    _, select = _page(server, SELECT_QUERY)
    select_links = _TableLinks(_get(server, SELECT_QUERY, Accept=CHROME_ACCEPT).text).links
    assert select_links == [("/id/claim/001-1", f"{ID}claim/001-1")] and select.rows


@pytest.mark.parametrize(
    "accept",
    [
        "*/*",  # curl
        "application/sparql-results+json,application/json;q=0.9,*/*;q=0.1",
        "application/sparql-results+xml, text/html;q=0.5",
        "text/html, application/sparql-results+json",  # equal: not preferred
    ],
)
def test_clients_that_do_not_prefer_html_get_sparql(server: LiveServer, accept: str) -> None:
    response = _get(server, SELECT_QUERY, Accept=accept)
    assert response.status_code == 200
    assert not response.headers["Content-Type"].startswith("text/html")


def test_curl_and_sparqlwrapper_never_get_html(server: LiveServer) -> None:
    from SPARQLWrapper import JSON, XML

    for return_format in (JSON, XML):
        wrapper = SPARQLWrapper(server.url + "/sparql")
        wrapper.setQuery(SELECT_QUERY)
        wrapper.setReturnFormat(return_format)
        result = wrapper.query()
        assert not result.info()["content-type"].startswith("text/html")
    curl = subprocess.run(
        [
            "curl",
            "-s",
            "-G",
            "-w",
            "\n%{content_type}",
            server.url + "/sparql",
            "--data-urlencode",
            f"query={SELECT_QUERY}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert curl.returncode == 0 and not curl.stdout.splitlines()[-1].startswith("text/html")


def test_format_wins_over_a_browsers_accept(server: LiveServer) -> None:
    response = requests.get(
        server.url + "/sparql",
        params={"query": SELECT_QUERY, "format": "json"},
        headers={"Accept": CHROME_ACCEPT},
        timeout=60,
    )
    assert response.headers["Content-Type"] == "application/sparql-results+json"


def test_results_page_is_cached_and_respects_max_results(small_build: Path) -> None:
    # one worker: the answer cache is per worker, and each request here opens its own connection
    live = LiveServer(small_build, ["--workers", "1"], env={"KZKG_MAX_RESULTS": "1"})
    try:
        first, _ = _page(live, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
        assert first.headers.get("ETag") and "public" in first.headers["Cache-Control"]
        again = requests.get(
            live.url + "/sparql",
            params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"},
            headers={"Accept": CHROME_ACCEPT, "If-None-Match": first.headers["ETag"]},
            timeout=60,
        )
        assert again.status_code == 304
        hit = requests.get(
            live.url + "/sparql",
            params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"},
            headers={"Accept": CHROME_ACCEPT},
            timeout=60,
        )
        assert hit.status_code == 200 and hit.content == first.content and "cache" in hit.headers["Server-Timing"]
        json_answer = requests.get(
            live.url + "/sparql",
            params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        assert json_answer.headers["ETag"] != first.headers["ETag"]
        for query in ("SELECT ?s WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"):
            too_many = _get(live, query, Accept=CHROME_ACCEPT)
            assert too_many.status_code == 400 and "result too large" in too_many.text, too_many.text
    finally:
        live.stop()


# --- in a real browser (chromium, as tests/test_browser.py) ---------------------------------


def test_the_editor_shows_the_endpoints_prefix_message(browser, server: LiveServer) -> None:  # noqa: F811
    from urllib.parse import quote

    from test_browser import open_fresh, require_editor, wait_for

    require_editor()
    query = "SELECT * WHERE { ?s foo:bar ?o }"
    open_fresh(browser, server.url + "/#query=" + quote(query, safe=""))
    shown = wait_for(
        browser,
        lambda d: d.execute_script(
            "const el = document.querySelector('.tabPanel.active .yasr .errorResult');"
            "return el && el.innerText.includes('not declared') ? el.innerText : null"
        ),
    )
    assert "prefix `foo:` is not declared; declared prefixes are kz, kzid" in shown


def test_a_query_link_opened_in_the_browser_shows_the_table_and_opens_the_editor(browser, server: LiveServer) -> None:  # noqa: F811
    from urllib.parse import urlencode

    from selenium.webdriver.common.by import By
    from test_browser import require_editor, wait_for

    require_editor()
    browser.get(server.url + "/sparql?" + urlencode({"query": SELECT_QUERY}))
    cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#results tbody td")]
    assert cells == ["kzid:claim/001-1", "Protesters seized Almaty airport @en"]
    formats = [a.get_attribute("data-format") for a in browser.find_elements(By.CSS_SELECTOR, "a.download")]
    assert formats == ["json", "xml", "csv", "tsv"]
    browser.find_element(By.ID, "open-in-editor").click()
    wait_for(
        browser,
        lambda d: d.execute_script("return !!(window.kzkgYasgui && window.kzkgYasgui.getTab().getYasr().results)"),
    )
    assert browser.execute_script("return window.kzkgYasgui.getTab().getQuery()") == SELECT_QUERY
