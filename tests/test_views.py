"""The views (server/views.py), the search index (kzkg/search.py), gzip (server/compress.py) and the
gzipped dumps, on the real corpus through the Flask client.

What a view draws is read back from its HTML: each mark carries its data in ``data-*`` attributes,
and the expected values come from SPARQL on the release's store, not from constants.
"""

from __future__ import annotations

import gzip
import re
import shutil
import sqlite3
from html.parser import HTMLParser

import pytest
import rdflib

from kzkg import search
from kzkg.namespaces import ONTOLOGY_GRAPH, PREFIXES

ID = "https://w3id.org/kzkg/id/"
KZ = "https://w3id.org/kzkg/ontology#"


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, in document order (enough to read what a view drew)."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str | None = None, **wanted: str) -> list[dict[str, str]]:
        """Elements with these attribute values (``class_`` for class: one of its words)."""
        found = []
        for name, attrs in self.elements:
            if tag and name != tag:
                continue
            ok = True
            for keyword, value in wanted.items():
                attribute = keyword.rstrip("_").replace("_", "-")
                if attribute == "class":
                    ok = ok and value in attrs.get("class", "").split()
                else:
                    ok = ok and attrs.get(attribute) == value
            if ok:
                found.append(attrs)
        return found


def rows(store, sparql: str) -> list[dict[str, str]]:
    result = store.query(sparql, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def get_html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.data[:300])
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


# --- search index --------------------------------------------------------------------------------


def test_the_release_has_a_search_index_of_every_kind(release, store):
    index = release.path / search.INDEX_FILE
    assert index.is_file()
    expected = rows(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kz:Claim }")[0]["n"]
    results = search.search(index, "the", per_kind=1)
    assert results.totals["claim"] > 0
    with sqlite3.connect(index) as db:
        assert db.execute("SELECT count(*) FROM docs WHERE kind = 'claim'").fetchone()[0] == int(expected)


def test_search_finds_names_in_other_languages_and_quotes(release, store):
    index = release.path / search.INDEX_FILE
    # The Russian name comes from the enrichment graph, not from our labels.
    russian = rows(
        store,
        """SELECT ?name WHERE { kzid:almaty skos:exactMatch ?item .
        GRAPH kzgraph:enrichment { ?item rdfs:label ?name FILTER(LANG(?name) = "ru") } }""",
    )
    assert russian, "the enrichment graph names Almaty in Russian"
    hits = search.search(index, russian[0]["name"]).groups["place"]
    assert ID + "almaty" in [h.iri for h in hits]
    # A word only in a quote (the evidence), not in the claim's label, finds the claim.
    quote = rows(
        store,
        """SELECT ?c ?q ?l WHERE { BIND(kzclaim:001-health-ministry-164-dead AS ?c)
        ?c rdfs:label ?l ; kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?q }""",
    )[0]
    only_in_quote = [w for w in re.findall(r"[A-Za-z]{5,}", quote["q"]) if w.lower() not in quote["l"].lower()]
    assert only_in_quote
    found = search.search(index, " ".join(only_in_quote[:3]), per_kind=50).groups["claim"]
    assert quote["c"] in [h.iri for h in found]


def test_search_treats_operators_as_text_and_empty_as_nothing(release):
    index = release.path / search.INDEX_FILE
    for text in ('"', "NEAR(", "a*) OR (", "-", "^"):
        results = search.search(index, text)  # never an FTS5 syntax error
        assert isinstance(results.totals, dict)
    assert search.fts_query("  ,; ") is None
    assert search.fts_query("almaty air") == '"almaty" "air"*'
    assert sum(search.search(index, "").totals.values()) == 0


