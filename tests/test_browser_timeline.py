"""The /timeline pager in headless Chromium: a reader pages forward and back through the events.

The real corpus has fewer events than one page of the timeline holds, so the pager only shows with
a smaller page: this module serves the real build from the app in this process (a real loopback
HTTP server, werkzeug's) with the page size lowered, which a ``kzkg serve`` subprocess cannot be
told. What each page should hold is read from the release's store with the test's own SPARQL.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from test_browser import browser, wait_for  # noqa: F401
from werkzeug.serving import make_server

from kzkg.namespaces import PREFIXES
from kzkg_server import charts, create_app

# Events of the corpus, with their dates: a page of the timeline is a slice of the dated ones in
# date order (and of the undated ones by label), whatever the page code does.
EVENTS = """
SELECT ?e (MIN(?s) AS ?start) (MAX(?en) AS ?end) (SAMPLE(?l) AS ?label) WHERE {
  ?e a kz:Event ; rdfs:label ?l . OPTIONAL { ?e kz:startDate ?s } OPTIONAL { ?e kz:endDate ?en }
} GROUP BY ?e"""
PAGES = 3  # the page size is chosen so the corpus's dated events fill this many pages


def _day(term: ox.Literal | None) -> date | None:
    try:
        return date.fromisoformat(term.value[:10]) if term is not None else None
    except ValueError:
        return None


@pytest.fixture(scope="module")
def expected_pages(store) -> tuple[int, list[list[str]], list[list[str]]]:
    """(page size, the dated events' IRIs page by page, the undated ones' page by page)."""
    dated, undated = [], []
    for row in store.query(EVENTS, prefixes=PREFIXES):
        start, end, label = _day(row["start"]), _day(row["end"]), row["label"].value
        if start is None:
            undated.append((label.lower(), row["e"].value))
        else:
            dated.append((start, end or start, label.lower(), row["e"].value))
    assert len(dated) >= 2 * PAGES, "the corpus should have dated events to page through"
    dated.sort()
    undated.sort()
    size = math.ceil(len(dated) / PAGES)
    count = max(math.ceil(len(dated) / size), math.ceil(len(undated) / size))

    def cut(rows: list[tuple]) -> list[list[str]]:
        return [[row[-1] for row in rows[n * size : (n + 1) * size]] for n in range(count)]

    return size, cut(dated), cut(undated)


@pytest.fixture(scope="module")
def paged_server(build_dir: Path, expected_pages) -> Iterator[str]:
    """The app on a loopback port, its timeline cut into pages of the expected size."""
    size = expected_pages[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(charts, "EVENTS_PER_PAGE", size)
        app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir)})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=10)


def shown(driver) -> tuple[int, list[str], list[str]]:
    """The page number in the address bar, and the dated and undated events the page lists."""
    number = int(parse_qs(urlsplit(driver.current_url).query).get("page", ["1"])[0])
    pager = driver.find_element("css selector", "nav.tl-pager").text
    assert pager.startswith(f"Page {number} of "), pager
    dated = driver.execute_script(
        "return Array.from(document.querySelectorAll('li.tl-event')).map(li => li.dataset.iri)"
    )
    undated = driver.execute_script(
        "return Array.from(document.querySelectorAll('.tl-undated li[data-iri]')).map(li => li.dataset.iri)"
    )
    return number, dated, undated


def follow(driver, rel: str) -> None:
    """Click the pager's ``rel`` link (next/prev) and wait for the page it leads to."""
    before = driver.current_url
    links = driver.find_elements("css selector", f"nav.tl-pager a[rel={rel}]")
    assert links, f"no {rel} link on {before}"
    links[0].click()
    wait_for(driver, lambda d: d.current_url != before and d.execute_script("return document.readyState") == "complete")


def test_the_timeline_pager_pages_forward_and_back(browser, paged_server, expected_pages):  # noqa: F811
    _size, dated, undated = expected_pages
    assert len(dated) >= PAGES
    browser.get(paged_server + "/timeline")
    assert f"Page 1 of {len(dated)}:" in browser.find_element("css selector", "nav.tl-pager").text
    visited = [shown(browser)]
    # forward to the last page, each page the next slice of the events in date order
    while len(visited) < len(dated):
        follow(browser, "next")
        visited.append(shown(browser))
    assert not browser.find_elements("css selector", "nav.tl-pager a[rel=next]")
    # and back to the first, by the pager's own links
    while visited[-1][0] > 1:
        follow(browser, "prev")
        visited.append(shown(browser))
    assert not browser.find_elements("css selector", "nav.tl-pager a[rel=prev]")
    numbers = [number for number, _d, _u in visited]
    assert numbers == [*range(1, len(dated) + 1), *range(len(dated) - 1, 0, -1)]
    for number, on_page, undated_on_page in visited:
        assert on_page == dated[number - 1], f"page {number}"
        assert sorted(undated_on_page) == sorted(undated[number - 1]), f"page {number}"
    # every dated event is on exactly one page, as the browser showed the pages (once each, forward)
    shown_once = [iri for _number, on_page, _u in visited[: len(dated)] for iri in on_page]
    twice = sorted({iri for iri in shown_once if shown_once.count(iri) > 1})
    assert not twice, f"on more than one page: {twice}"
    assert set(shown_once) == {iri for page in dated for iri in page}
    # the browser's own back button returns to the page before, with its events
    browser.back()
    wait_for(browser, lambda d: shown(d)[0] == 2)
    assert shown(browser)[1] == dated[1]
