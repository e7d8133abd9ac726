"""server/page_layout.py: grouping, pagination and pair de-duplication of the resource pages' lists.

Pure functions, so they are checked on small hand-made rows here; tests/test_pages_browser.py
checks the pages that use them on the real corpus in a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import pytest
from werkzeug.exceptions import BadRequest

from kzkg_server import page_layout
from kzkg_server.page_layout import claim_pairs, grouped_page, merge_referrers, page_number, paginate, pair_counts


@dataclass
class T:
    value: str
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or self.value


@dataclass
class Row:
    claim: T
    contradicts: list[T] = field(default_factory=list)
    corroborates: list[T] = field(default_factory=list)


@dataclass
class Fact:
    predicate: T
    values: list[T]


def test_paginate_cuts_at_fixed_positions_and_keeps_every_row() -> None:
    rows = list(range(1, 71))
    seen = []
    for number in (1, 2, 3):
        page = paginate(rows, {"claims_page": str(number)}, "claims_page", per_page=30)
        assert page.number == number and page.count == 3 and page.total == 70
        assert page.first == (number - 1) * 30 + 1 and page.last == min(number * 30, 70)
        seen += page.rows
    assert seen == rows
    # no parameter: the first page; an empty list still has one (empty) page
    assert paginate(rows, {}, "claims_page", per_page=30).rows == rows[:30]
    empty: page_layout.Page[int] = paginate([], {}, "claims_page")
    assert (empty.count, empty.rows, empty.first, empty.last) == (1, [], 0, 0)


@pytest.mark.parametrize("raw", ["0", "4", "-1", "two", "1.5", " 2"])
def test_a_page_that_does_not_exist_is_a_400_naming_the_pages(raw: str) -> None:
    with pytest.raises(BadRequest) as error:
        page_number({"claims_page": raw}, "claims_page", 3)
    assert f"claims_page={raw!r}" in str(error.value.description)
    assert "1–3" in str(error.value.description)


def test_pager_links_keep_the_other_parameters() -> None:
    page = paginate(list(range(100)), {"pairs_page": "2", "claims_page": "3"}, "claims_page", per_page=30)
    assert page.href(2) == "?pairs_page=2&claims_page=2"
    assert page.href(1) == "?pairs_page=2"  # page 1 is the plain URL
    assert paginate(list(range(100)), {}, "claims_page").href(1) == "?"


def test_groups_biggest_first_each_row_once_and_pages_break_between_groups() -> None:
    who = {f"c{i}": ("ann" if i < 5 else "bob" if i < 12 else "cy") for i in range(14)}
    rows = [T(f"c{i}") for i in range(14)]

    def key(row: T) -> tuple[str, str]:
        return who[row.value], who[row.value].title()

    first, groups = grouped_page(rows, key, {}, "p", per_page=10, fold_after=3)
    # Bob's 7 and Ann's 5 do not fit one page of 10: Ann starts page 2 instead of being cut
    assert [(g.label, g.total, len(g.rows), g.earlier) for g in groups] == [("Bob", 7, 7, 0)]
    assert [r.value for r in groups[0].shown] == ["c5", "c6", "c7"]
    assert [r.value for r in groups[0].folded] == ["c8", "c9", "c10", "c11"]
    second, groups = grouped_page(rows, key, {"p": "2"}, "p", per_page=10, fold_after=3)
    assert [(g.label, g.total, len(g.rows), g.earlier) for g in groups] == [("Ann", 5, 5, 0), ("Cy", 2, 2, 0)]
    assert (first.count, second.count, first.total, second.first, second.last) == (2, 2, 14, 8, 14)


def test_a_group_longer_than_a_page_is_cut_into_whole_pages() -> None:
    assert page_layout.group_bounds([25, 3, 9], 10) == [(0, 10), (10, 20), (20, 28), (28, 37)]
    assert page_layout.group_bounds([4, 4, 2], 10) == [(0, 10)]
    assert page_layout.group_bounds([], 10) == [(0, 0)]
    rows = [T(f"c{i:02}") for i in range(28)]

    def key(row: T) -> tuple[str, str]:
        return ("big", "Big") if int(row.value[1:]) < 25 else ("small", "Small")

    seen = []
    for number in (1, 2, 3):
        page, groups = grouped_page(rows, key, {"p": str(number)}, "p", per_page=10)
        assert page.count == 3
        seen += [r.value for g in groups for r in g.rows]
        assert groups[0].label == "Big" and groups[0].earlier == (number - 1) * 10 and groups[0].total == 25
    assert [g.label for g in groups] == ["Big", "Small"]  # the rest of Big shares page 3 with Small
    assert seen == [r.value for r in rows]


def test_a_contradiction_is_listed_once_whichever_claim_states_it() -> None:
    a, b, c, d = T("a", "Alpha"), T("b", "Beta"), T("c", "Gamma"), T("d", "Delta")
    rows = [
        Row(a, contradicts=[b, d], corroborates=[c]),
        Row(b, contradicts=[a]),  # the same pair, the other way round (the reasoner's symmetric copy)
        Row(c, corroborates=[a]),
    ]
    pairs = claim_pairs(rows)
    assert [(p.kind, {p.one.value, p.other.value}) for p in pairs] == [
        ("contradicts", {"a", "b"}),
        ("contradicts", {"a", "d"}),
        ("corroborates", {"a", "c"}),
    ]
    outside = next(p for p in pairs if "d" in (p.one.value, p.other.value))
    assert not outside.both_listed and outside.one.value == "a"  # the listed claim first
    assert all(p.both_listed for p in pairs if p is not outside)
    counts = pair_counts(pairs)
    assert counts["a"] == {"contradicts": 2, "corroborates": 1}
    assert counts["b"] == {"contradicts": 1, "corroborates": 0}


def test_referrers_merge_super_properties_and_count_claims_listed_above() -> None:
    about, schema_about, actor = T("kz:about", "about"), T("schema:about", "schema:about"), T("kz:actor", "actor")
    claims = [T("claim/1"), T("claim/2")]
    roles = [T("role/1"), T("role/2")]
    merged = merge_referrers(
        [Fact(about, [*claims, T("note/1")]), Fact(schema_about, [T("note/1"), *claims]), Fact(actor, roles)],
        listed=["claim/1", "claim/2"],
    )
    assert [[p.label for p in m.predicates] for m in merged] == [["about", "schema:about"], ["actor"]]
    assert [v.value for v in merged[0].values] == ["note/1"] and merged[0].listed == 2
    assert [v.value for v in merged[1].values] == ["role/1", "role/2"] and merged[1].listed == 0


def test_layout_groups_by_claimant_unless_one_voice_dominates_then_by_topic() -> None:
    @dataclass
    class Sources:
        claimants: list[T]
        articles: list[T]

    this = "id/x"
    march, almaty, umbrella = T("id/event/march", "the march"), T("id/almaty", "Almaty"), T("id/event/all", "All")
    rows = [Row(T(f"c{i:02}")) for i in range(24)]
    sources = {r.claim.value: Sources([T("id/x", "X")], [T("a1", "Article 1")]) for r in rows}
    topics: dict[str, list[T]] = {}
    for i, r in enumerate(rows):
        # every claim is about the page's resource and the umbrella event; some about the march or Almaty
        topics[r.claim.value] = [T(this), umbrella] + ([march, almaty] if i < 5 else [almaty] if i < 9 else [])
    context = page_layout.layout_resource(rows, sources, [], {}, this, topics)
    assert context["claims_grouped_by"] == "topic"  # one claimant holds them all
    groups = cast("list[page_layout.Group[Row]]", context["claim_groups"])
    # events first, the rarest (most specific) event before the umbrella; the page itself never a topic
    assert [(g.label, g.total) for g in groups] == [("All", 19), ("the march", 5)]
    # the reader's choice wins, and an unknown grouping is refused by name
    chosen = page_layout.layout_resource(rows, sources, [], {"group": "claimant"}, this, topics)
    assert chosen["claims_grouped_by"] == "claimant"
    links = cast("list[tuple[str, str, bool]]", chosen["grouping_links"])
    assert ("topic", "?group=topic", False) in links and ("claimant", "?group=claimant", True) in links
    with pytest.raises(BadRequest, match="group='who'"):
        page_layout.layout_resource(rows, sources, [], {"group": "who"}, this, topics)
    # a short list, or several voices: by claimant
    few = page_layout.layout_resource(rows[:5], sources, [], {}, this, topics)
    assert few["claims_grouped_by"] == "claimant"


def test_topics_query_lists_each_claim_once() -> None:
    assert page_layout.topics_query([]) is None
    query = page_layout.topics_query(["https://e/c/2", "https://e/c/1", "https://e/c/2"])
    assert query is not None and "{ <https://e/c/1> <https://e/c/2> }" in query