def test_search_page_groups_results_by_kind(client):
    page = get_html(client, "/search?q=airport")
    html = Elements(page)
    kinds = [a["data-kind"] for a in html.find("section", class_="search-group")]
    assert {"event", "claim", "place"} <= set(kinds)
    assert kinds == [k for k in search.DISPLAY_ORDER if k in kinds]  # who, what, where, then what was said
    assert html.find("li", data_iri=ID + "event/almaty-airport-seizure")
    assert "<mark>" in page
    as_json = client.get("/search?q=airport&format=json").get_json()
    assert ID + "almaty-airport" in [h["iri"] for h in as_json["groups"]["place"]["hits"]]
    assert as_json["groups"]["event"]["total"] >= 2


def test_search_box_is_on_every_page(client):
    for url in ("/", "/id/tokayev", "/dumps", "/timeline", "/ontology"):
        html = Elements(get_html(client, url))
        forms = html.find("form", class_="site-search")
        assert forms and forms[0]["action"] == "/search", url


def test_search_rejects_a_huge_query(client):
    assert client.get("/search?q=" + "a" * 201).status_code == 400


# --- timeline ------------------------------------------------------------------------------------


def test_timeline_shows_the_airport_events_on_5_january(client, store):
    html = Elements(get_html(client, "/timeline"))
    airport = rows(
        store,
        """SELECT ?e WHERE { ?e a kz:Event ; kz:startDate "2022-01-05"^^xsd:date ; rdfs:label ?l
        FILTER(CONTAINS(LCASE(?l), "airport")) }""",
    )
    assert len(airport) >= 2
    for row in airport:
        drawn = html.find("li", data_iri=row["e"])
        assert drawn and drawn[0]["data-start"] == "2022-01-05", row["e"]
    assert html.find("h2", id="day-2022-01-05")


def test_timeline_draws_ranges_with_the_texts_words(client, store):
    page = get_html(client, "/timeline")
    html = Elements(page)
    ranges = rows(
        store,
        """SELECT ?e ?s ?en ?t WHERE {
        ?e a kz:Event ; kz:startDate ?s ; kz:endDate ?en ; kz:dateText ?t FILTER(?en > ?s) }""",
    )
    assert ranges
    for row in ranges:
        drawn = html.find("li", data_iri=row["e"], class_="tl-range")
        assert drawn and drawn[0]["data-end"] == row["en"], row["e"]
    # the words of a vague date are shown as the text gives them
    assert "over January 6-11" in page or any(r["t"] in page for r in ranges)
    # a bar's width spans its days: a range is wider than a single day
    bars = re.findall(
        r'data-start="([^"]+)" data-end="([^"]+)">\s*<div class="tl-track"[^>]*><span class="tl-bar" '
        r'style="left: ([0-9.]+)%; width: ([0-9.]+)%"',
        page,
    )
    single = {float(w) for s, e, _, w in bars if s == e}
    assert len(single) == 1
    for s, e, _, width in bars:
        if s != e:
            assert float(width) > max(single)


def test_timeline_lists_undated_events_with_their_words_and_links_claims(client, store):
    page = get_html(client, "/timeline")
    undated = rows(
        store,
        """SELECT ?e ?t WHERE {
        ?e a kz:Event ; kz:dateText ?t FILTER NOT EXISTS { ?e kz:startDate ?s }
        FILTER(?t != "unknown") } LIMIT 5""",
    )
    assert undated
    for row in undated:
        assert f'data-iri="{row["e"]}"' in page
    assert "/network?about=event/almaty-airport-seizure" in page


def test_timeline_filters_by_place_and_dates(client, store):
    html = Elements(get_html(client, "/timeline?place=almaty&from=2022-01-05&to=2022-01-05"))
    drawn = [e["data-iri"] for e in html.find("li", class_="tl-event")]
    expected = {
        r["e"]
        for r in rows(
            store,
            """SELECT ?e WHERE { ?e a kz:Event ; kz:place kzid:almaty ;
        kz:startDate "2022-01-05"^^xsd:date }""",
        )
    }
    assert expected and set(drawn) == expected
    assert client.get("/timeline?from=5 January").status_code == 400
    assert client.get("/timeline?from=2022-01-09&to=2022-01-02").status_code == 400
    assert client.get("/timeline?place=../etc").status_code == 400


