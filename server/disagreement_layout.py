"""How /disagreements is laid out: by subject, filtered by the query string, a page of whole subjects at a time.

Like :mod:`kzkg_server.page_layout` (whose paging and folding it shares), pure: rows in, layout out,
and nothing dropped — every position of every disagreement is on exactly one page, and a folded
group says how many it holds. A disagreement that more claims hold positions in than a page shows
(at 1M triples, hundreds agree on one death toll) is cut into parts, each a row of the list: each
side's positions cut separately and every part showing every side (see :func:`parts`), so a page
holds at most DISAGREEMENTS_PER_PAGE × (the positions one part counts + one per side shown again).
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from .page_layout import Linked, claim_anchor, grouped_page, names_claim
from .settings import BY_NAME


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
    def held_positions(self) -> Sequence[tuple[str, str, str]]:
        """``(side, claim, position)`` for every position, from the index: ``side`` any key equal
        for positions that give (or deny) the same value, ``position`` the position's IRI."""
        ...


Disagreement = TypeVar("Disagreement", bound=DisagreementLike)

# Disagreements (or parts of one) per page (each shows one claim per side, so a page stays a few
# screens); within a subject, the first FOLD_AFTER disagreements show and the rest fold.
DISAGREEMENTS_PER_PAGE = 8
DISAGREEMENTS_PAGE = "page"
# The claims one part of a disagreement counts: the server passes its DISAGREEMENT_CLAIMS setting;
# by default every disagreement of the real corpus (8 claims at most) is one part.
CLAIMS_PER_PART: int = BY_NAME["DISAGREEMENT_CLAIMS"].default


@dataclass
class PartSide:
    """A side of a disagreement as one part shows it: the positions the part counts, and (when the
    side's claims all went to earlier parts) its first position again, so no part shows a side alone."""

    value: str
    denied: bool
    positions: list[Any]  # counted here, and on no other part
    again: list[Any]  # shown again from part 1, not counted

    @builtins.property
    def shown(self) -> list[Any]:
        return self.positions[:1]

    @builtins.property
    def folded(self) -> list[Any]:
        return self.positions[1:]


@dataclass
class DisagreementPart(Generic[Disagreement]):
    """A disagreement as a row of the list: the whole of it, or one part of its positions.

    Parts are cut from the index (so the index alone chooses a page): each side's positions are
    cut separately and every part holds at least one position of every side — the next one the
    side has, or else its first again (``again``, marked, not counted) — so no part shows claims
    that disagree with nothing on screen. The template reads a part as it reads a disagreement.
    """

    whole: Disagreement
    held: list[str]  # the positions (IRIs) this part counts: each is counted by exactly one part
    claims: list[str]  # their claims (``?claim=`` finds a claim's part by them)
    again: list[str] = field(default_factory=list)  # positions shown again from part 1, not counted
    number: int = 1  # 1-based
    count: int = 1  # parts of the disagreement
    first: int = 1  # 1-based number of the part's first counted position among the disagreement's
    total: int = 0  # positions of the disagreement

    @builtins.property
    def subject(self) -> Linked:
        return self.whole.subject

    @builtins.property
    def property(self) -> Linked:
        return self.whole.property

    @builtins.property
    def subject_id(self) -> str:
        return self.whole.subject_id

    @builtins.property
    def property_id(self) -> str:
        return self.whole.property_id

    @builtins.property
    def node(self) -> Any:
        return getattr(self.whole, "node", None)

    @builtins.property
    def detail(self) -> str:
        return str(getattr(self.whole, "detail", ""))

    @builtins.property
    def anchor(self) -> str:
        """The section's id: a later part's differs, as two parts can share a page."""
        anchor = str(getattr(self.whole, "anchor", ""))
        return anchor if self.number == 1 else f"{anchor}-part{self.number}"

    @builtins.property
    def last(self) -> int:
        return self.first + len(self.held) - 1

    @builtins.property
    def sides(self) -> list[PartSide]:
        """The whole's sides (once it is filled) cut to this part's positions. A side shown with
        positions counted here does not repeat one (two index sides can read as one value)."""
        mine, again = set(self.held), set(self.again)
        found = []
        for side in getattr(self.whole, "sides", ()):
            counted = [p for p in side.positions if p.iri in mine]
            repeated = [] if counted else [p for p in side.positions if p.iri in again][:1]
            if counted or repeated:
                found.append(PartSide(side.value, side.denied, counted, repeated))
        return found

    @builtins.property
    def positions(self) -> list[Any]:
        """The positions this part counts (not those shown again)."""
        return [p for side in self.sides for p in side.positions]


