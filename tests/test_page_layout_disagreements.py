"""server/page_layout.py's /disagreements layout and ``?claim=``, on hand-made rows.

tests/test_pages_lists.py checks the page itself on the real corpus over HTTP, and
tests/test_pages_browser.py in Chromium.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from werkzeug.exceptions import BadRequest

from kzkg_server.disagreement_layout import CLAIMS_PER_PART, DISAGREEMENTS_PER_PAGE, layout_disagreements
from kzkg_server.page_layout import grouped_page, names_claim
from kzkg_server.settings import SettingsError, from_environment

ID = "https://w3id.org/kzkg/id/"
KZ = "https://w3id.org/kzkg/ontology#"


@dataclass
class T:
    value: str
    label: str


@dataclass
class Position:
    claim: object
    anchor: str

    @property
    def iri(self) -> str:
        """The position's IRI (the anchor is unique per position here)."""
        return "pos:" + self.anchor


@dataclass
class Side:
    positions: list[Position]
    value: str = "v"
    denied: bool = False


@dataclass
class D:
    """A disagreement as the page code's DisagreementView offers it to the layout."""

    subject: T
    property: T
    subject_id: str
    property_id: str
    sides: list[Side] = field(default_factory=list)
    anchor: str = ""

    @property
    def held_positions(self) -> list[tuple[str, str, str]]:
        """What the index gives the layout: (side, claim, position) of each position."""
        return [(f"{s.value}|{s.denied}", p.claim.claim.value, p.iri) for s in self.sides for p in s.positions]


@dataclass
class Source:
    claim: T


def _d(subject: str, prop: str, *claims: str) -> D:
    positions = [Position(Source(T(f"{ID}claim/{c}", c)), f"d-{subject}-{prop}--{c}") for c in claims]
    return D(
        T(f"{ID}event/{subject}", subject.title()),
        T(KZ + prop, prop),
        f"event/{subject}",
        prop,
        [Side(positions)],
        f"d-{subject}-{prop}",
    )


# 3 subjects: "a" with 6 disagreements, "b" with 5, "c" with 1: 12 in all, more than a page
ITEMS = (
    [_d("a", "agent" if i % 2 else "eventType", f"a{i}", f"shared{i % 2}") for i in range(6)]
    + [_d("b", "agent", f"b{i}", "shared0") for i in range(5)]
    + [_d("c", "figure", "c0", "last")]
)


def _walk(args: dict[str, str]) -> list[dict[str, object]]:
    first = layout_disagreements(ITEMS, args)
    pages = [first]
    for number in range(2, first["page"].count + 1):
        pages.append(layout_disagreements(ITEMS, {**args, "page": str(number)}))
    return pages


def test_every_disagreement_is_on_one_page_grouped_by_subject_and_pages_break_between_subjects() -> None:
    pages = _walk({})
    assert len(pages) == 2
    seen = [d.whole for page in pages for group in page["groups"] for d in group.rows]
    assert sorted(map(id, seen)) == sorted(map(id, ITEMS))
    # subject a (6) fills page 1 and b (5) would overflow it, so b starts page 2 whole
    first = [g.key for g in pages[0]["groups"]]
    second = [g.key for g in pages[1]["groups"]]
    assert first == [f"{ID}event/a"] and second == [f"{ID}event/b", f"{ID}event/c"]
    assert all(len(page["page"].rows) <= DISAGREEMENTS_PER_PAGE for page in pages)
    # a group shows its first three disagreements and folds the rest
    group = pages[0]["groups"][0]
    assert len(group.shown) == 3 and len(group.folded) == 3


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"subject": "event/b"}, 5),
        ({"subject": "b"}, 5),
        ({"subject": f"{ID}event/b"}, 5),
        ({"property": "agent"}, 3 + 5),
        ({"property": "kz:agent"}, 8),
        ({"property": KZ + "agent"}, 8),
        ({"subject": "a", "property": "agent"}, 3),
        ({"subject": "nobody"}, 0),
    ],
)
def test_filters_name_a_subject_or_property_however_it_is_spelt(args: dict[str, str], expected: int) -> None:
    layout = layout_disagreements(ITEMS, args)
    assert layout["page"].total == expected
    assert layout["total"] == len(ITEMS) and layout["filtered"]
    if expected:
        selected = layout["selected"]
        assert isinstance(selected, dict)
        assert selected["subject"] in ("", "event/a", "event/b")
        assert selected["property"] in ("", "agent")
    # the pager keeps the filters
    assert all(name in dict(layout["page"].others) for name in args)


