"""The long lists of the resource pages over HTTP (issue #14), without a browser: every claim on
some page, each pair once, bad page numbers refused, kz: terms linked to /ontology.

tests/test_pages_browser.py checks the same pages in Chromium (heights, folds that open);
tests/test_page_layout.py the layout functions on hand-made rows.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode

import pytest

from kzkg.namespaces import ID, KZ, PREFIXES

# Each test renders several of the longest pages (0.3–1.5 s each on the shared machine).
pytestmark = pytest.mark.slow

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Links(HTMLParser):
    """Every element's attributes, for the few this file looks at (claim rows, pairs, links, ids)."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def having(self, tag: str, css_class: str = "") -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and (not css_class or css_class in a.get("class", "").split())]


def _page(client, path: str) -> _Links:
    response = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200, (path, response.status_code, response.data[:200])
    parsed = _Links()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def _claims_of(store, iri: str) -> set[str]:
    query = f"""SELECT DISTINCT ?c WHERE {{ {{ ?c kz:claimedBy <{iri}> }} UNION {{ ?c kz:about <{iri}> }}
      UNION {{ ?c kz:relayedBy <{iri}> }} UNION {{ ?c kz:statedIn <{iri}> }} }}"""
    return {row["c"].value for row in store.query(query, prefixes=PREFIXES)}


@pytest.mark.parametrize("rest", ["tokayev", "event/bloody-january", "dmitriy-mazorenko", "almaty"])
def test_every_claim_is_on_exactly_one_page(client, store, rest: str) -> None:
    expected = _claims_of(store, ID + rest)
    seen: list[str] = []
    number, pages = 1, 1
    while number <= pages:
        page = _page(client, f"/id/{rest}?claims_page={number}")
        seen += [li["data-claim"] for li in page.having("li", "claim-row")]
        pages = max([pages] + [int(a["data-page"]) for a in page.having("a", "page") if "data-page" in a])
        number += 1
    assert len(seen) == len(set(seen)), f"/id/{rest}: a claim is listed twice"
    assert set(seen) == expected


def test_article_pages_list_every_claim_the_article_reports(client, store) -> None:
    article = f"{ID}article/004"
    expected = {
        row["c"].value
        for row in store.query(f"SELECT ?c WHERE {{ ?c a kz:Claim ; kz:reportedIn <{article}> }}", prefixes=PREFIXES)
    }
    assert len(expected) > 30
    seen: list[str] = []
    for number in range(1, 100):
        response = client.get(f"/id/article/004?claims_page={number}", headers={"Accept": BROWSER_ACCEPT})
        if response.status_code == 400:
            break
        parsed = _Links()
        parsed.feed(response.get_data(as_text=True))
        seen += [li["data-claim"] for li in parsed.having("li", "claim-row")]
    assert len(seen) == len(set(seen)) and set(seen) == expected


def test_each_pair_is_listed_once_and_every_pair_is_listed(client, store) -> None:
    claims = _claims_of(store, f"{ID}tokayev")
    values = " ".join(f"<{c}>" for c in sorted(claims))
    rows = store.query(
        f"""SELECT DISTINCT ?a ?rel ?b WHERE {{ VALUES ?a {{ {values} }}
        VALUES ?rel {{ kz:contradicts kz:corroborates }} {{ ?a ?rel ?b }} UNION {{ ?b ?rel ?a }} FILTER(?a != ?b) }}""",
        prefixes=PREFIXES,
    )
    expected = {(row["rel"].value.rsplit("#", 1)[-1], frozenset((row["a"].value, row["b"].value))) for row in rows}
    listed = []
    for number in (1, 2, 3):
        response = client.get(f"/id/tokayev?pairs_page={number}", headers={"Accept": BROWSER_ACCEPT})
        if response.status_code == 400:
            break
        parsed = _Links()
        parsed.feed(response.get_data(as_text=True))
        listed += [
            (li["data-kind"], frozenset((li["data-one"], li["data-other"]))) for li in parsed.having("li", "pair")
        ]
    assert len(listed) == len(set(listed)) and set(listed) == expected


