"""How /disagreements is laid out: by subject, filtered by the query string, a page of whole subjects at a time.

Like :mod:`kzkg_server.page_layout` (whose paging and folding it shares), pure: rows in, layout out,
and nothing dropped — every position of every disagreement is on exactly one page, and a folded
group says how many it holds. A disagreement that more claims hold positions in than a page shows
(at 1M triples, hundreds agree on one death toll) is cut into parts of its claims, each part a row
of the list, so a page holds at most DISAGREEMENTS_PER_PAGE × the claims of one part.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    def claims(self) -> Sequence[str]: ...


Disagreement = TypeVar("Disagreement", bound=DisagreementLike)

# Disagreements (or parts of one) per page (each shows one claim per side, so a page stays a few
# screens); within a subject, the first FOLD_AFTER disagreements show and the rest fold.
DISAGREEMENTS_PER_PAGE = 8
DISAGREEMENTS_PAGE = "page"
# The claims one part of a disagreement shows: the server passes its DISAGREEMENT_CLAIMS setting;
# by default every disagreement of the real corpus (8 claims at most) is one part.
CLAIMS_PER_PART: int = BY_NAME["DISAGREEMENT_CLAIMS"].default


@dataclass
class PartSide:
    """A side of a disagreement as one part shows it: the positions of the part's claims."""

    value: str
    denied: bool
    positions: list[Any]

    @builtins.property
    def shown(self) -> list[Any]:
        return self.positions[:1]

    @builtins.property
    def folded(self) -> list[Any]:
        return self.positions[1:]


@dataclass
class DisagreementPart(Generic[Disagreement]):
    """A disagreement as a row of the list: the whole of it, or one part of its claims.

    The parts cut the disagreement's claims in IRI order (known before the sides are read, so the
    index alone chooses a page), and each shows the positions of its claims, grouped by side as the
    whole is; the template reads a part as it reads a disagreement.
    """

    whole: Disagreement
    claims: list[str]  # the claims this part shows (``?claim=`` finds a claim's part by them)
    number: int = 1  # 1-based
    count: int = 1  # parts of the disagreement
    first: int = 1  # 1-based position of claims[0] among the disagreement's claims
    total: int = 0  # claims of the disagreement

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
        return self.first + len(self.claims) - 1

    @builtins.property
    def sides(self) -> list[PartSide]:
        """The whole's sides (once it is filled) cut to this part's claims; a side none of them
        holds is not in this part."""
        mine = set(self.claims)
        found = []
        for side in getattr(self.whole, "sides", ()):
            positions = [p for p in side.positions if p.claim.claim.value in mine]
            if positions:
                found.append(PartSide(side.value, side.denied, positions))
        return found

    @builtins.property
    def positions(self) -> list[Any]:
        return [p for side in self.sides for p in side.positions]


def parts(item: Disagreement, per_part: int) -> list[DisagreementPart[Disagreement]]:
    """The disagreement as rows of at most ``per_part`` claims each (at least one claim a part)."""
    per_part = max(1, per_part)
    claims = sorted(set(item.claims))
    if len(claims) <= per_part:
        return [DisagreementPart(item, claims, total=len(claims))]
    count = -(-len(claims) // per_part)
    return [
        DisagreementPart(item, claims[start : start + per_part], n + 1, count, start + 1, len(claims))
        for n, start in enumerate(range(0, len(claims), per_part))
    ]


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
