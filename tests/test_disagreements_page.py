"""/disagreements stays bounded by its page size, through ``kzkg serve`` on the real corpus.

At 1M triples one disagreement is held by hundreds of claims, and page 1 sent them all, folded.
Now a part of a disagreement counts at most DISAGREEMENT_CLAIMS claims (or one per side, when it
has more sides) and continues in parts on the next pages, every part showing every side.
The real corpus's disagreements hold at most 8 claims, so this server is started
with KZKG_DISAGREEMENT_CLAIMS=2 to make the bound bite; what each page must hold in all is read
from the release's store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import LiveServer
from test_pages_lists import BROWSER_ACCEPT, DISAGREEMENT_POSITIONS, _Positions

from kzkg.namespaces import PREFIXES
from kzkg_server import create_app
from kzkg_server.backend import EmbeddedReader, Row
from kzkg_server.claims import PAGE_DISAGREEMENTS, disagreement_index, fill_disagreements
from kzkg_server.disagreement_layout import DISAGREEMENTS_PER_PAGE, layout_disagreements
from kzkg_server.labels import Labeller

PER_PART = 2


@pytest.fixture(scope="module")
def small_parts_server(build_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(build_dir, env={"KZKG_DISAGREEMENT_CLAIMS": str(PER_PART)})
    yield server
    server.stop()


class _Parts(_Positions):
    """The page's positions, and per section its sides and the claims it shows again (li.repeat)."""

    def __init__(self) -> None:
        super().__init__()
        self.sides: Counter[str] = Counter()  # section id → sides shown
        self.repeats: list[tuple[str, str, str]] = []  # (section id, disagreement, claim)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        classes = (dict(attrs).get("class") or "").split()
        if tag == "li" and self._section is not None and "side" in classes:
            self.sides[self._section["id"]] += 1
        if tag == "li" and self._section is not None and "repeat" in classes:
            self.repeats.append((self._section["id"], self._section["data-iri"], dict(attrs).get("data-claim") or ""))


def _get(server: LiveServer, query: str) -> _Parts:
    response = requests.get(server.url + "/disagreements" + query, headers={"Accept": BROWSER_ACCEPT}, timeout=30)
    assert response.status_code == 200, (query, response.status_code, response.text[:300])
    parsed = _Parts()
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
        # a part counts at most PER_PART claims, or one per side when it has more sides than that
        room = Counter[str]()
        for section in page.sections:
            room[section["data-iri"]] += max(PER_PART, page.sides[section["id"]])
        for d, count in per_section.items():
            assert count <= room[d], (number, d)
        assert len(claims) <= sum(room.values()), number
        ids = [str(p["id"]) for p in page.positions]
        assert len(ids) == len(set(ids)), number
        seen.update(positions)
    # nothing dropped: every position of every disagreement is on exactly one page
    assert seen == expected
    # a cut disagreement says which part of it a page shows
    whole = max(claims_of, key=lambda d: claims_of[d])
    headings = [s for page in pages for s in page.sections if s["data-iri"] == whole]
    assert len(headings) >= -(-claims_of[whole] // PER_PART)
    assert len({s["id"] for s in headings}) == len(headings)


def test_every_part_shows_every_side_of_its_disagreement(small_parts_server, store) -> None:
    # each disagreement's sides, as the store has them: positions giving (or denying) the same value
    sides: dict[str, set[tuple[str, bool]]] = {}
    for row in store.query(SIDES, prefixes=PREFIXES):
        sides.setdefault(row["d"].value, set()).add((str(row["side"]), row["denied"].value == "true"))
    first = _get(small_parts_server, "")
    pages = [first] + [_get(small_parts_server, f"?page={n}") for n in sorted(first.pages) if n > 1]
    cut = 0
    counted = {(str(p["d"]), str(p["claim"])) for page in pages for p in page.positions}
    for page in pages:
        for section in page.sections:
            d = section["data-iri"]
            # every section (whole or part) shows as many sides as the disagreement has, and at least 2
            assert page.sides[section["id"]] == len(sides[d]) >= 2, (d, section["id"])
            cut += section["id"].rsplit("-", 1)[-1].startswith("part")
        # a claim shown again is a claim of its disagreement counted in the part that holds it
        for _section, d, claim in page.repeats:
            assert (d, claim) in counted, (d, claim)
    assert cut, "with 2 claims a part, some disagreement of the corpus should be cut"
    assert any(page.repeats for page in pages), "some part should show a side's claim again"


class _Counting(EmbeddedReader):
    """The embedded reader, keeping every query and how many rows it answered."""

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.asked: list[tuple[str, int]] = []

    def select(self, sparql: str) -> list[Row]:
        rows = super().select(sparql)
        self.asked.append((sparql, len(rows)))
        return rows


def test_a_page_reads_only_the_positions_its_parts_show(build_dir: Path, store) -> None:
    # the work behind a page, not only its HTML, is bounded by the page: the positions, sources
    # and quotes read are those of the page's parts, not of the whole disagreements they cut
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir)})
    with app.test_request_context("/disagreements"):
        reader = _Counting(store)
        labels = Labeller(reader, app.config["RESOURCE_BASE"])
        index = disagreement_index(reader, labels)
        layout = layout_disagreements(index, {}, claims_per_part=1)
        rows = [row for group in layout["groups"] for row in group.rows]  # type: ignore[attr-defined]
        shown = {position for row in rows for position in (*row.held, *row.again)}
        whole = {position for row in rows for _side, _claim, position in row.whole.held_positions}
        assert len(shown) < len(whole), "with 1 claim a part, page 1 should cut some disagreement"
        reader.asked.clear()
        fill_disagreements(reader, labels, {id(row.whole): row.whole for row in rows}.values(), positions=shown)
        read = {p.iri for row in rows for side in row.whole.sides for p in side.positions}
        assert read == shown
        (answered,) = [n for sparql, n in reader.asked if sparql.startswith(PAGE_DISAGREEMENTS.split("%s")[0])]
        assert answered == len(shown)
        # every claim a page reads sources or quotes for is a claim of a position it shows
        claims = {claim for row in rows for claim in row.claims} | {
            p.claim.claim.value for row in rows for side in row.sides for p in side.again
        }
        for sparql, _n in reader.asked:
            named = {iri for iri in sparql.split("<")[1:] for iri in [iri.split(">", 1)[0]] if "/claim/" in iri}
            assert named <= claims, sparql[:200]


# each position's side as the page groups it: a figure by its hedge and number, else by its value
SIDES = """
SELECT DISTINCT ?d ?side ?denied WHERE {
  ?d a kz:Disagreement ; kz:position ?position . ?position kz:value ?value .
  OPTIONAL { ?position kz:valueQuantity ?quantity }  OPTIONAL { ?position kz:valueQualifier ?qualifier }
  BIND(IF(BOUND(?quantity) || BOUND(?qualifier),
          CONCAT(STR(COALESCE(?qualifier, "")), " ", STR(COALESCE(?quantity, ""))), STR(?value)) AS ?side)
  BIND(EXISTS { ?position kz:denied true } AS ?denied)
}"""