# --- figures -------------------------------------------------------------------------------------


def test_figures_mark_the_164_toll_retracted(client, store):
    html = Elements(get_html(client, "/figures?kind=Deaths"))
    retracted = html.find("a", class_="point", data_value="164")
    assert len(retracted) == 1
    assert "retracted" in retracted[0]["class"].split() and retracted[0]["data-status"] == "Retracted"
    assert retracted[0]["data-iri"] == ID + "claim/001-health-ministry-164-dead"
    # every death figure with a number is a point (dated by the claim or its first report)
    numbered = rows(store, "SELECT DISTINCT ?c WHERE { ?c a kz:Claim ; kz:quantityKind kz:Deaths ; kz:quantity ?q }")
    assert {p["data-iri"] for p in html.find("a", class_="point")} == {r["c"] for r in numbered}


def test_figures_show_qualifiers_and_colour_by_claimant(client):
    page = get_html(client, "/figures?kind=Deaths")
    # the qualifier stays with the number: on the dot (its tooltip) and in the table
    rt = re.search(
        r'data-iri="' + re.escape(ID) + r'claim/000-rt-ten-police-dead"[^>]*>\s*<title>([^<]*)</title>', page
    )
    assert rt and rt.group(1).startswith("at least 10 ")
    assert re.search(r'<tr data-iri="' + re.escape(ID) + r'claim/000-rt-ten-police-dead">.*?at least 10', page, re.S)
    labels = re.findall(r'class="value-label"[^>]*>([^<]*)<', page)
    assert "164 (retracted)" in labels and "227" in labels
    fills = set(re.findall(r'<circle cx="[0-9.]+" cy="[0-9.]+" r="7" fill="(#[0-9a-f]{6})"', page))
    assert len(fills) >= 4
    assert client.get("/figures?kind=Deaths&scale=log").status_code == 200
    assert client.get("/figures?kind=Nonsense").status_code == 400


# --- network -------------------------------------------------------------------------------------


def test_network_connects_the_164_toll_to_its_retraction(client, store):
    html = Elements(get_html(client, "/network?topic=deaths"))
    toll, retraction = ID + "claim/001-health-ministry-164-dead", ID + "claim/001-health-ministry-retraction"
    assert bool(store.query(f"ASK {{ <{toll}> kz:contradicts <{retraction}> }}", prefixes=PREFIXES))
    edges = {frozenset((e["data-from"], e["data-to"])) for e in html.find("path", class_="contradicts")}
    assert frozenset((toll, retraction)) in edges
    node = html.find("circle", data_iri=toll)
    assert node and node[0]["data-status"] == "Retracted"
    links = [
        attrs
        for attrs in html.find("a", class_="node-link")
        if attrs["href"] == "/id/claim/001-health-ministry-164-dead"
    ]
    assert links


def test_network_edges_match_the_graph(client, store):
    html = Elements(get_html(client, "/network"))
    drawn = {(e["data-from"], e["data-to"]) for e in html.find("path", class_="edge")}
    expected = {
        (r["a"], r["b"])
        for r in rows(
            store,
            """SELECT DISTINCT ?a ?b WHERE {
        ?a kz:contradicts|kz:corroborates|kz:conflictsWith ?b . ?a a kz:Claim . ?b a kz:Claim
        FILTER(STR(?a) < STR(?b)) }""",
        )
    }
    assert drawn == expected


