"""How /disagreements is laid out: by subject, filtered by the query string, a page of whole subjects at a time.

Like :mod:`kzkg_server.page_layout` (whose paging and folding it shares), pure: rows in, layout out,
and nothing dropped — every position of every disagreement is on exactly one page, and a folded
group says how many it holds.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from .page_layout import Linked, claim_anchor, grouped_page, names_claim


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
