"""The long lists of the resource pages over HTTP (issue #14), without a browser: every claim on
some page, each pair once, bad page numbers refused, kz: terms linked to /ontology.

tests/test_pages_browser.py checks the same pages in Chromium (heights, folds that open);
tests/test_page_layout.py the layout functions on hand-made rows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

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


def test_a_range_figure_is_printed_with_both_bounds_on_its_claim_page(client) -> None:
    # 004: Tokayev's "$2-3bn in damage" is one figure with two bounds, never a single number
    response = client.get("/id/claim/004-tokayev-2-3bn-damage", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "2000000000–3000000000 USD" in text
    assert "as of 10 January 2022" in text