def test_network_filters_by_article_and_subject(client, store):
    html = Elements(get_html(client, "/network?article=004&group=outlet"))
    inside = [n["data-iri"] for n in html.find("circle", class_="node") if "context" not in n["class"].split()]
    expected = {r["c"] for r in rows(store, "SELECT ?c WHERE { ?c a kz:Claim ; kz:reportedIn kzarticle:004 }")}
    assert inside and set(inside) == expected
    html = Elements(get_html(client, "/network?about=event/csto-request"))
    inside = {n["data-iri"] for n in html.find("circle", class_="node") if "context" not in n["class"].split()}
    assert inside == {r["c"] for r in rows(store, "SELECT ?c WHERE { ?c a kz:Claim ; kz:about kzevent:csto-request }")}
    for bad in ("/network?topic=x", "/network?article=1", "/network?group=colour"):
        assert client.get(bad).status_code == 400, bad


# --- map -----------------------------------------------------------------------------------------


def _bbox(d: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"-?[0-9.]+", d)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def test_map_draws_kazakhstan_and_places_almaty_inside(client, store):
    html = Elements(get_html(client, "/map"))
    countries = {c["data-country"]: c["d"] for c in html.find("path", class_="country")}
    assert {"Kazakhstan", "Russia", "China", "Kyrgyzstan", "Uzbekistan"} <= set(countries)
    page = client.get("/map").get_data(as_text=True)
    almaty = re.search(
        r'data-iri="' + re.escape(ID) + r'almaty" data-events="(\d+)"[^>]*>\s*<circle cx="([0-9.]+)" '
        r'cy="([0-9.]+)"',
        page,
    )
    assert almaty
    x0, y0, x1, y1 = _bbox(countries["Kazakhstan"])
    assert x0 < float(almaty.group(2)) < x1 and y0 < float(almaty.group(3)) < y1
    events = rows(store, "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e kz:place kzid:almaty }")[0]["n"]
    assert almaty.group(1) == events
    assert '<text class="country-label"' in page and ">Kazakhstan</text>" in page


def test_map_without_its_geometry_names_the_install_command(client, monkeypatch, tmp_path):
    from kzkg_server import geography

    monkeypatch.setattr(geography, "WORLD_ATLAS", tmp_path / "countries-50m.json")
    geography._countries.cache_clear()
    geography._layers.cache_clear()  # what is drawn from the outlines is cached too
    try:
        response = client.get("/map")
        assert response.status_code == 503
        assert b"npm ci --prefix server/static" in response.data
    finally:
        monkeypatch.undo()
        geography._countries.cache_clear()
        geography._layers.cache_clear()


# --- browse --------------------------------------------------------------------------------------


def test_browse_counts_match_the_graph(client, store):
    html = Elements(get_html(client, "/browse"))
    for kind, cls in (("actor", "Actor"), ("event", "Event"), ("place", "Place"), ("article", "Article")):
        section = html.find("details", data_kind=kind)
        total = rows(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a kz:{cls} }}")[0]["n"]
        assert section and section[0]["data-total"] == total, kind
    # the index shows the start of each list and links to the whole of it
    page = client.get("/browse").get_data(as_text=True)
    assert 'href="/browse?type=actor">all ' in page
    page = client.get("/browse?type=article").get_data(as_text=True)
    articles = """SELECT ?a (COUNT(DISTINCT ?c) AS ?n) WHERE {
        ?a a kz:Article OPTIONAL { ?c kz:reportedIn ?a } } GROUP BY ?a"""
    for row in rows(store, articles):
        assert re.search(rf'data-iri="{re.escape(row["a"])}">.*?<td class="num">{row["n"]}</td>', page, re.S), row
    actors = rows(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a kz:Actor }")[0]["n"]
    page = client.get("/browse?type=actor").get_data(as_text=True)
    assert page.count('<tr data-iri="') == int(actors)  # fewer than a page
    assert client.get("/browse?type=actor&page=2").get_data(as_text=True).count('<tr data-iri="') == 0
    assert client.get("/browse?page=x").status_code == 400
    tokayev = rows(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c kz:claimedBy kzid:tokayev }")[0]["n"]
    assert re.search(rf'data-iri="{ID}tokayev">.*?<td class="num">{tokayev}</td>', page, re.S)


