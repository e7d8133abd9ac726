"""How long lists on the resource pages are laid out: grouped, paginated, each pair listed once.

A person with 120 claims, an event with 100, an article with 80 evidence quotes made pages of
10,000–60,000 px that a reader scrolled past (issue #14). These functions decide *what* goes where;
the templates only print it. They are pure (rows in, layout out), so they are tested without a
server, and they never drop anything: a group says how many it holds, a page how many there are,
and every row is on exactly one page.

The rows are the page code's own dataclasses; this module reads only the attributes named in the
protocols below, so it does not import them (and does not care where the page code lives).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar
from urllib.parse import urlencode

from werkzeug.exceptions import BadRequest

# A claims section shows this many claims per page: with groups folded after FOLD_AFTER rows, a
# page of them stays within a screen or two on a phone, and a reader rarely needs page 2.
CLAIMS_PER_PAGE = 30
# Each group shows this many entries; the rest are one click away in a <details> (no script).
FOLD_AFTER = 3
# A value list in "Referred to by" longer than this is folded.
FOLD_VALUES_AFTER = 6


class Linked(Protocol):
    """A printable term: an IRI (``value``) with a ``label`` (the page code's TermView)."""

    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...


class ClaimLike(Protocol):
    """A claim in a list: the claim and the claims it contradicts or corroborates."""

    @property
    def claim(self) -> Linked: ...

    @property
    def contradicts(self) -> Sequence[Linked]: ...

    @property
    def corroborates(self) -> Sequence[Linked]: ...


Row = TypeVar("Row")
Claim = TypeVar("Claim", bound=ClaimLike)


# --------------------------------------------------------------------------------------------
# pagination


@dataclass
class Page(Generic[Row]):
    """One page of a list: its rows and what a pager needs to link the others."""

    rows: list[Row]
    number: int  # 1-based
    count: int  # how many pages the list has (at least 1)
    total: int  # how many rows the whole list has
    first: int  # 1-based position of rows[0] in the whole list (0 when empty)
    param: str  # the query-string parameter that names the page (``claims_page``)
    others: tuple[tuple[str, str], ...] = ()  # the request's other parameters, kept in the pager's links

    def href(self, number: int) -> str:
        """The link to page ``number``: page 1 has no parameter, so the plain URL stays the first page."""
        query = list(self.others) + ([(self.param, str(number))] if number > 1 else [])
        return "?" + urlencode(query) if query else "?"

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def numbers(self) -> range:
        return range(1, self.count + 1)


def page_number(args: Mapping[str, str], param: str, count: int) -> int:
    """The page a request asks for (``?claims_page=2``); 1 without one.

    A value that names no page of this list is a 400 that says which pages exist, rather than an
    empty page that looks like "no claims" to whoever follows a stale citation.
    """
    raw = args.get(param)
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= count:
        pages = "1" if count == 1 else f"1–{count}"
        raise BadRequest(f"{param}={raw!r}: no such page; this list has page{'s' if count > 1 else ''} {pages}")
    return int(raw)


def paginate(rows: Sequence[Row], args: Mapping[str, str], param: str, per_page: int = CLAIMS_PER_PAGE) -> Page[Row]:
    """The page of ``rows`` the request names, cut at fixed positions so a page's URL stays stable."""
    bounds = [(start, min(start + per_page, len(rows))) for start in range(0, len(rows), per_page)]
    return page_at(rows, bounds, args, param)


def page_at(
    rows: Sequence[Row],
    bounds: Sequence[tuple[int, int]],
    args: Mapping[str, str],
    param: str,
    holds: Callable[[Row, str], bool] | None = None,
) -> Page[Row]:
    """The page the request names, of a list cut at ``bounds`` (start, end) positions.

    Without a page number, ``?claim=<id>`` (when the list can say which row ``holds`` a claim)
    picks the page that holds that claim: a link to a row on a later page (``#claim-…``, which a
    fragment alone cannot reach) becomes ``?claim=…#claim-…``. The pager's links drop ``claim``,
    so page 1 is page 1 again.
    """
    bounds = list(bounds) or [(0, 0)]
    wanted = args.get(CLAIM_PARAM, "") if holds is not None else ""
    if wanted and not args.get(param):
        number = _page_holding(rows, bounds, lambda row: holds(row, wanted) if holds else False)
        if number is None:
            raise BadRequest(f"{CLAIM_PARAM}={wanted!r}: no such claim in this list")
    else:
        number = page_number(args, param, len(bounds))
    start, end = bounds[number - 1]
    chunk = list(rows[start:end])
    others = tuple((name, value) for name, value in args.items() if name not in (param, CLAIM_PARAM))
    return Page(chunk, number, len(bounds), len(rows), start + 1 if chunk else 0, param, others)


# ``?claim=`` names a claim by its IRI or by what follows ``…/id/claim/`` (the ``#claim-`` anchor's id).
CLAIM_PARAM = "claim"


def _page_holding(rows: Sequence[Row], bounds: Sequence[tuple[int, int]], found: Callable[[Row], bool]) -> int | None:
    for number, (start, end) in enumerate(bounds, 1):
        if any(found(row) for row in rows[start:end]):
            return number
    return None


def names_claim(iri: str, wanted: str) -> bool:
    """Whether ``?claim=wanted`` names the claim ``iri``: the IRI itself or its id after ``/claim/``."""
    return iri == wanted or iri.endswith("/claim/" + wanted)


def claim_anchor(iri: str) -> str:
    """A claim row's HTML id, ``claim-<id>``: the id a link ``#claim-<id>`` and ``?claim=<id>`` use."""
    return "claim-" + iri.rsplit("/claim/", 1)[-1]


# --------------------------------------------------------------------------------------------
# groups folded after their first entries


@dataclass
class Group(Generic[Row]):
    """Rows that share a key (a claimant, an article), shown first few, the rest folded."""

    key: str
    label: str
    rows: list[Row]
    total: int  # rows of the group in the whole list, not just on this page
    earlier: int = 0  # rows of the group on earlier pages
    fold_after: int = FOLD_AFTER

    @property
    def shown(self) -> list[Row]:
        return self.rows[: self.fold_after]

    @property
    def folded(self) -> list[Row]:
        return self.rows[self.fold_after :]

    @property
    def anchor(self) -> str:
        return "group-" + "".join(ch if ch.isalnum() else "-" for ch in self.key.rsplit("/", 1)[-1].lower())


def group_rows(rows: Sequence[Row], key: Callable[[Row], tuple[str, str]]) -> list[tuple[str, str, list[Row]]]:
    """Rows by ``key(row) → (key, label)``: the biggest group first, then by label; rows keep their order.

    Each row is in exactly one group (its key is one value, never one group per claimant of a
    claim with two), so grouping never repeats a row.
    """
    found: dict[str, tuple[str, list[Row]]] = {}
    for row in rows:
        name, label = key(row)
        found.setdefault(name, (label, []))[1].append(row)
    return sorted(
        ((name, label, members) for name, (label, members) in found.items()),
        key=lambda g: (-len(g[2]), g[1].lower(), g[0]),
    )


def group_bounds(sizes: Iterable[int], per_page: int) -> list[tuple[int, int]]:
    """Page bounds over groups laid end to end: a group starts a new page rather than being cut
    when the page holds something already and the group would overflow it; a group longer than a
    page is cut into whole pages, and what is left of it shares its page with the next groups."""
    bounds: list[tuple[int, int]] = []
    start = position = 0
    for size in sizes:
        if position > start and position - start + size > per_page:
            bounds.append((start, position))
            start = position
        position += size
        while position - start > per_page:
            bounds.append((start, start + per_page))
            start += per_page
    if position > start or not bounds:
        bounds.append((start, position))
    return bounds


def grouped_page(
    rows: Sequence[Row],
    key: Callable[[Row], tuple[str, str]],
    args: Mapping[str, str],
    param: str,
    per_page: int = CLAIMS_PER_PAGE,
    fold_after: int = FOLD_AFTER,
    holds: Callable[[Row, str], bool] | None = None,
) -> tuple[Page[Row], list[Group[Row]]]:
    """Group the rows, lay the groups end to end, cut that into pages, and regroup one page.

    Pages break between groups (:func:`group_bounds`), so a group is split only when it is longer
    than a page; the part on a later page says how many of its rows came before.
    """
    groups = group_rows(rows, key)
    ordered = [row for _name, _label, members in groups for row in members]
    page = page_at(ordered, group_bounds((len(m) for _n, _l, m in groups), per_page), args, param, holds)
    on_page: list[Group[Row]] = []
    position = 0
    start = page.first - 1
    end = start + len(page.rows)
    for name, label, members in groups:
        lo, hi = max(position, start), min(position + len(members), end)
        if lo < hi:
            part = list(members[lo - position : hi - position])
            on_page.append(Group(name, label, part, len(members), lo - position, fold_after))
        position += len(members)
    return page, on_page


# --------------------------------------------------------------------------------------------
# contradictions and corroborations: each pair once


@dataclass
class Pair:
    """Two claims that contradict (or corroborate) each other, whichever of them states it."""

    kind: str  # "contradicts" | "corroborates"
    one: Linked
    other: Linked
    both_listed: bool  # both claims are in the page's list (else ``other`` is a claim elsewhere)


def claim_pairs(rows: Iterable[ClaimLike]) -> list[Pair]:
    """Every contradiction and corroboration among the rows' claims, each unordered pair once.

    kz:contradicts and kz:corroborates are symmetric, so a page listing both claims of a pair used
    to print the pair in each claim's row. Here the pair is kept once, under the claim that comes
    first by label; contradictions first, since they are what a reader looks for.
    """
    rows = list(rows)
    listed = {row.claim.value for row in rows}
    seen: set[tuple[str, frozenset[str]]] = set()
    pairs: list[Pair] = []
    for row in rows:
        for kind, others in (("contradicts", row.contradicts), ("corroborates", row.corroborates)):
            for other in others:
                key = (kind, frozenset((row.claim.value, other.value)))
                if other.value == row.claim.value or key in seen:
                    continue
                seen.add(key)
                one, two = sorted((row.claim, other), key=lambda t: (t.label.lower(), t.value))
                if two.value in listed and one.value not in listed:
                    one, two = two, one
                pairs.append(Pair(kind, one, two, other.value in listed))
    pairs.sort(key=lambda p: (p.kind != "contradicts", p.one.label.lower(), p.other.label.lower(), p.one.value))
    return pairs


def pair_counts(pairs: Iterable[Pair]) -> dict[str, dict[str, int]]:
    """For each claim, how many pairs of each kind it is in (the row's "contradicts 2")."""
    counts: dict[str, dict[str, int]] = {}
    for pair in pairs:
        for term in (pair.one, pair.other):
            bucket = counts.setdefault(term.value, {"contradicts": 0, "corroborates": 0})
            bucket[pair.kind] += 1
    return counts


# --------------------------------------------------------------------------------------------
# "Referred to by": one row per set of referrers, claims listed above not repeated


class FactLike(Protocol):
    """A predicate with its values (the page code's FactGroup)."""

    @property
    def predicate(self) -> Linked: ...

    @property
    def values(self) -> Sequence[Linked]: ...


Fact = TypeVar("Fact", bound=FactLike)


@dataclass
class Referrers(Generic[Fact]):
    """Predicates that link the same resources to this one (``about`` and the inferred
    ``schema:about``), printed as one row; ``listed`` of them are claims the page lists above."""

    predicates: list[Linked]
    values: list[Linked]
    listed: int = 0
    fold_after: int = FOLD_VALUES_AFTER
    groups: list[Fact] = field(default_factory=list)

    @property
    def shown(self) -> list[Linked]:
        return self.values[: self.fold_after]

    @property
    def folded(self) -> list[Linked]:
        return self.values[self.fold_after :]


def merge_referrers(groups: Iterable[Fact], listed: Iterable[str] = ()) -> list[Referrers[Fact]]:
    """Merge predicates with the same referrers and leave out the claims listed elsewhere on the page.

    The build adds super-properties (kz:about → schema:about, kz:claimedBy →
    prov:wasAttributedTo, kz:partOf → sem:subEventOf), so "Referred to by" printed each list of
    links twice or three times. Claims the page lists in its claims section are counted, not
    repeated (``listed``); everything else stays.
    """
    listed_set = set(listed)
    merged: dict[tuple[str, ...], Referrers[Fact]] = {}
    for group in groups:
        key = tuple(sorted(v.value for v in group.values))
        entry = merged.get(key)
        if entry is None:
            kept = [v for v in group.values if v.value not in listed_set]
            entry = merged[key] = Referrers([], kept, len(group.values) - len(kept))
        entry.predicates.append(group.predicate)
        entry.groups.append(group)
    return list(merged.values())


# --------------------------------------------------------------------------------------------
# a resource page's lists, laid out in one call from the page code


class SourcesLike(Protocol):
    """Who made a claim and where it is reported (the page code's SourceClaim)."""

    @property
    def claimants(self) -> Sequence[Linked]: ...

    @property
    def articles(self) -> Sequence[Linked]: ...


PAIRS_PER_PAGE = 30


def _first(terms: Sequence[Linked], none: str) -> tuple[str, str]:
    if not terms:
        return "", none
    return " ".join(t.value for t in terms), " · ".join(t.label for t in terms)


# What each listed claim is about, for grouping by topic: one query for all of them (VALUES).
TOPICS_QUERY = "SELECT ?claim ?topic WHERE { VALUES ?claim { %s } ?claim kz:about ?topic FILTER(isIRI(?topic)) }"
GROUPINGS = ("claimant", "topic", "article")
# Group by topic instead of claimant when one claimant holds more than this share of a list at
# least MIN_CLAIMS_FOR_TOPICS long: one group of 120 tells a reader nothing a heading could.
ONE_VOICE = 0.5
MIN_CLAIMS_FOR_TOPICS = 20


def topics_query(claims: Iterable[str]) -> str | None:
    """The SPARQL for :data:`TOPICS_QUERY` over these claim IRIs, or None when there are none.

    The IRIs come from the store (ox.NamedNode values), which cannot hold ``>`` or spaces, so
    writing them as ``<…>`` tokens cannot inject anything.
    """
    iris = sorted(set(claims))
    return TOPICS_QUERY % " ".join(f"<{iri}>" for iri in iris) if iris else None


def topic_of(topics: Sequence[Linked], this: str, frequency: Mapping[str, int]) -> Linked | None:
    """The one topic a claim is filed under: an event before anything else (a claim "about Almaty
    and the Tole Bi march" is about the march), then the rarest in the list (the most specific:
    not the umbrella "Bloody January" every other claim is also about), then by label. The page's
    own resource is never a topic: on Tokayev's page every claim is about him."""
    others = [t for t in topics if t.value != this]
    if not others:
        return None
    return min(others, key=lambda t: ("/event/" not in t.value, frequency.get(t.value, 0), t.label.lower(), t.value))


def grouping(args: Mapping[str, str], claims: Sequence[Claim], by_claimant: Callable[[Claim], tuple[str, str]]) -> str:
    """The reader's ``?group=`` or, without one, claimant unless one voice dominates a long list."""
    chosen = args.get("group")
    if chosen:
        if chosen not in GROUPINGS:
            raise BadRequest(f"group={chosen!r}: claims can be grouped by {', '.join(GROUPINGS)}")
        return chosen
    groups = group_rows(claims, by_claimant)
    if groups and len(claims) >= MIN_CLAIMS_FOR_TOPICS and len(groups[0][2]) > ONE_VOICE * len(claims):
        return "topic"
    return "claimant"


def grouping_links(args: Mapping[str, str], current: str) -> list[tuple[str, str, bool]]:
    """(name, href, is current) for the "Group by" switch; switching starts again at page 1."""
    kept = [(k, v) for k, v in args.items() if k not in ("group", "claims_page", CLAIM_PARAM)]
    return [(name, "?" + urlencode([*kept, ("group", name)]), name == current) for name in GROUPINGS]


def layout_resource(
    claims: Sequence[Claim],
    sources: Mapping[str, SourcesLike],
    facts_in: Iterable[Fact],
    args: Mapping[str, str],
    this: str,
    topics: Mapping[str, Sequence[Linked]] | None = None,
) -> dict[str, object]:
    """The template context of a resource page's claims, pairs and referrers.

    Claims are grouped by who made them (what a reader of "who claimed what" looks for first);
    where one claimant made most of a long list (an author's page, an article written mostly in
    its authors' voice), by topic instead. ``?group=claimant|topic|article`` lets the reader choose.
    """
    topics = topics or {}
    frequency: dict[str, int] = {}
    for row in claims:
        for topic in topics.get(row.claim.value, ()):
            frequency[topic.value] = frequency.get(topic.value, 0) + 1

    def by_claimant(row: Claim) -> tuple[str, str]:
        found = sources.get(row.claim.value)
        return _first(found.claimants if found else [], "no claimant recorded")

    def by_article(row: Claim) -> tuple[str, str]:
        found = sources.get(row.claim.value)
        return _first(found.articles[:1] if found else [], "in no article")

    def by_topic(row: Claim) -> tuple[str, str]:
        topic = topic_of(topics.get(row.claim.value, ()), this, frequency)
        return (topic.value, topic.label) if topic else ("", "no other subject")

    chosen = grouping(args, claims, by_claimant)
    key = {"claimant": by_claimant, "topic": by_topic, "article": by_article}[chosen]
    page, groups = grouped_page(
        claims, key, args, "claims_page", holds=lambda row, wanted: names_claim(row.claim.value, wanted)
    )
    pairs = claim_pairs(claims)
    # the pairs' pager keeps the claims page, also when ?claim= chose it
    pairs_args = {name: value for name, value in args.items() if name != CLAIM_PARAM}
    if page.number > 1:
        pairs_args["claims_page"] = str(page.number)
    pairs_page = paginate(pairs, pairs_args, "pairs_page", PAIRS_PER_PAGE)
    return {
        "claims_page": page,
        "claim_groups": groups,
        "claims_grouped_by": chosen,
        "grouping_links": grouping_links(args, chosen),
        "pairs": pairs_page,
        "pair_counts": pair_counts(pairs),
        "referrers": merge_referrers(facts_in, (row.claim.value for row in claims)),
    }


# --------------------------------------------------------------------------------------------
# /disagreements: by subject, filtered by the query string, a page of whole subjects at a time


class DisagreementLike(Protocol):
    """A computed disagreement (the page code's DisagreementView)."""

    @property
    def subject(self) -> Linked: ...

    @builtins.property  # the attribute below shadows the builtin in the class body
    def property(self) -> Linked: ...

    @builtins.property
    def subject_id(self) -> str: ...

    @builtins.property
    def property_id(self) -> str: ...

    @builtins.property
    def claims(self) -> Sequence[str]: ...


Disagreement = TypeVar("Disagreement", bound=DisagreementLike)

# Whole disagreements per page (each shows one claim per side, so a page stays a few screens);
# within a subject, the first FOLD_AFTER disagreements show and the rest fold.
DISAGREEMENTS_PER_PAGE = 8
DISAGREEMENTS_PAGE = "page"


@dataclass
class Option:
    """One choice of a filter: the value the query string carries, its label, how many it selects."""

    value: str
    label: str
    count: int


def _matches_subject(item: DisagreementLike, wanted: str) -> bool:
    """``?subject=`` as the subject's IRI, its path after /id/ (``event/bloody-january``) or its last
    segment (``bloody-january``, as in the disagreement's own IRI)."""
    return wanted in (item.subject.value, item.subject_id, item.subject_id.rsplit("/", 1)[-1])


def _matches_property(item: DisagreementLike, wanted: str) -> bool:
    """``?property=`` as the property's IRI, its local name (``startDate``) or ``kz:startDate``."""
    return wanted in (item.property.value, item.property_id, "kz:" + item.property_id)


def _options(items: Sequence[Disagreement], value: Callable[[Disagreement], tuple[str, str]]) -> list[Option]:
    labels: dict[str, str] = {}
    counts: dict[str, int] = {}
    for item in items:
        name, label = value(item)
        labels[name] = label
        counts[name] = counts.get(name, 0) + 1
    return sorted(
        (Option(name, labels[name], counts[name]) for name in counts), key=lambda o: (o.label.lower(), o.value)
    )


def first_claim_anchors(rows: Iterable[object]) -> dict[str, str]:
    """``{position anchor: "claim-<id>"}`` for the first position of each claim in page order.

    A claim can hold positions in several disagreements (a denial of a bulletin denies each of its
    figures); an HTML id must be unique, so ``#claim-<id>`` lands on the first of them.
    """
    found: dict[str, str] = {}
    seen: set[str] = set()
    for row in rows:
        for side in getattr(row, "sides", ()):
            for position in side.positions:
                iri = position.claim.claim.value
                if iri not in seen:
                    seen.add(iri)
                    found[position.anchor] = claim_anchor(iri)
    return found


def layout_disagreements(items: Sequence[Disagreement], args: Mapping[str, str]) -> dict[str, object]:
    """The template context of /disagreements: the filtered disagreements grouped by their subject
    (the event or person), one page of whole subjects, and the filters' choices.

    ``?subject=`` and ``?property=`` filter (a cited view is a URL), ``?page=N`` pages, and
    ``?claim=<id>`` opens the page holding a claim. A filter that selects nothing is an empty
    page that says so and links to the whole list, not an error: after a rebuild a disagreement
    can be resolved.
    """
    subject = args.get("subject", "").strip()
    prop = args.get("property", "").strip()
    chosen = [
        item
        for item in items
        if (not subject or _matches_subject(item, subject)) and (not prop or _matches_property(item, prop))
    ]
    page, groups = grouped_page(
        chosen,
        lambda item: (item.subject.value, item.subject.label),
        args,
        DISAGREEMENTS_PAGE,
        per_page=DISAGREEMENTS_PER_PAGE,
        holds=lambda item, wanted: any(names_claim(claim, wanted) for claim in item.claims),
    )
    return {
        "page": page,
        "groups": groups,
        "filters": {"subject": subject, "property": prop},
        # the form's choices as the filters name them, however the URL spelled them
        "selected": {
            "subject": next((item.subject_id for item in items if subject and _matches_subject(item, subject)), ""),
            "property": next((item.property_id for item in items if prop and _matches_property(item, prop)), ""),
        },
        "filtered": bool(subject or prop),
        "total": len(items),
        "subject_options": _options(items, lambda item: (item.subject_id, item.subject.label)),
        "property_options": _options(items, lambda item: (item.property_id, item.property.label)),
        "claim_anchors": first_claim_anchors(row for group in groups for row in group.rows),
    }
