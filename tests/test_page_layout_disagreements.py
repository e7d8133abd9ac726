"""server/page_layout.py's /disagreements layout and ``?claim=``, on hand-made rows.

tests/test_pages_lists.py checks the page itself on the real corpus over HTTP, and
tests/test_pages_browser.py in Chromium.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from werkzeug.exceptions import BadRequest

from kzkg_server.page_layout import DISAGREEMENTS_PER_PAGE, grouped_page, layout_disagreements, names_claim

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


@dataclass
class Side:
    positions: list[Position]


@dataclass
class D:
    """A disagreement as the page code's DisagreementView offers it to the layout."""

    subject: T
    property: T
    subject_id: str
    property_id: str
    sides: list[Side] = field(default_factory=list)

    @property
    def claims(self) -> list[str]:
        return [p.claim.claim.value for s in self.sides for p in s.positions]


@dataclass
class Source:
    claim: T


def _d(subject: str, prop: str, *claims: str) -> D:
    positions = [Position(Source(T(f"{ID}claim/{c}", c)), f"d-{subject}-{prop}--{c}") for c in claims]
    return D(
        T(f"{ID}event/{subject}", subject.title()), T(KZ + prop, prop), f"event/{subject}", prop, [Side(positions)]
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
    seen = [d for page in pages for group in page["groups"] for d in group.rows]
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