# --- ontology ------------------------------------------------------------------------------------


def test_ontology_html_documents_each_term(client, store):
    page = get_html(client, "/ontology")
    html = Elements(page)
    terms = rows(
        store,
        f"""SELECT DISTINCT ?t WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?t a ?k
        VALUES ?k {{ owl:Class owl:ObjectProperty owl:DatatypeProperty }} FILTER(STRSTARTS(STR(?t), "{KZ}")) }} }}""",
    )
    assert len(terms) > 30
    for row in terms:
        assert html.find("section", id=row["t"][len(KZ) :]), row["t"]
    claimed_by = re.search(r'<section class="term" id="claimedBy".*?</section>', page, re.S).group(0)
    assert "domain" in claimed_by and 'href="/ontology#Claim"' in claimed_by
    assert "subproperty of" in claimed_by and "http://www.w3.org/ns/prov#wasAttributedTo" in claimed_by
    assert "Example:" in claimed_by and "/id/claim/" in claimed_by
    comment = rows(store, f"SELECT ?c WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ kz:Claim rdfs:comment ?c }} }}")[0]["c"]
    assert comment[:60].replace("'", "&#39;").replace('"', "&#34;") in page or comment[:30] in page


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld")])
def test_ontology_by_accept_is_the_ontology_graph(client, store, accept, fmt):
    response = client.get("/ontology", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    assert "Accept" in response.headers["Vary"]
    graph = rdflib.Graph().parse(data=response.data, format=fmt)
    expected = rows(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}")[0]["n"]
    assert len(graph) == int(expected)
    assert (rdflib.URIRef(KZ + "Claim"), rdflib.RDF.type, rdflib.OWL.Class) in graph
    assert client.get("/ontology", headers={"Accept": "image/png"}).status_code == 406


# --- gzip ----------------------------------------------------------------------------------------


def test_gzip_when_accepted_and_worth_it(client):
    plain = client.get("/ontology")
    packed = client.get("/ontology", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 3
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    # a different representation, a different validator; and the gzipped one revalidates
    assert packed.headers["ETag"] != plain.headers["ETag"] and packed.headers["ETag"].endswith('-gz"')
    again = client.get("/ontology", headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == packed.headers["ETag"]
    refused = client.get("/ontology", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_gzip_covers_cached_sparql_answers_and_skips_small_ones(client):
    query = "SELECT ?c WHERE { ?c a kz:Claim } LIMIT 200"
    first = client.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json", "Accept-Encoding": "gzip"},
    )
    second = client.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json", "Accept-Encoding": "gzip"},
    )
    for response in (first, second):
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        assert len(gzip.decompress(response.data)) > 1024
    small = client.get(
        "/sparql",
        query_string={"query": "ASK { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json", "Accept-Encoding": "gzip"},
    )
    assert small.status_code == 200 and "Content-Encoding" not in small.headers


def test_gzipped_dumps_are_offered_and_hold_the_dump(client, release):
    listing = client.get("/dumps?format=json").get_json()
    names = {f["name"]: f for f in listing["files"]}
    for name in ("kzkg.nt", "kzkg.nq"):
        assert f"{name}.gz" in names and names[f"{name}.gz"]["media_type"] == "application/gzip"
        response = client.get(f"/dumps/{name}.gz", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and "Content-Encoding" not in response.headers
        assert gzip.decompress(response.data) == (release.dumps_path / name).read_bytes()
        # the plain dump is sent as the file it is, not compressed again per download
        plain = client.get(f"/dumps/{name}", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in plain.headers and plain.data == (release.dumps_path / name).read_bytes()


def test_gzipped_dumps_are_byte_identical_across_builds(release, tmp_path):
    from kzkg.export import gzip_dumps

    shutil.copy(release.dumps_path / "kzkg.nq", tmp_path / "kzkg.nq")
    (again,) = gzip_dumps(tmp_path, ["kzkg.nq"])
    assert again.read_bytes() == (release.dumps_path / "kzkg.nq.gz").read_bytes()


# --- every view -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/timeline", "/network", "/figures", "/map", "/search?q=tokayev", "/browse", "/ontology"]
)
def test_each_view_is_cacheable_and_linked_from_the_navigation(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers.get("ETag")
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    nav = re.search(r"<nav>.*?</nav>", response.get_data(as_text=True), re.S).group(0)
    for link in ("/timeline", "/network", "/figures", "/map", "/browse", "/ontology"):
        assert f'href="{link}"' in nav


def test_views_without_a_build_say_so(tmp_path):
    from kzkg_server import create_app

    client = create_app({"TESTING": True, "BUILD_DIR": str(tmp_path)}).test_client()
    for url in ("/timeline", "/search?q=x", "/ontology"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert b"kzkg build" in response.data


def test_network_draws_at_most_max_nodes_the_most_linked_first(client, monkeypatch):
    from kzkg_server import charts

    whole = Elements(get_html(client, "/network"))
    degrees: dict[str, int] = {}
    for edge in whole.find("path", class_="edge"):
        for end in (edge["data-from"], edge["data-to"]):
            degrees[end] = degrees.get(end, 0) + 1
    monkeypatch.setattr(charts, "MAX_NODES", 5)
    page = get_html(client, "/network?group=outlet")
    drawn = [n["data-iri"] for n in Elements(page).find("circle", class_="node")]
    assert len(drawn) == 5
    assert min(degrees[d] for d in drawn) >= sorted(degrees.values(), reverse=True)[4]
    assert f"{len(degrees) - 5} less linked claims not drawn" in page


def test_claims_as_data_show_once_the_build_writes_them(tmp_path):
    """Issue #12's shapes, on a hand-made release: the dates each claim's assertion graph gives an
    event appear under it on the timeline, and a computed kz:conflictsWith is drawn in the network."""
    from kzkg.store import publish_nquads
    from kzkg_server import create_app

    kz, base, graph = KZ, ID, ID + "graph/entities"
    rdf_type, label = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label"
    date = '"2022-01-05"^^<http://www.w3.org/2001/XMLSchema#date>'
    lines = [
        f"<{base}event/csto-request> <{rdf_type}> <{kz}Event> <{graph}> .",
        f'<{base}event/csto-request> <{label}> "Tokayev asks the CSTO for help" <{graph}> .',
        f'<{base}event/csto-request> <{kz}dateText> "on the night of 6 January" <{graph}> .',
        f"<{base}event/other> <{rdf_type}> <{kz}Event> <{graph}> .",
        f'<{base}event/other> <{label}> "Something dated" <{graph}> .',
        f"<{base}event/other> <{kz}startDate> {date} <{graph}> .",
        f'<{base}tokayev> <{label}> "Kassym-Jomart Tokayev" <{graph}> .',
    ]
    for claim, day in (("000-a", "2022-01-05"), ("004-b", "2022-01-06")):
        iri, assertion = f"{base}claim/{claim}", f"{base}assertion/{claim}"
        lines += [
            f"<{iri}> <{rdf_type}> <{kz}Claim> <{graph}> .",
            f'<{iri}> <{label}> "claim {claim}" <{graph}> .',
            f"<{iri}> <{kz}claimedBy> <{base}tokayev> <{graph}> .",
            f"<{iri}> <{kz}asserts> <{assertion}> <{graph}> .",
            (
                f'<{base}event/csto-request> <{kz}startDate> "{day}"^^<http://www.w3.org/2001/XMLSchema#date>'
                f" <{assertion}> ."
            ),
        ]
    lines.append(f"<{base}claim/000-a> <{kz}conflictsWith> <{base}claim/004-b> <{graph}> .")
    publish_nquads(tmp_path, ("\n".join(lines) + "\n").encode())
    client = create_app({"TESTING": True, "BUILD_DIR": str(tmp_path)}).test_client()

    page = get_html(client, "/timeline")
    sources = re.search(r'data-iri="' + re.escape(base) + r'event/csto-request".*?</li>\s*</ul>', page, re.S)
    assert sources, "the undated event lists the dates its sources give"
    assert "<time>2022-01-05</time> per Kassym-Jomart Tokayev" in sources.group(0)
    assert "<time>2022-01-06</time> per Kassym-Jomart Tokayev" in sources.group(0)
    network = Elements(get_html(client, "/network"))
    assert {(e["data-from"], e["data-to"]) for e in network.find("path", class_="conflictsWith")} == {
        (f"{base}claim/000-a", f"{base}claim/004-b")
    }


def test_snippets_mark_whole_words_and_escape_the_text():
    from kzkg.search import _snippet

    html = _snippet(["air", "port"], "a label", "", 'The <b>airport</b> & the "port" of passport holders')
    assert "<b>" not in html and "&lt;b&gt;" in html and "&amp;" in html
    assert "<mark>port</mark>" in html  # the last word as a prefix, at a word's start
    assert "pass<mark>" not in html and "<mark>air</mark>" not in html  # not inside words; "air" is whole
    assert _snippet(["tokayev"], "Tokayev speaks", "", "nothing here") == ""


# --- at scale (issue #14): caps that say what they leave out -------------------------------------


def test_figures_default_to_the_most_frequent_kind(client, store):
    """A bare /figures is the kind with the most figure claims, not a fixed Deaths (a 400 on a
    corpus without death tolls)."""
    counts = rows(
        store,
        "SELECT ?k (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kz:Claim ; kz:quantityKind ?k } GROUP BY ?k",
    )
    most = max(int(r["n"]) for r in counts)
    page = get_html(client, "/figures")
    chosen = re.search(r'<option value="(\w+)"[^>]*selected', page)
    assert chosen, "the form shows the chosen kind"
    assert {r["k"].rsplit("#", 1)[-1] for r in counts if int(r["n"]) == most} >= {chosen.group(1)}


def test_network_caps_the_links_drawn_and_says_so(client, monkeypatch):
    from kzkg_server import charts

    whole = Elements(get_html(client, "/network"))
    total = len(whole.find("path", class_="edge"))
    assert total > 3
    monkeypatch.setattr(charts, "MAX_EDGES", 3)
    page = get_html(client, "/network?group=outlet")
    edges = Elements(page).find("path", class_="edge")
    assert len(edges) == 3
    # curated links before computed conflicts
    assert all("conflictsWith" not in e["class"].split() for e in edges)
    assert "only the first 3 links among these claims drawn" in page


def test_timeline_pages_hold_every_event_once(client, monkeypatch):
    from kzkg_server import charts

    whole = Elements(get_html(client, "/timeline"))
    dated = [e["data-iri"] for e in whole.find("li", class_="tl-event")]
    assert len(dated) > 5
    monkeypatch.setattr(charts, "EVENTS_PER_PAGE", 5)
    seen: list[str] = []
    page_number = 1
    while True:
        page = get_html(client, f"/timeline?page={page_number}")
        seen += [e["data-iri"] for e in Elements(page).find("li", class_="tl-event")]
        if 'rel="next"' not in page:
            break
        assert f'href="?page={page_number + 1}"' in page
        page_number += 1
    assert sorted(seen) == sorted(dated) and len(seen) == len(set(seen))
    assert f"Page 1 of {page_number}" in get_html(client, "/timeline?page=1")
    assert client.get(f"/timeline?page={page_number + 1}").status_code == 404
    assert client.get("/timeline?page=0").status_code == 400
    assert client.get("/timeline?page=x").status_code == 400
