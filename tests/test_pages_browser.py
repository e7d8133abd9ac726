"""Long resource pages in headless Chromium (issue #14): how tall they are, and that what is folded
or paginated away can be reached.

Heights are measured as a reader gets them (`document.body.scrollHeight` at 1280 and 400 px wide,
everything folded); the bounds are about three times below where the pages were (Tokayev 10,260
px at 1280, article 001 20,697, the Bloody January event 30,054) and leave room for the corpus to
grow. The claim sets, pairs and ontology terms are checked against SPARQL on the release, not
against numbers written here.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from test_browser import WAIT, browser, select_rows  # noqa: F401 (browser: the chromium fixture)

from kzkg.namespaces import ID, KZ

# (path, bound at 1280 px, bound at 400 px): one page per kind with the longest lists
HEIGHTS = [
    ("/id/tokayev", 4_000, 8_000),  # a person: 44 claims, 38 contradiction/corroboration pairs
    ("/id/article/001", 8_000, 20_000),  # an article: its text (≈3,000 px) stays whole
    ("/id/event/bloody-january", 6_000, 12_000),  # the event most claims are about
    ("/id/dmitriy-mazorenko", 4_000, 8_000),  # one claimant of 120 claims: grouped by topic
    ("/id/almaty", 4_000, 8_000),  # a place: 49 claims, coordinates and a locator map
    ("/id/claim/001-health-ministry-164-dead", 3_000, 6_000),  # a claim: its details, quotes, assertions
    # every disagreement by subject, each side's first claim shown (8,972 and 21,127 px before)
    ("/disagreements", 4_500, 9_000),
    ("/disagreements?page=2", 4_500, 9_000),
]

CLAIMS_OF = """
SELECT DISTINCT ?claim WHERE {
  { ?claim kz:claimedBy <%(iri)s> } UNION { ?claim kz:about <%(iri)s> }
  UNION { ?claim kz:relayedBy <%(iri)s> } UNION { ?claim kz:statedIn <%(iri)s> }
}"""

PAIRS_OF = """
SELECT DISTINCT ?a ?rel ?b WHERE {
  VALUES ?a { %(claims)s }
  VALUES ?rel { kz:contradicts kz:corroborates }
  { ?a ?rel ?b } UNION { ?b ?rel ?a }
  FILTER(?a != ?b)
}"""


def _open(driver, url: str) -> None:
    driver.get(url)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.mark.parametrize(("path", "bound_wide", "bound_phone"), HEIGHTS)
def test_long_pages_fit_their_height_bound_and_the_phone_width(browser, live_server, path, bound_wide, bound_phone):  # noqa: F811
    heights = {}
    try:
        for width in (1280, 400):
            browser.set_window_size(width, 900)
            _open(browser, live_server.url + path)
            heights[width] = browser.execute_script("return document.body.scrollHeight")
            # nothing but a table's own scrolling box is wider than a phone
            assert browser.execute_script("return document.documentElement.scrollWidth") <= width, (path, width)
    finally:
        browser.set_window_size(1300, 1600)
    assert heights[1280] < bound_wide, (path, heights)
    assert heights[400] < bound_phone, (path, heights)


def _claims_on_every_page(driver, url: str) -> tuple[list[list[str]], list[str]]:
    """Follow the claims pager from the first page to the last; the claims of each page, and its URL."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    pages: list[list[str]] = []
    urls = [url]
    _open(driver, url)
    while True:
        pages.append(
            [li.get_attribute("data-claim") for li in driver.find_elements(By.CSS_SELECTOR, "#claims li.claim-row")]
        )
        following = driver.find_elements(By.CSS_SELECTOR, "#claims nav.pager a.next")
        if not following:
            return pages, urls
        following[0].click()
        WebDriverWait(driver, WAIT).until(lambda d: d.current_url != urls[-1])
        urls.append(driver.current_url)