@pytest.mark.parametrize("query", ["claims_page=0", "claims_page=99", "claims_page=two", "pairs_page=-1"])
def test_a_page_that_does_not_exist_is_a_400_naming_the_pages(client, query: str) -> None:
    response = client.get(f"/id/tokayev?{query}", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    name, _, value = query.partition("=")
    assert re.search(rf"{name}=&#39;{re.escape(value)}&#39;: no such page; this list has pages 1–\d+", text), text


def test_pager_links_are_stable_urls_of_their_page(client) -> None:
    page = _page(client, "/id/tokayev?claims_page=2&pairs_page=2")
    hrefs = {a["href"] for a in page.having("a", "page")}
    assert "?pairs_page=2#claims" in hrefs  # page 1 of the claims: no claims_page, the other list kept
    assert "?claims_page=2#pairs" in hrefs


@pytest.mark.parametrize(
    "path", ["/id/tokayev", "/id/claim/001-health-ministry-164-dead", "/id/article/001", "/disagreements"]
)
def test_kz_terms_link_to_this_servers_ontology_and_the_anchor_exists(client, path: str) -> None:
    anchors = {a["id"] for a in _page(client, "/ontology").having("section", "term")}
    hrefs = [a.get("href", "") for a in _page(client, path).having("a")]
    assert not [h for h in hrefs if h.startswith(str(KZ))], "a kz: term links off-site"
    ours = [h for h in hrefs if h.startswith("/ontology#")]
    assert ours, f"{path} prints no kz: term"
    missing = sorted({h for h in ours if h.split("#", 1)[1] not in anchors})
    assert not missing, f"{path}: /ontology has no term {missing}"


def test_a_list_in_one_voice_is_grouped_by_topic_and_the_reader_can_switch(client, store) -> None:
    # article 004 is written mostly in its authors' voice: the default is by topic
    page = _page(client, "/id/article/004")
    assert [a for a in page.having("a") if a.get("data-group") == "claimant"]
    groups = page.having("div", "claim-group")
    about = {
        row["t"].value
        for row in store.query(
            f"SELECT ?t WHERE {{ ?c kz:reportedIn <{ID}article/004> ; kz:about ?t }}", prefixes=PREFIXES
        )
    }
    assert groups and all(g["data-group"] in about for g in groups)
    # the switch is a stable URL; by claimant, the authors' group is the largest
    switched = _page(client, "/id/article/004?group=claimant")
    first = switched.having("div", "claim-group")[0]
    authors = {
        row["who"].value
        for row in store.query(f"SELECT ?who WHERE {{ <{ID}article/004> dcterms:creator ?who }}", prefixes=PREFIXES)
    }
    assert set(first["data-group"].split()) == authors
    assert client.get("/id/article/004?group=who").status_code == 400


def test_sparql_results_page_links_our_iris_to_this_server(client) -> None:
    query = "SELECT ?claim ?status ?p WHERE { ?claim a kz:Claim ; kz:status ?status ; ?p ?status } LIMIT 20"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response.mimetype == "text/html"
    parsed = _Links()
    parsed.feed(response.get_data(as_text=True))
    hrefs = [a["href"] for a in parsed.having("a") if a.get("title", "").startswith("https://w3id.org/kzkg/")]
    assert len(hrefs) == 60, hrefs  # every cell of the 20 rows is one of ours
    assert not [h for h in hrefs if h.startswith("https://")], "one of our IRIs links off-site"
    anchors = {a["id"] for a in _page(client, "/ontology").having("section", "term")}
    terms = {h.split("#", 1)[1] for h in hrefs if h.startswith("/ontology#")}
    assert "status" in terms and len(terms) >= 2 and terms <= anchors  # the property and the statuses
    for href in sorted({h for h in hrefs if h.startswith("/id/")})[:5]:
        assert client.get(href, headers={"Accept": BROWSER_ACCEPT}).status_code == 200, href


# --------------------------------------------------------------------------------------------
# /disagreements: by subject, each side once, paged and filtered at stable URLs

DISAGREEMENT_POSITIONS = """
SELECT ?d ?subject ?p ?position ?claim WHERE {
  ?d a kz:Disagreement ; kz:onSubject ?subject ; kz:onProperty ?p ; kz:position ?position .
  ?position kz:heldBy ?claim
}"""


class _Positions(HTMLParser):
    """Each position row of /disagreements: its disagreement, claim, and the links inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict[str, str]] = []
        self.positions: list[dict[str, object]] = []
        self.pages: set[int] = set()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self._section: dict[str, str] | None = None
        self._position: dict[str, object] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.elements.append((tag, found))
        if tag == "section" and "disagreement" in found.get("class", "").split():
            self._section = found
            self.sections.append(found)
        elif tag == "li" and "position" in found.get("class", "").split():
            assert self._section is not None, "a position outside a disagreement"
            self._position = {"d": self._section["data-iri"], "claim": found["data-claim"], "id": found["id"]}
            self._position["links"] = []
            self.positions.append(self._position)
            self._depth = 1
        elif self._position is not None:
            if tag == "li":
                self._depth += 1
            if tag == "a":
                links = self._position["links"]
                assert isinstance(links, list)
                links.append((found.get("class", ""), found.get("href", "")))
        if tag == "a" and self._section is not None and "permalink" in found.get("class", "").split():
            self._section["permalink"] = found["href"]
        if tag == "a" and "data-page" in found:
            self.pages.add(int(found["data-page"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._position is not None:
            self._depth -= 1
            if not self._depth:
                self._position = None
        elif tag == "section":
            self._section = None


def _disagreements(client, query: str = "") -> _Positions:
    response = client.get("/disagreements" + query, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200, (query, response.status_code, response.data[:300])
    parsed = _Positions()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def _all_pages(client, query: str = "") -> list[_Positions]:
    first = _disagreements(client, query)
    joiner = "&" if query else "?"
    return [first] + [_disagreements(client, f"{query}{joiner}page={n}") for n in sorted(first.pages) if n > 1]


def test_every_position_is_on_exactly_one_page_with_its_claimants_articles_and_quote(client, store) -> None:
    # a claim can hold two positions in one disagreement (two agents against a third): count them
    expected = Counter(
        (row["d"].value, row["claim"].value) for row in store.query(DISAGREEMENT_POSITIONS, prefixes=PREFIXES)
    )
    pages = _all_pages(client)
    assert len(pages) >= 2, "the disagreements should fill more than one page"
    seen = Counter((str(p["d"]), str(p["claim"])) for page in pages for p in page.positions)
    assert seen == expected
    ids = [str(p["id"]) for page in pages for p in page.positions]
    assert len(ids) == len(set(ids)), "two positions share an anchor"
    quote_targets: set[str] = set()
    for page in pages:
        for position in page.positions:
            links = position["links"]
            assert isinstance(links, list)
            claim_path = "/id/claim/" + str(position["claim"]).rsplit("/claim/", 1)[1]
            assert ("", claim_path) in links, position  # the claim itself
            assert any(href.startswith("/id/article/") for _c, href in links), position  # where it is reported
            quotes = [href for css, href in links if css == "to-quote"]
            assert quotes, f"{position['claim']}: no quote link"
            quote_targets.update(quotes)
    # a quote link lands on its highlight in the article
    for href in sorted(quote_targets)[:4]:
        path, anchor = href.split("#", 1)
        assert [a for a in _page(client, path).having("span", "anchor") if a.get("id") == anchor], href


def test_disagreements_are_grouped_by_subject_and_filtered_by_the_query_string(client, store) -> None:
    rows = list(store.query(DISAGREEMENT_POSITIONS, prefixes=PREFIXES))
    by_property = {row["d"].value for row in rows if row["p"].value == f"{KZ}eventType"}
    filtered = _all_pages(client, "?property=eventType")
    assert {s["data-iri"] for page in filtered for s in page.sections} == by_property
    assert _disagreements(client, "?property=kz:eventType").sections == filtered[0].sections
    event = f"{ID}event/bloody-january"
    about = {row["d"].value for row in rows if row["subject"].value == event}
    for value in ("event/bloody-january", "bloody-january", event):
        page = _disagreements(client, "?" + urlencode({"subject": value}))
        assert {s["data-iri"] for s in page.sections} == about
        groups = [a for t, a in page.elements if t == "div" and "subject-group" in a.get("class", "")]
        assert [g["data-subject"] for g in groups] == [event]
        assert [
            a for t, a in page.elements if t == "option" and "selected" in a and a["value"] == "event/bloody-january"
        ]
    both = _disagreements(client, "?subject=bloody-january&property=agent")
    assert {s["data-iri"] for s in both.sections} == {
        row["d"].value for row in rows if row["subject"].value == event and row["p"].value == f"{KZ}agent"
    }
    # every subject heading is a group, and no group is split across two headings on a page
    first = _disagreements(client)
    subjects = [a["data-subject"] for t, a in first.elements if t == "div" and "subject-group" in a.get("class", "")]
    assert subjects and len(subjects) == len(set(subjects))
    # a filter that selects nothing says so, with a way back; a page that does not exist is a 400
    none = client.get("/disagreements?subject=nobody", headers={"Accept": BROWSER_ACCEPT})
    assert none.status_code == 200 and "No disagreement matches these filters" in none.get_data(as_text=True)
    bad = client.get("/disagreements?page=99", headers={"Accept": BROWSER_ACCEPT})
    assert bad.status_code == 400 and "page=&#39;99&#39;: no such page" in bad.get_data(as_text=True)


def test_disagreement_pager_and_permalinks_keep_a_stable_url(client) -> None:
    first = _disagreements(client)
    pager = {attrs["href"] for _tag, attrs in first.elements if "data-page" in attrs}
    assert "?page=2#list" in pager
    filtered = _disagreements(client, "?property=agent")
    for _tag, attrs in filtered.elements:
        if "data-page" in attrs:
            assert parse_qs(attrs["href"][1:].split("#")[0])["property"] == ["agent"]
    # each disagreement links its own view: its subject and property
    for section in first.sections:
        permalink = section["permalink"]
        again = _disagreements(client, permalink.split("#")[0])
        assert section["data-iri"] in {s["data-iri"] for s in again.sections}


def test_a_claim_parameter_opens_the_page_that_holds_the_claim(client) -> None:
    pages = _all_pages(client)
    later = str(pages[-1].positions[-1]["claim"])
    claim_id = later.rsplit("/claim/", 1)[1]
    on_first = {str(p["claim"]) for p in pages[0].positions}
    assert later not in on_first
    picked = client.get(f"/disagreements?claim={claim_id}", headers={"Accept": BROWSER_ACCEPT})
    assert picked.status_code == 200
    text = picked.get_data(as_text=True)
    assert f'id="claim-{claim_id}"' in text and f"{len(pages)}</strong>" in text  # that page, its anchor there
    # the same on a resource page: a claim of Tokayev's on a later claims page
    tokayev = [li["data-claim"] for li in _page(client, "/id/tokayev?claims_page=2").having("li", "claim-row")]
    wanted = tokayev[0].rsplit("/claim/", 1)[1]
    page = _page(client, f"/id/tokayev?claim={wanted}")
    assert [li["id"] for li in page.having("li", "claim-row")] == [
        li["id"] for li in _page(client, "/id/tokayev?claims_page=2").having("li", "claim-row")
    ]
    # the other list's pager keeps the claims page the claim chose
    assert "?claims_page=2&pairs_page=2#pairs" in {a["href"] for a in page.having("a", "page")}
    assert client.get("/id/tokayev?claim=no-such-claim", headers={"Accept": BROWSER_ACCEPT}).status_code == 400


def test_a_range_figure_is_printed_with_both_bounds_on_its_claim_page(client) -> None:
    # 004: Tokayev's "$2-3bn in damage" is one figure with two bounds, never a single number
    response = client.get("/id/claim/004-tokayev-2-3bn-damage", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "2000000000–3000000000 USD" in text
    assert "as of 10 January 2022" in text