def test_a_claim_picks_its_page_and_its_first_position_gets_the_claim_anchor() -> None:
    layout = layout_disagreements(ITEMS, {"claim": "c0"})
    assert layout["page"].number == 2
    assert "claim" not in dict(layout["page"].others)
    anchors = layout["claim_anchors"]
    assert isinstance(anchors, dict)
    # "shared0" holds a position in several disagreements: only the first on the page gets the id
    shared = [a for a, claim_id in anchors.items() if claim_id == "claim-shared0"]
    assert shared == ["d-b-agent--shared0"]
    assert len(set(anchors.values())) == len(anchors)
    # an explicit page number wins; a claim in no disagreement is a 400 that says so
    assert layout_disagreements(ITEMS, {"claim": "c0", "page": "1"})["page"].number == 1
    with pytest.raises(BadRequest) as error:
        layout_disagreements(ITEMS, {"claim": "nope"})
    assert "claim='nope': no such claim in this list" in str(error.value.description)


def test_names_claim_takes_the_iri_or_the_id() -> None:
    iri = f"{ID}claim/001-x"
    assert names_claim(iri, iri) and names_claim(iri, "001-x")
    assert not names_claim(iri, "x") and not names_claim(iri, "claim/001")


def test_grouped_page_without_a_claim_finder_ignores_the_claim_parameter() -> None:
    page, _groups = grouped_page(list(range(40)), lambda n: (str(n % 2), str(n % 2)), {"claim": "x"}, "p", per_page=10)
    assert page.number == 1 and "claim" not in dict(page.others)


def _many(subject: str, prop: str, count: int) -> D:
    """A disagreement ``count`` claims hold positions in: two sides, the claims alternating."""
    d = _d(subject, prop)
    d.sides = [Side([], "yes"), Side([], "no", denied=True)]
    for n in range(count):
        claim = f"{subject}-{n:03d}"
        d.sides[n % 2].positions.append(Position(Source(T(f"{ID}claim/{claim}", claim)), f"d-{subject}--{claim}"))
    return d


def test_a_disagreement_with_more_claims_than_a_part_continues_on_the_next_pages() -> None:
    # 300 claims agreeing on one of two values (a death toll at 1M triples) and a small one beside
    big, small = _many("big", "figure", 300), _d("small", "agent", "s1", "s2")
    items = [big, small]
    per_part = 7
    first = layout_disagreements(items, {}, claims_per_part=per_part)
    pages = [first] + [
        layout_disagreements(items, {"page": str(n)}, claims_per_part=per_part)
        for n in range(2, first["page"].count + 1)
    ]
    rows = [row for page in pages for group in page["groups"] for row in group.rows]
    # every page is bounded by its page size: parts of at most per_part claims, DISAGREEMENTS_PER_PAGE a page
    for page in pages:
        on_page = [row for group in page["groups"] for row in group.rows]
        assert len(on_page) <= DISAGREEMENTS_PER_PAGE
        assert sum(len(row.positions) for row in on_page) <= DISAGREEMENTS_PER_PAGE * per_part
    # every position is on exactly one page, in parts numbered in order
    shown = [p.anchor for row in rows for p in row.positions]
    assert sorted(shown) == sorted(p.anchor for d in items for s in d.sides for p in s.positions)
    assert len(shown) == len(set(shown))
    parts = [row for row in rows if row.whole is big]
    assert [row.number for row in parts] == list(range(1, 44)) and {row.count for row in parts} == {43}
    assert parts[0].first == 1 and parts[-1].last == 300 and parts[-1].total == 300
    assert parts[0].anchor != parts[1].anchor and len({row.anchor for row in rows}) == len(rows)
    # a part shows both sides, each its first claim and the rest folded, the sides taking turns
    assert [(s.value, s.denied, len(s.shown)) for s in parts[0].sides] == [("yes", False, 1), ("no", True, 1)]
    assert sorted(len(s.positions) for s in parts[0].sides) == [3, 4]
    assert all(len(row.sides) == 2 and not row.again for row in parts)
    # the subject's heading counts disagreements, not parts; ?claim= opens the page of its part
    assert first["per_subject"][f"{ID}event/big"] == 1 and first["chosen"] == 2
    holding = [
        page["page"].number
        for page in pages
        if any(f"{ID}claim/big-299" in row.claims for g in page["groups"] for row in g.rows)
    ]
    wanted = layout_disagreements(items, {"claim": "big-299"}, claims_per_part=per_part)
    assert [wanted["page"].number] == holding
    assert "d-big--big-299" in wanted["claim_anchors"]


