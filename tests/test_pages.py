"""Linked-data pages and the query page, on the real corpus build.

Expectations come from the curated YAML (who claimed what) or from the release's own store (how
many annotations an article has), never from the page code under test. RDF responses are parsed
back with rdflib and checked as triples.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from markupsafe import escape
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from kzkg.examples import load_examples
from kzkg.namespaces import ID, KZ, OA, PREFIXES, article_graph
from kzkg.store import publish_nquads
from kzkg_server import articles, create_app, pages

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
RDF_ACCEPTS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


# ---------------------------------------------------------------------------------------------
# the corpus as curated


def _load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def claims() -> dict[str, dict]:
    """Every curated claim by id, with the article whose file defines it."""
    found: dict[str, dict] = {}
    for path in sorted((DATA / "annotations").glob("*.yaml")):
        doc = _load_yaml(path) or {}
        for claim in doc.get("claims") or []:
            found[claim["id"]] = {**claim, "article": str(doc.get("article", path.stem))}
    assert found, "no curated claims found"
    return found


@pytest.fixture(scope="module")
def entities() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for folder in ("entities", "events"):
        for path in sorted((DATA / folder).glob("*.yaml")):
            for entry in _load_yaml(path) or []:
                found[entry["id"]] = entry
    return found


@pytest.fixture(scope="module")
def contradicting_claim(claims: dict[str, dict]) -> dict:
    """A claim of article 001 with a claimant and a contradiction (the Health Ministry's toll)."""
    preferred = claims.get("001-health-ministry-164-dead")
    if preferred and preferred.get("claimed_by") and preferred.get("contradicts"):
        return preferred
    return next(c for c in claims.values() if c.get("claimed_by") and c.get("contradicts"))


def count_annotations(store: ox.Store, article_iri: str) -> int:
    query = f"""SELECT (COUNT(DISTINCT ?ann) AS ?n) WHERE {{
        ?ann oa:hasTarget ?target . ?target oa:hasSource <{article_iri}> }}"""
    row = next(iter(store.query(query, prefixes=PREFIXES)))
    return int(row["n"].value)


def claim_iri(claim_id: str) -> URIRef:
    return URIRef(f"{ID}claim/{claim_id}")


def entity_iri(entity_id: str, entities: dict[str, dict]) -> URIRef:
    """Events live under id/event/, everything else under id/ (data/README.md)."""
    entry = entities.get(entity_id, {})
    is_event = "participants" in entry or "places" in entry or "start" in entry
    return URIRef(f"{ID}event/{entity_id}" if is_event else f"{ID}{entity_id}")


# ---------------------------------------------------------------------------------------------
# RDF by content negotiation


@pytest.mark.parametrize("accept,rdflib_format", sorted(RDF_ACCEPTS.items()))
def test_claim_as_rdf_has_its_claimant(client, contradicting_claim, accept, rdflib_format):
    claim = contradicting_claim
    response = client.get(f"/id/claim/{claim['id']}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    assert "Accept" in response.headers.get("Vary", "")
    graph = Graph().parse(data=response.data, format=rdflib_format)
    subject = claim_iri(claim["id"])
    for claimant in claim["claimed_by"]:
        assert (subject, KZ.claimedBy, URIRef(f"{ID}{claimant}")) in graph
    for other in claim["contradicts"]:
        assert (subject, KZ.contradicts, claim_iri(other)) in graph or (
            claim_iri(other),
            KZ.contradicts,
            subject,
        ) in graph
    assert (subject, RDFS.label, None) in graph


@pytest.mark.parametrize(
    "name,rdflib_format", [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdfxml", "xml")]
)
def test_format_parameter_wins_over_accept(client, contradicting_claim, name, rdflib_format):
    response = client.get(f"/id/claim/{contradicting_claim['id']}?format={name}", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format=rdflib_format)
    assert (
        claim_iri(contradicting_claim["id"]),
        KZ.reportedIn,
        URIRef(f"{ID}article/{contradicting_claim['article']}"),
    ) in graph


def test_claim_evidence_arrives_whole_in_rdf(client, contradicting_claim):
    """The claim's annotation, its target and both selectors come with it (blank nodes followed)."""
    graph = Graph().parse(data=client.get(f"/id/claim/{contradicting_claim['id']}?format=ttl").data, format="turtle")
    exacts = {str(o) for o in graph.objects(None, OA.exact)}
    assert any(" ".join(contradicting_claim["quote"].split()) == " ".join(e.split()) for e in exacts)
    assert list(graph.objects(None, OA.start)) and list(graph.objects(None, OA.end))


def test_dataset_formats_keep_the_article_graph(client, contradicting_claim):
    response = client.get(f"/id/claim/{contradicting_claim['id']}", headers={"Accept": "application/n-quads"})
    assert response.status_code == 200
    dataset = Dataset()
    dataset.parse(data=response.data, format="nquads")
    graph = dataset.graph(article_graph(contradicting_claim["article"]))
    assert (
        claim_iri(contradicting_claim["id"]),
        KZ.claimedBy,
        URIRef(f"{ID}{contradicting_claim['claimed_by'][0]}"),
    ) in graph


def test_actor_as_rdf_has_labels_aliases_and_links(client, entities):
    tokayev = entities["tokayev"]
    graph = Graph().parse(data=client.get("/id/tokayev", headers={"Accept": "text/turtle"}).data, format="turtle")
    subject = URIRef(f"{ID}tokayev")
    assert str(graph.value(subject, RDFS.label)) == tokayev["label"]
    aliases = {str(o) for o in graph.objects(subject, SKOS.altLabel)}
    assert set(tokayev["aliases"]) <= aliases
    assert (subject, SKOS.exactMatch, URIRef(f"http://www.wikidata.org/entity/{tokayev['links']['wikidata']}")) in graph
    # facts in: claims made by Tokayev point at him
    assert any(graph.subjects(KZ.claimedBy, subject))


# ---------------------------------------------------------------------------------------------
# HTML


def test_browser_gets_html_with_label_and_claim_links(client, contradicting_claim, entities, claims):
    actor = contradicting_claim["claimed_by"][0]
    response = client.get(f"/id/{actor}", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert str(escape(entities[actor]["label"])) in page
    by_actor = [cid for cid, c in claims.items() if actor in (c.get("claimed_by") or [])]
    assert by_actor
    for cid in by_actor:
        assert f'href="/id/claim/{cid}"' in page


def test_curl_default_is_html(client):
    response = client.get("/id/tokayev", headers={"Accept": "*/*"})
    assert response.status_code == 200 and response.mimetype == "text/html"


def test_actor_page_shows_aliases_and_external_links(client, entities):
    page = client.get("/id/tokayev").get_data(as_text=True)
    for alias in entities["tokayev"]["aliases"]:
        assert str(escape(alias)) in page
    assert f'href="http://www.wikidata.org/entity/{entities["tokayev"]["links"]["wikidata"]}"' in page
    assert f'href="http://dbpedia.org/resource/{entities["tokayev"]["links"]["dbpedia"]}"' in page


def test_claim_page_shows_claimant_status_quotes_and_contradictions(client, contradicting_claim, claims, entities):
    claim = contradicting_claim
    page = client.get(f"/id/claim/{claim['id']}").get_data(as_text=True)
    assert str(escape(claim["label"])) in page
    claimant_block = re.search(r'<dd class="claimant">(.*?)</dd>', page, re.S).group(1)
    for claimant in claim["claimed_by"]:
        assert f'href="/id/{claimant}"' in claimant_block
    contradicts_block = re.search(r'<dd class="contradicts">(.*?)</dd>', page, re.S).group(1)
    for other in claim["contradicts"]:
        assert f'href="/id/claim/{other}"' in contradicts_block
        # symmetric: the other claim's page links back
        back = client.get(f"/id/claim/{other}").get_data(as_text=True)
        assert f'href="/id/claim/{claim["id"]}"' in re.search(r'<dd class="contradicts">(.*?)</dd>', back, re.S).group(
            1
        )
    if claim.get("status"):
        assert re.search(rf'class="status status-{claim["status"].lower()}"', page)
    # the quote, and a link to its highlighted place in the article
    assert " ".join(claim["quote"].split()) in " ".join(html.unescape(page).split())
    in_context = re.findall(r'class="in-context" href="/id/article/([0-9]+)#([^"]+)"', page)
    assert (claim["article"], in_context[0][1]) in in_context
    article_page = client.get(f"/id/article/{claim['article']}").get_data(as_text=True)
    for article_id, anchor in in_context:
        if article_id == claim["article"]:
            assert f'id="{anchor}"' in article_page


class ArticleText(HTMLParser):
    """Collects the article-text div: its plain text, its highlight anchors and highlight runs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text: list[str] = []
        self.anchors: list[dict[str, str]] = []
        self.highlight_hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "div" and attributes.get("id") == "article-text":
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "div":
            self.depth += 1
        if tag == "span" and "data-annotation" in attributes:
            self.anchors.append(attributes)
        if tag == "a" and "hl" in (attributes.get("class") or "").split():
            self.highlight_hrefs.append(attributes["href"])

    def handle_endtag(self, tag):
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


@pytest.mark.parametrize("article_id", ["000", "001", "002", "003", "004"])
def test_article_page_highlights_every_annotation(client, store, article_id):
    iri = f"{ID}article/{article_id}"
    expected = count_annotations(store, iri)
    assert expected > 0
    response = client.get(f"/id/article/{article_id}")
    assert response.status_code == 200
    parser = ArticleText()
    parser.feed(response.get_data(as_text=True))
    # one anchor per annotation, each with a unique id
    assert len(parser.anchors) == expected
    assert len({a["id"] for a in parser.anchors}) == expected
    assert len({a["data-annotation"] for a in parser.anchors}) == expected
    # the text is shown whole and unaltered (escaped for HTML, unescaped by the parser)
    article_file = next((DATA / "articles").glob(f"{article_id}_*.txt"))
    assert "".join(parser.text) == article_file.read_bytes().decode("utf-8")
    # every highlight links somewhere: its claim (or the event / role statement it proves)
    assert parser.highlight_hrefs and all(h.startswith(("/id/", "#")) for h in parser.highlight_hrefs)
    assert any(h.startswith("/id/claim/") for h in parser.highlight_hrefs)


def test_article_highlights_sit_on_their_quotes(client, store):
    """Each anchor's data-annotation has an oa:exact that the text shows at that anchor."""
    page = client.get("/id/article/001").get_data(as_text=True)
    text = next((DATA / "articles").glob("001_*.txt")).read_bytes().decode("utf-8")
    query = f"""SELECT ?ann ?exact ?start WHERE {{ ?ann oa:hasTarget ?t . ?t oa:hasSource <{ID}article/001> ;
        oa:hasSelector ?q , ?p . ?q oa:exact ?exact . ?p oa:start ?start }}"""
    rows = store.query(query, prefixes=PREFIXES)
    checked = 0
    for row in rows:
        start = int(row["start"].value)
        exact = row["exact"].value
        assert " ".join(text[start : start + len(exact) + 50].split()).startswith(" ".join(exact.split()))
        anchor = re.search(rf'<span class="anchor" id="([^"]+)" data-annotation="{re.escape(row["ann"].value)}"', page)
        assert anchor, row["ann"].value
        checked += 1
    assert checked == count_annotations(store, f"{ID}article/001")


def test_event_page_lists_claims_about_it(client, claims, entities):
    about_event = [
        c for c in claims.values() if any(a in entities and "participants" in entities[a] for a in c.get("about") or [])
    ]
    assert about_event
    claim = about_event[0]
    event = next(a for a in claim["about"] if a in entities and "participants" in entities[a])
    page = client.get(f"/id/event/{event}").get_data(as_text=True)
    assert str(escape(entities[event]["label"])) in page
    assert f'href="/id/claim/{claim["id"]}"' in page


# ---------------------------------------------------------------------------------------------
# errors and caching


@pytest.mark.parametrize(
    "path", ["/id/no-such-thing-anywhere", "/id/claim/000-no-such-claim", "/id/article/999", "/id/event/no-such-event"]
)
def test_unknown_iri_is_404(client, path):
    assert client.get(path).status_code == 404
    assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404


@pytest.mark.parametrize(
    "headers,query",
    [
        ({"Accept": "application/pdf"}, ""),
        ({"Accept": "application/sparql-results+json"}, ""),
        ({}, "?format=pdf"),
        ({}, "?format=csv"),
    ],
)
def test_unproducible_type_is_406(client, headers, query):
    response = client.get("/id/tokayev" + query, headers=headers)
    assert response.status_code == 406


def test_etag_is_the_build_and_revalidates(client, release):
    first = client.get("/id/tokayev", headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"].strip('"')
    assert etag.startswith(release.build_id)
    again = client.get("/id/tokayev", headers={"Accept": "text/turtle", "If-None-Match": f'"{etag}"'})
    assert again.status_code == 304
    html_tag = client.get("/id/tokayev").headers["ETag"]
    assert html_tag != first.headers["ETag"]  # one ETag per representation


def test_resource_base_is_configurable(build_dir):
    """Another RESOURCE_BASE resolves nothing of ours: the IRI is built from it."""
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "RESOURCE_BASE": "https://example.org/other/"})
    assert app.test_client().get("/id/tokayev").status_code == 404


# ---------------------------------------------------------------------------------------------
# escaping and overlapping quotes, on a tiny release with hostile text


def test_overlapping_quotes_and_markup_in_text_are_escaped(tmp_path):
    text = 'Tom & Jerry said "<script>alert(1)</script>" twice; the <b>end</b>.'
    article = f"{ID}article/900"
    claim_a, claim_b = f"{ID}claim/900-a", f"{ID}claim/900-b"

    def annotation(name: str, quote: str, claim: str) -> str:
        start = text.index(quote)
        ann = f"{ID}annotation/{name}"
        return "\n".join(
            [
                f"<{claim}> <{KZ.evidence}> <{ann}> .",
                f"<{ann}> <{OA.hasTarget}> _:t{name} .",
                f"_:t{name} <{OA.hasSource}> <{article}> .",
                f"_:t{name} <{OA.hasSelector}> _:q{name} .",
                f"_:t{name} <{OA.hasSelector}> _:p{name} .",
                f'_:q{name} <{OA.exact}> "{quote.replace(chr(34), chr(92) + chr(34))}" .',
                f'_:p{name} <{OA.start}> "{start}"^^<http://www.w3.org/2001/XMLSchema#integer> .',
                f'_:p{name} <{OA.end}> "{start + len(quote)}"^^<http://www.w3.org/2001/XMLSchema#integer> .',
            ]
        )

    escaped_text = text.replace("\\", "\\\\").replace('"', '\\"')
    nquads = (
        "\n".join(
            [
                f'<{article}> <{KZ.text}> "{escaped_text}" .',
                f'<{article}> <http://purl.org/dc/terms/title> "A <i>hostile</i> & odd title" .',
                f'<{claim_a}> <{RDFS.label}> "Claim <A>" .',
                f'<{claim_b}> <{RDFS.label}> "Claim B" .',
                annotation("900-1", 'Jerry said "<script>alert(1)</script>"', claim_a),
                annotation("900-2", '"<script>alert(1)</script>" twice', claim_b),
            ]
        )
        + "\n"
    )
    publish_nquads(tmp_path, nquads.encode("utf-8"))
    client = create_app({"TESTING": True, "BUILD_DIR": str(tmp_path)}).test_client()
    page = client.get("/id/article/900").get_data(as_text=True)
    assert "<script>" not in page and "<i>hostile</i>" not in page and "<b>end</b>" not in page
    assert "&lt;script&gt;" in page
    parser = ArticleText()
    parser.feed(page)
    assert "".join(parser.text) == text
    assert [a["id"] for a in parser.anchors] == ["900-1", "900-2"]
    # the overlap is a run covered by both quotes, drawn darker and linked to the shorter quote's claim
    overlap = re.search(
        r'<a class="hl depth-2 q\d q\d" href="([^"]+)"[^>]*>'
        r"&#34;&lt;script&gt;alert\(1\)&lt;/script&gt;&#34;</a>",
        page,
    )
    assert overlap, page
    assert overlap.group(1) == "/id/claim/900-b"


def test_segmenting_is_lossless_with_nested_and_shared_boundaries():
    text = "abcdefghij"
    spans = [
        articles.Highlight(0, "a", "iri:a", "", 0, 10, []),
        articles.Highlight(1, "b", "iri:b", "", 2, 5, []),
        articles.Highlight(2, "c", "iri:c", "", 2, 8, []),
        articles.Highlight(3, "d", "iri:d", "", 10, 10, []),
    ]
    segments = articles.segment_text(text, spans)
    assert "".join(s.text for s in segments) == text
    assert [[h.anchor for h in s.covering] for s in segments] == [["a"], ["b", "c", "a"], ["c", "a"], ["a"], []]
    assert sorted(h.anchor for s in segments for h in s.anchors) == ["a", "b", "c", "d"]


def test_place_quote_repairs_disagreeing_offsets():
    text = "one two\nthree four"
    assert articles.place_quote(text, "two three", 4, 13) == (4, 13)
    assert articles.place_quote(text, "two three", 0, 5) == (4, 13)
    assert articles.place_quote(text, "missing", 0, 3) is None


# ---------------------------------------------------------------------------------------------
# the query page


def test_query_page_lists_examples_and_links(client):
    page = client.get("/").get_data(as_text=True)
    examples = load_examples()
    assert examples
    for example in examples:
        assert str(escape(example.title)) in page
        assert f'data-example="{example.slug}"' in page
    assert 'href="/dumps"' in page and 'href="/.well-known/void"' in page
    assert re.search(r'<form method="post" action="/sparql"', page)


def test_query_page_loads_nothing_from_elsewhere(client):
    page = client.get("/").get_data(as_text=True)
    sources = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(s.startswith(("/", "data:", "?")) for s in sources), sources
    if pages.yasgui_installed():
        for name in (pages.YASGUI_JS, pages.YASGUI_CSS):
            assert f"/static/{name}" in page
            assert client.get(f"/static/{name}").status_code == 200
        css = (pages.STATIC_DIR / pages.YASGUI_CSS).read_text(encoding="utf-8")
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css)


def test_example_parameter_prefills_the_plain_form(client):
    example = load_examples()[-1]
    page = client.get(f"/?example={example.slug}").get_data(as_text=True)
    textarea = re.search(r'<textarea name="query"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert html.unescape(textarea) == example.sparql


def test_query_page_degrades_without_node_modules(client, monkeypatch, tmp_path):
    monkeypatch.setattr(pages, "STATIC_DIR", tmp_path)
    page = client.get("/").get_data(as_text=True)
    assert "npm ci --prefix server/static" in page
    assert "yasgui.min.js" not in page
    assert re.search(r'<form method="post" action="/sparql"', page)


def test_resource_links_in_html_are_local(client, contradicting_claim):
    page = client.get(f"/id/claim/{contradicting_claim['id']}").get_data(as_text=True)
    assert 'href="https://w3id.org/kzkg/id/' not in page


def test_before_the_first_build_pages_say_so(tmp_path):
    client = create_app({"TESTING": True, "BUILD_DIR": str(tmp_path)}).test_client()
    assert client.get("/").status_code == 200
    for path in ("/id/tokayev", "/dumps"):
        response = client.get(path)
        assert response.status_code == 503
        assert "kzkg build" in response.get_data(as_text=True)


def test_plain_form_runs_its_query_on_the_endpoint(client, store):
    """The no-JavaScript form, submitted as a browser would, gets the example's rows from /sparql."""
    example = load_examples()[0]
    page = client.get(f"/?example={example.slug}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)" class="plain">(.*?)</form>', page, re.S)
    action, body = form.group(1), form.group(2)
    query = html.unescape(re.search(r'<textarea name="query"[^>]*>(.*?)</textarea>', body, re.S).group(1))
    formats = re.findall(r'<option value="([^"]+)"', body)
    assert "csv" in formats
    response = client.post(action, data={"query": query, "format": "csv"}, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    solutions = store.query(query, prefixes=PREFIXES)
    assert lines[0].split(",") == [v.value for v in solutions.variables]
    assert len(lines) - 1 >= len(list(solutions)) > 0


def test_head_requests_answer_without_a_body(client):
    response = client.head("/id/tokayev", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.data == b""


def test_plain_json_gets_json_ld(client):
    response = client.get("/id/tokayev", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert (URIRef(f"{ID}tokayev"), RDFS.label, None) in Graph().parse(data=response.data, format="json-ld")


def test_article_rdf_links_its_annotations(client, store):
    """The article's description brings each annotation that points into it (via its #target)."""
    graph = Graph().parse(data=client.get("/id/article/001?format=ttl").data, format="turtle")
    annotations = set(graph.subjects(OA.hasTarget, None))
    assert len(annotations) == count_annotations(store, f"{ID}article/001")


def test_linked_place_page_shows_names_in_kazakh_and_russian_and_a_map(client) -> None:
    """The enrichment graph (kzkg enrich) reaches the page: names per language, coordinates, map."""
    from html.parser import HTMLParser

    page = client.get("/id/zhanaozen", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.lang: str | None = None
            self.names: dict[str, str] = {}
            self.in_name = False
            self.points: list[dict[str, str]] = []

        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if tag == "tr" and "lang" in attributes:
                self.lang = attributes["lang"]
            self.in_name = tag == "td" and attributes.get("class") == "name"
            if tag == "span" and attributes.get("class") == "coordinate":
                self.points.append(attributes)
            if tag == "circle" and attributes.get("class") == "this-place":
                self.points.append({"circle": "here"})

        def handle_data(self, data):
            if self.in_name and self.lang and data.strip():
                self.names[self.lang] = data.strip()

    cells = Cells()
    cells.feed(html)
    assert cells.names == {"en": "Zhanaozen", "ru": "Жанаозен", "kk": "Жаңаөзен"}
    assert {"data-lat": "43.34116", "data-lon": "52.86192", "class": "coordinate"} in cells.points
    assert {"circle": "here"} in cells.points
    # an unlinked entity has no such section
    assert "Elsewhere" not in client.get("/id/peter-leonard", headers={"Accept": "text/html"}).get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# claims as data (issue #12): what a claim asserts, what the sources say, the disagreements


class _Sections(HTMLParser):
    """The text of each <section> by class, and each <tr> of it with its classes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.rows: dict[str, list[tuple[set[str], dict[str, str], str]]] = {}
        self._section: str | None = None
        self._row: tuple[set[str], dict[str, str], list[str]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "section":
            self._section, self._text = found.get("class", "").split()[0], []
        elif tag == "tr" and self._section:
            self._row = (set(found.get("class", "").split()), found, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._section:
            self.sections[self._section] = self.sections.get(self._section, "") + " ".join(" ".join(self._text).split())
            self._section = None
        elif tag == "tr" and self._row and self._section:
            classes, attrs, text = self._row
            if "data-claim" in attrs:  # a row of a claim, not a header
                self.rows.setdefault(self._section, []).append((classes, attrs, " ".join(" ".join(text).split())))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._section:
            self._text.append(data)
        if self._row:
            self._row[2].append(data)


def _sections(client, path: str) -> _Sections:
    response = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200, response.data[:300]
    parsed = _Sections()
    parsed.feed(response.data.decode("utf-8"))
    return parsed


def _asserting(claims: dict[str, dict], subject: str, prop: str) -> dict[str, dict]:
    return {
        cid: c
        for cid, c in claims.items()
        if any(s.get("subject") == subject and s.get("property") == prop for s in c.get("asserts") or [])
    }


def test_claim_page_shows_what_it_asserts_readably(client, claims: dict[str, dict], entities: dict[str, dict]) -> None:
    cid = next(iter(sorted(cid for cid, c in _asserting(claims, "csto-request", "startDate").items())))
    page = _sections(client, f"/id/claim/{cid}")
    text = page.sections["claim-assertions"]
    label = entities["csto-request"]["label"]
    assert f"{label} — start date — 5 January 2022" in text  # "the CSTO request — start date — 5 January 2022"
    assert "Kind: factual" in text


def test_opinion_claim_page_says_it_asserts_nothing_checkable(client, claims: dict[str, dict]) -> None:
    cid = next(cid for cid, c in sorted(claims.items()) if c.get("kind") == "opinion")
    text = _sections(client, f"/id/claim/{cid}").sections["claim-assertions"]
    assert "Kind: opinion" in text and "No checkable statement" in text


def test_event_page_what_the_sources_say(client, claims: dict[str, dict]) -> None:
    page = _sections(client, "/id/event/csto-request")
    rows = page.rows["sources-say"]
    dated = {
        attrs["data-claim"].rsplit("/", 1)[-1]
        for classes, attrs, text in rows
        if attrs["data-property"].endswith("#startDate") and "5 January 2022" in text
    }
    assert dated == set(_asserting(claims, "csto-request", "startDate"))
    worded = [text for classes, attrs, text in rows if attrs["data-property"].endswith("#dateText")]
    assert any("night of 6 January" in text for text in worded)
    # each value beside its claimants, articles and quotes
    for _classes, attrs, text in rows:
        claim = claims[attrs["data-claim"].rsplit("/", 1)[-1]]
        assert any(q[:30] in html.unescape(text) for q in ([claim["quote"]] if "quote" in claim else claim["quotes"]))
    # the curated event facts are not mixed with what claims assert
    facts = page.sections["facts-out"]
    assert "2022-01-05" not in facts


def test_person_page_marks_the_disputed_identity(client, claims: dict[str, dict]) -> None:
    rows = _sections(client, "/id/confession-man").rows["sources-say"]
    identities = [(classes, text) for classes, attrs, text in rows if attrs["data-property"].endswith("#identifiedAs")]
    assert any("Vikram Ruzakhunov" in text for _, text in identities)
    assert any("Zakir Uburov" in text for _, text in identities)
    assert all("disputed" in classes for classes, _ in identities)
    assert any("conflict" in classes for classes, _ in identities)


def test_disagreements_page_lists_both_sides(client, store) -> None:
    # the list is paged (?page=N, tests/test_pages_lists.py walks every page); all of them together
    expected = {row["d"].value for row in store.query("SELECT ?d WHERE { ?d a kz:Disagreement }", prefixes=PREFIXES)}
    listed: list[str] = []
    positions = 0
    for number in range(1, 20):
        response = client.get(f"/disagreements?page={number}", headers={"Accept": BROWSER_ACCEPT})
        if response.status_code == 400:
            break
        text = response.data.decode("utf-8")
        listed += re.findall(r'data-iri="([^"]+)"', text)
        positions += len(re.findall(r'<li class="position[^"]*"[^>]* data-claim=', text))
    assert expected and positions >= 2 * len(expected)
    assert sorted(listed) == sorted(expected)
    response = client.get("/disagreements?subject=almaty-airport-recapture", headers={"Accept": BROWSER_ACCEPT})
    text = response.data.decode("utf-8")
    start = text.index("disagreement/almaty-airport-recapture/agent")
    section = text[start : text.index("</section>", start)]
    assert "Kazakh paratroopers" in section and "Russian Spetsnaz" in section


def test_a_resource_links_to_the_disagreements_about_it(client) -> None:
    page = client.get("/id/event/almaty-airport-recapture", headers={"Accept": BROWSER_ACCEPT}).data.decode("utf-8")
    link = html.unescape(re.search(r'href="(/disagreements\?subject=[^"]+)">the disagreements about it', page).group(1))
    listed = client.get(link, headers={"Accept": BROWSER_ACCEPT}).data.decode("utf-8")
    assert "disagreement/almaty-airport-recapture/agent" in listed
    assert "Kazakh paratroopers" in listed and "Russian Spetsnaz" in listed


@pytest.mark.parametrize(
    ("claim", "local", "denied"),
    [
        ("000-passenger-not-told-not-evacuated", "passenger-evacuation", True),
        ("001-confession-man-apartment-with-tajik-uzbek-citizens", "apartment-stay", False),
    ],
)
def test_asserted_event_iri_resolves_from_its_claims_assertion_graph(live_server, claims, claim, local, denied) -> None:
    """Every /id/ IRI resolves (README), an asserted event's too: over real HTTP, its page and RDF
    come from the claim's assertion graph and say whose assertion (or denial) it is, never a fact."""
    import requests

    iri = f"{ID}asserted-event/{claim}-{local}"
    url = f"{live_server.url}/id/asserted-event/{claim}-{local}"
    event = next(
        item["event"]
        for item in claims[claim]["asserts"]
        if isinstance(item, dict) and item.get("event", {}).get("id") == local
    )
    page = requests.get(url, headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200, page.text[:300]
    text = html.unescape(re.sub(r"<[^>]+>", "", page.text))
    assert f"{'Denied' if denied else 'Asserted'} by claim" in text and "(not a curated fact)" in text
    assert event["label"] in text
    assert f'href="/id/claim/{claim}"' in page.text and f'href="/id/assertion/{claim}"' in page.text
    graph = URIRef(f"{ID}assertion/{claim}")
    for fmt in ("ttl", "jsonld"):
        response = requests.get(url, params={"format": fmt}, timeout=30)
        assert response.status_code == 200, response.text[:300]
        parsed = Graph().parse(data=response.text, format={"ttl": "turtle", "jsonld": "json-ld"}[fmt])
        assert (URIRef(iri), RDFS.label, None) in parsed
        event_type = KZ[
            {"Other": "OtherEvent"}.get(event["type"], event["type"])
        ]  # as kzkg/assertion_graphs.py names it
        assert (URIRef(iri), KZ.eventType, event_type) in parsed
        assert (URIRef(f"{ID}claim/{claim}"), KZ.asserts, graph) in parsed  # whose assertion these triples are
        assert ((URIRef(f"{ID}claim/{claim}"), KZ.polarity, KZ.Negative) in parsed) == denied
    quads = requests.get(url, params={"format": "nq"}, timeout=30)
    dataset = Dataset().parse(data=quads.text, format="nquads")
    assert {str(g) for _, _, _, g in dataset.quads((URIRef(iri), None, None, None))} == {str(graph)}
    # an IRI under asserted-event/ that no claim asserts stays a 404
    missing = requests.get(f"{live_server.url}/id/asserted-event/{claim}-no-such-event", timeout=30)
    assert missing.status_code == 404 and "says nothing about" in missing.text