def test_paginated_claims_hold_every_claim_once_at_stable_urls(browser, live_server, store):  # noqa: F811
    from selenium.webdriver.common.by import By

    expected = {row["claim"] for row in select_rows(store, CLAIMS_OF % {"iri": f"{ID}tokayev"})}
    assert len(expected) > 30, "Tokayev should have more claims than one page holds"
    pages, urls = _claims_on_every_page(browser, live_server.url + "/id/tokayev")
    seen = [claim for page in pages for claim in page]
    assert len(seen) == len(set(seen)), "a claim is listed twice"
    assert set(seen) == expected
    assert len(urls) >= 2 and all(0 < len(page) <= 30 for page in pages)
    # each page is its own URL, and opening that URL again gives the same claims (a citable view)
    assert parse_qs(urlparse(urls[1]).query) == {"claims_page": ["2"]}
    _open(browser, urls[1])
    again = [li.get_attribute("data-claim") for li in browser.find_elements(By.CSS_SELECTOR, "#claims li.claim-row")]
    assert again == pages[1]


def test_a_folded_group_says_how_many_it_holds_and_opens(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    _open(browser, live_server.url + "/id/tokayev")
    group = next(
        g
        for g in browser.find_elements(By.CSS_SELECTOR, "#claims .claim-group")
        if g.find_elements(By.CSS_SELECTOR, "details")
    )
    details = group.find_element(By.CSS_SELECTOR, "details.more")
    hidden = details.find_elements(By.CSS_SELECTOR, "li.claim-row")
    assert hidden and not any(li.is_displayed() for li in hidden)
    summary = details.find_element(By.TAG_NAME, "summary")
    assert summary.text.startswith(f"{len(hidden)} more claim")
    shown = group.find_elements(By.CSS_SELECTOR, ":scope > ul.claim-list li.claim-row")
    on_page = len(shown) + len(hidden)
    total = int(group.get_attribute("data-total"))
    assert on_page <= total and str(total) in group.find_element(By.TAG_NAME, "h3").text
    summary.click()
    assert all(li.is_displayed() for li in hidden)


def test_each_contradiction_appears_once(browser, live_server, store):  # noqa: F811
    from selenium.webdriver.common.by import By

    claims = {row["claim"] for row in select_rows(store, CLAIMS_OF % {"iri": f"{ID}tokayev"})}
    rows = select_rows(store, PAIRS_OF % {"claims": " ".join(f"<{c}>" for c in sorted(claims))})
    expected = {(r["rel"].rsplit("#", 1)[-1], frozenset((r["a"], r["b"]))) for r in rows}
    assert any(kind == "contradicts" and pair <= claims for kind, pair in expected), "a pair inside the list"

    listed: list[tuple[str, frozenset[str]]] = []
    url = live_server.url + "/id/tokayev"
    while url:
        _open(browser, url)
        for li in browser.find_elements(By.CSS_SELECTOR, "#pairs li.pair"):
            pair = frozenset((li.get_attribute("data-one"), li.get_attribute("data-other")))
            listed.append((li.get_attribute("data-kind"), pair))
        following = browser.find_elements(By.CSS_SELECTOR, "#pairs nav.pager a.next")
        url = following[0].get_attribute("href") if following else ""
    assert len(listed) == len(set(listed)), "a pair is listed twice"
    assert set(listed) == expected
    # the claim rows do not repeat the pairs: they count them and point to the list
    _open(browser, live_server.url + "/id/tokayev")
    rows = browser.find_elements(By.CSS_SELECTOR, "#claims li.claim-row")
    assert any("contradicts" in li.text for li in rows)
    assert all(len(li.find_elements(By.CSS_SELECTOR, "a[href*='/id/claim/']")) == 1 for li in rows)


def test_article_text_stays_whole_and_quotes_fold(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    _open(browser, live_server.url + "/id/article/001")
    text = browser.find_element(By.ID, "article-text")
    assert text.is_displayed() and text.size["height"] > 1000  # the highlighted text is not folded
    quotes = browser.find_element(By.CSS_SELECTOR, "section.article-evidence")
    count = int(quotes.find_element(By.CSS_SELECTOR, "h2 .count").text)
    assert len(quotes.find_elements(By.CSS_SELECTOR, "a.to-quote")) == count  # all there, most folded
    assert len([a for a in quotes.find_elements(By.CSS_SELECTOR, "a.to-quote") if a.is_displayed()]) < count


def test_ontology_terms_link_to_this_servers_ontology_page(browser, live_server, store):  # noqa: F811
    from selenium.webdriver.common.by import By

    claim = select_rows(store, "SELECT ?c WHERE { ?c kz:status kz:Disputed } ORDER BY ?c LIMIT 1")[0]["c"]
    hrefs: set[str] = set()
    for path in ("/id/" + claim[len(ID) :], "/id/tokayev", "/disagreements"):
        _open(browser, live_server.url + path)
        links = browser.find_elements(By.TAG_NAME, "a")
        off_site = [a.get_attribute("href") for a in links if (a.get_attribute("href") or "").startswith(str(KZ))]
        assert not off_site, (path, off_site[:3])
        hrefs |= {a.get_attribute("href") for a in links if "/ontology#" in (a.get_attribute("href") or "")}
    assert f"{live_server.url}/ontology#Disputed" in hrefs  # the status of the claim
    _open(browser, live_server.url + "/ontology")
    for href in sorted(hrefs):
        fragment = href.split("#", 1)[1]
        assert browser.find_elements(By.ID, fragment), f"{href}: no term with that id on /ontology"


# --------------------------------------------------------------------------------------------
# a link into a fold or onto a later page shows its row (server/static/kzkg-fragment.js)


def _in_view(driver, element) -> bool:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.top < window.innerHeight",
        element,
    )


def _folded_ids(driver, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [el.get_attribute("id") for el in driver.find_elements(By.CSS_SELECTOR, selector)]


def test_a_link_into_a_fold_opens_it_and_scrolls_to_the_row(browser, live_server):  # noqa: F811
    # Chromium itself opens a closed <details> around a fragment's target (HTML's "ancestor
    # details revealing"); kzkg-fragment.js does it for browsers that do not. This checks what
    # a reader gets, whichever did it.
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, live_server.url + "/id/tokayev")
    folded = _folded_ids(browser, "#claims details.more li.claim-row")
    assert folded, "Tokayev's first page should fold some claims"
    target = folded[-1]
    # opened from a link (a fresh load with the fragment)
    _open(browser, "about:blank")
    _open(browser, f"{live_server.url}/id/tokayev#{target}")
    row = browser.find_element(By.ID, target)
    WebDriverWait(browser, WAIT).until(lambda d: row.is_displayed() and _in_view(d, row))
    assert browser.execute_script("return arguments[0].closest('details').open", row)
    # and from a link on the page (a hash change): another fold
    _open(browser, live_server.url + "/id/tokayev")
    others = [i for i in _folded_ids(browser, "#claims details.more li.claim-row") if i != target]
    other = browser.find_element(By.ID, others[0])
    assert not other.is_displayed()
    browser.execute_script("location.hash = arguments[0]", others[0])
    WebDriverWait(browser, WAIT).until(lambda d: other.is_displayed() and _in_view(d, other))

    # a position folded on /disagreements (a side's agreeing claims, or a subject's later disagreements)
    _open(browser, live_server.url + "/disagreements")
    positions = _folded_ids(browser, "#list details.more li.position")
    assert positions
    _open(browser, "about:blank")
    _open(browser, f"{live_server.url}/disagreements#{positions[-1]}")
    position = browser.find_element(By.ID, positions[-1])
    WebDriverWait(browser, WAIT).until(lambda d: position.is_displayed() and _in_view(d, position))


def test_a_link_to_a_claim_on_a_later_page_gets_that_page(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, live_server.url + "/id/tokayev?claims_page=2")
    later = _folded_ids(browser, "#claims li.claim-row")[-1]
    _open(browser, live_server.url + "/id/tokayev")
    assert not browser.find_elements(By.ID, later)
    _open(browser, f"{live_server.url}/id/tokayev#{later}")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.ID, later))
    query = parse_qs(urlparse(browser.current_url).query)
    assert query == {"claim": [later.removeprefix("claim-")]} and urlparse(browser.current_url).fragment == later
    row = browser.find_element(By.ID, later)
    WebDriverWait(browser, WAIT).until(lambda d: row.is_displayed() and _in_view(d, row))
    assert browser.find_element(By.CSS_SELECTOR, "#claims nav.pager strong.current").text == "2"