def test_by_default_a_disagreement_is_one_part_up_to_the_setting() -> None:
    whole = layout_disagreements([_many("big", "figure", CLAIMS_PER_PART)], {})
    assert [row.count for g in whole["groups"] for row in g.rows] == [1]
    cut = layout_disagreements([_many("big", "figure", CLAIMS_PER_PART + 1)], {})
    assert [row.count for g in cut["groups"] for row in g.rows] == [2, 2]
    # a setting below 1 still shows a claim per part
    assert layout_disagreements([_d("a", "agent", "x", "y")], {}, claims_per_part=0)["page"].total == 2


def _lopsided(subject: str, big: int, small: int) -> D:
    """A figure ``big`` claims give as 164 and ``small`` claims as 227."""
    d = _d(subject, "figure")
    d.sides = [Side([], "164"), Side([], "227")]
    for n in range(big + small):
        claim = f"{subject}-{n:03d}"
        side = d.sides[0] if n < big else d.sides[1]
        side.positions.append(Position(Source(T(f"{ID}claim/{claim}", claim)), f"d-{subject}--{claim}"))
    return d


def test_every_part_shows_every_side_and_counts_each_position_once() -> None:
    # the reviewer's case: 30 claims say 164 and 1 says 227; cut in IRI order across both sides,
    # parts 1 and 2 showed only 164 (rows disagreeing with nothing on screen)
    item = _lopsided("toll", 30, 1)
    per_part = 12
    first = layout_disagreements([item], {}, claims_per_part=per_part)
    pages = [first] + [
        layout_disagreements([item], {"page": str(n)}, claims_per_part=per_part)
        for n in range(2, first["page"].count + 1)
    ]
    rows = [row for page in pages for group in page["groups"] for row in group.rows]
    assert [len(row.positions) for row in rows] == [12, 12, 7]
    assert [(row.first, row.last, row.total) for row in rows] == [(1, 12, 31), (13, 24, 31), (25, 31, 31)]
    # every part shows both sides: the lone 227 is counted in part 1 and shown again after, not counted
    lone = item.sides[1].positions[0]
    for row in rows:
        assert [s.value for s in row.sides] == ["164", "227"], row.number
        (dissent,) = [s for s in row.sides if s.value == "227"]
        if row.number == 1:
            assert dissent.positions == [lone] and not dissent.again
        else:
            assert dissent.positions == [] and dissent.again == [lone] and dissent.shown == []
            assert lone not in row.positions and lone.claim.claim.value not in row.claims
    # every counted position on exactly one part; the repeat gets no claim anchor
    counted = [p.anchor for row in rows for p in row.positions]
    assert sorted(counted) == sorted(p.anchor for s in item.sides for p in s.positions)
    assert len(counted) == len(set(counted))
    assert sum(lone.anchor in page["claim_anchors"] for page in pages) == 1  # type: ignore[operator]
    # ?claim= opens the page of the part that counts the claim, the lone one's being part 1's
    for row in rows:
        for claim in row.claims:
            wanted = layout_disagreements([item], {"claim": claim}, claims_per_part=per_part)
            assert [r.number for g in wanted["groups"] for r in g.rows if claim in r.claims] == [row.number]
    assert layout_disagreements([item], {"claim": "toll-030"}, claims_per_part=per_part)["page"].number == 1


def test_a_part_of_many_sides_shows_each_and_counts_at_most_its_share() -> None:
    # more sides than a part counts: each part still shows every side, one claim each
    item = _d("many", "figure")
    item.sides = [
        Side(
            [Position(Source(T(f"{ID}claim/m{v}-{n}", f"m{v}-{n}")), f"d-many--m{v}-{n}") for n in range(v + 1)], str(v)
        )
        for v in range(5)
    ]
    layout = layout_disagreements([item], {}, claims_per_part=3)
    rows = [row for g in layout["groups"] for row in g.rows]
    # 15 positions on sides of 1 to 5: each part takes the next of every side that has one left
    assert layout["page"].count == 1 and [len(row.positions) for row in rows] == [5, 4, 3, 3]
    assert all(len(row.sides) == 5 for row in rows)
    assert all(len(row.positions) <= 5 for row in rows)  # max(per part, sides)
    counted = [p.anchor for row in rows for p in row.positions]
    assert sorted(counted) == sorted(p.anchor for s in item.sides for p in s.positions)


@pytest.mark.parametrize("raw", ["0", "-3"])
def test_a_part_of_no_claim_is_refused_at_start_up(raw: str) -> None:
    with pytest.raises(
        SettingsError, match=re.escape(f"KZKG_DISAGREEMENT_CLAIMS={raw!r}: expected an integer of at least 1")
    ):
        from_environment({"KZKG_DISAGREEMENT_CLAIMS": raw})
    assert from_environment({"KZKG_DISAGREEMENT_CLAIMS": "1"}) == {"DISAGREEMENT_CLAIMS": 1}