def parts(item: Disagreement, per_part: int) -> list[DisagreementPart[Disagreement]]:
    """The disagreement as rows that count at most ``per_part`` positions each (when it has no more
    sides than that), every row showing every side.

    Each part first takes one position of every side (its next, or its first again when the side
    has none left), then fills up to ``per_part`` from the side with the most left: 30 claims for one
    toll and 1 for another at 12 a part are three parts of 12, 12 and 7 counted, the lone claim
    counted in part 1 and shown again in parts 2 and 3.
    """
    per_part = max(1, per_part)
    sides: dict[str, list[tuple[str, str]]] = {}
    for side, claim, position in item.held_positions:
        sides.setdefault(side, []).append((position, claim))
    queues = [sorted(set(found)) for _side, found in sorted(sides.items())]
    total = sum(map(len, queues))
    if total <= per_part:
        everything = [entry for queue in queues for entry in queue]
        return [DisagreementPart(item, [p for p, _c in everything], [c for _p, c in everything], total=total)]
    firsts = [queue[0][0] for queue in queues]
    left = [list(reversed(queue)) for queue in queues]  # popped from the end: IRI order
    cut: list[tuple[list[tuple[str, str]], list[str]]] = []
    while any(left):
        taken: list[tuple[str, str]] = []
        again: list[str] = []
        for opening, queue in zip(firsts, left, strict=True):  # every side, once
            if queue:
                taken.append(queue.pop())
            else:
                again.append(opening)
        while len(taken) < per_part and any(left):  # then the side with most left: sides run out together
            taken.append(max(left, key=len).pop())
        cut.append((taken, again))
    rows, first = [], 1
    for number, (taken, again) in enumerate(cut, 1):
        taken.sort()
        rows.append(
            DisagreementPart(
                item, [p for p, _c in taken], [c for _p, c in taken], again, number, len(cut), first, total
            )
        )
        first += len(taken)
    return rows


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


def layout_disagreements(
    items: Sequence[Disagreement], args: Mapping[str, str], claims_per_part: int = CLAIMS_PER_PART
) -> dict[str, object]:
    """The template context of /disagreements: the filtered disagreements grouped by their subject
    (the event or person), one page of whole subjects, and the filters' choices.

    ``?subject=`` and ``?property=`` filter (a cited view is a URL), ``?page=N`` pages, and
    ``?claim=<id>`` opens the page holding a claim. A filter that selects nothing is an empty
    page that says so and links to the whole list, not an error: after a rebuild a disagreement
    can be resolved. The page's rows are parts (:class:`DisagreementPart`) of at most
    ``claims_per_part`` claims, which bounds what a page holds however many claims agree.
    """
    subject = args.get("subject", "").strip()
    prop = args.get("property", "").strip()
    chosen = [
        item
        for item in items
        if (not subject or _matches_subject(item, subject)) and (not prop or _matches_property(item, prop))
    ]
    page, groups = grouped_page(
        [part for item in chosen for part in parts(item, claims_per_part)],
        lambda part: (part.subject.value, part.subject.label),
        args,
        DISAGREEMENTS_PAGE,
        per_page=DISAGREEMENTS_PER_PAGE,
        holds=lambda part, wanted: any(names_claim(claim, wanted) for claim in part.claims),
    )
    return {
        "page": page,
        "groups": groups,
        "chosen": len(chosen),  # disagreements, where the page's counts are of parts
        "per_subject": Counter(item.subject.value for item in chosen),
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
