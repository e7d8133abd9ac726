"""/disagreements stays bounded by its page size, through ``kzkg serve`` on the real corpus.

At 1M triples one disagreement is held by hundreds of claims, and page 1 sent them all, folded.
Now a disagreement shows at most DISAGREEMENT_CLAIMS claims on a page and continues in parts on
the next pages. The real corpus's disagreements hold at most 8 claims, so this server is started
with KZKG_DISAGREEMENT_CLAIMS=2 to make the bound bite; what each page must hold in all is read
from the release's store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import LiveServer
from test_pages_lists import BROWSER_ACCEPT, DISAGREEMENT_POSITIONS, _Positions

from kzkg.namespaces import PREFIXES
from kzkg_server.disagreement_layout import DISAGREEMENTS_PER_PAGE

PER_PART = 2


@pytest.fixture(scope="module")
def small_parts_server(build_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(build_dir, env={"KZKG_DISAGREEMENT_CLAIMS": str(PER_PART)})
    yield server
    server.stop()


def _get(server: LiveServer, query: str) -> _Positions:
    response = requests.get(server.url + "/disagreements" + query, headers={"Accept": BROWSER_ACCEPT}, timeout=30)
    assert response.status_code == 200, (query, response.status_code, response.text[:300])
    parsed = _Positions()
    parsed.feed(response.text)
    return parsed


def test_every_page_is_bounded_by_its_page_size_and_every_position_is_on_one(small_parts_server, store) -> None:
    # a claim can hold two positions in one disagreement (two agents against a third): count them
    expected = Counter(
        (row["d"].value, row["claim"].value) for row in store.query(DISAGREEMENT_POSITIONS, prefixes=PREFIXES)
    )
    claims_of = Counter(d for d, _claim in expected)  # distinct claims per disagreement
    assert max(claims_of.values()) > PER_PART, "some disagreement of the corpus should need parts"
    first = _get(small_parts_server, "")
    pages = [first] + [_get(small_parts_server, f"?page={n}") for n in sorted(first.pages) if n > 1]
    seen: Counter[tuple[str, str]] = Counter()
    for number, page in enumerate(pages, 1):
        # at most a page of sections, each at most PER_PART claims
        assert 0 < len(page.sections) <= DISAGREEMENTS_PER_PAGE, number
        positions = Counter((str(p["d"]), str(p["claim"])) for p in page.positions)
        claims = set(positions)
        per_section = Counter(d for d, _claim in claims)
        parts = Counter(s["data-iri"] for s in page.sections)
        for d, count in per_section.items():
            assert count <= PER_PART * parts[d], (number, d)
        assert len(claims) <= DISAGREEMENTS_PER_PAGE * PER_PART, number
        ids = [str(p["id"]) for p in page.positions]
        assert len(ids) == len(set(ids)), number
        seen.update(positions)
    # nothing dropped: every position of every disagreement is on exactly one page
    assert seen == expected
    # a cut disagreement says which part of it a page shows
    whole = max(claims_of, key=lambda d: claims_of[d])
    headings = [s for page in pages for s in page.sections if s["data-iri"] == whole]
    assert len(headings) == -(-claims_of[whole] // PER_PART)
    assert len({s["id"] for s in headings}) == len(headings)
