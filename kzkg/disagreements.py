"""Claims as data, compared: the disagreements computed from what claims assert (issue #12).

Statements are indexed by subject and property (and a figure's kind, population and as-of date),
and only statements sharing an index entry are compared, so the work stays near-linear in the
corpus. The result is written into ``kzgraph:disagreements`` and reconciled with the curated
``kz:contradicts`` for ``kzkg validate --report``. The rules are data/README.md's "Claims as data".
"""

from __future__ import annotations

import builtins
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kzkg.assertion_format import VAGUE_QUALIFIERS, Assertion
from kzkg.assertion_graphs import QUALIFIER_NAME, Refs, kz, number, property_iri, value_term
from kzkg.namespaces import ID

# Properties on which two claims conflict by giving different values. A claim may give several
# ("carried out by RT and TASS", "in Kyzylorda, Zhambyl and the Almaty region"): each claim's values
# are compared as a set, and two claims conflict only when their sets share no value.
FUNCTIONAL = ("startDate", "endDate", "agent", "identifiedAs", "place")
# How far a hedged figure reaches, as a factor of its number: (low, high, low bound open).
# "about 164" covers 147.6-180.4; a vague qualifier ("dozens") covers everything: never a conflict.
_REACH: dict[str, tuple[float, float, bool]] = {
    "exactly": (1.0, 1.0, False),
    "at-least": (1.0, math.inf, False),
    "more-than": (1.0, math.inf, True),
    "nearly": (0.9, 1.0, False),
    "about": (0.9, 1.1, False),
    "a-little-over": (1.0, 1.2, True),
    "up-to": (0.0, 1.0, False),
}
PROPERTY_LABEL = {
    "eventType": "occurrence",
    "startDate": "start date",
    "endDate": "end date",
    "dateText": "date (as worded)",
    "degreeText": "degree (as worded)",
    "place": "place",
    "agent": "carried out by",
    "participant": "participant",
    "identifiedAs": "identified as",
    "partOf": "part of",
    "locatedIn": "located in",
    "memberOf": "member of",
    "quantity": "figure",
    "dcterms:replaces": "replaces",
    "schema:about": "about",
}


@dataclass(frozen=True)
class Side:
    """One claim's position in a disagreement: its statement, and whether the claim denies it."""

    claim: str
    statement: Assertion
    denied: bool


@dataclass
class Disagreement:
    """A point the claims disagree on: subject, property, the figure's (kind, population, as-of) or
    the statement's value for a non-functional property, every side, and the conflicting pairs."""

    subject: str
    property: str
    detail: tuple
    sides: list[Side]
    conflicts: list[tuple[str, str]]

    @builtins.property  # the field 'property' shadows the builtin in the class body (for mypy)
    def iri(self) -> URIRef:
        parts = [self.subject, self.property] + ["-" if d is None else _slug(d) for d in self.detail]
        return URIRef(str(ID) + "disagreement/" + "/".join(parts))


def _slug(value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return "".join(c if c.isalnum() or c in "-." else "-" for c in text)


def _reach(statement: Assertion) -> tuple[float, float, bool] | None:
    if statement.minimum is not None and statement.maximum is not None:
        return float(statement.minimum), float(statement.maximum), False  # a range holds both bounds
    if statement.value is None or statement.qualifier in VAGUE_QUALIFIERS:
        return None
    assert isinstance(statement.value, int | float)  # _parse_figure only makes numbers of a figure's value
    low, high, open_low = _REACH[statement.qualifier or "exactly"]
    value = float(statement.value)
    return value * low, value * high, open_low


def figures_conflict(a: Assertion, b: Assertion) -> bool:
    """Two figures of the same kind, population and date conflict when no number satisfies both:
    "at least 10" and 12 agree, "about 164" and 227 do not, "dozens" agrees with anything, and a
    number inside a range ("between 5,000 and 6,000" and 5,500) agrees with it."""
    if (a.unit or "") != (b.unit or ""):
        return False  # "5" and "5 USD" may count different things: only equal units are compared
    ra, rb = _reach(a), _reach(b)
    if ra is None or rb is None:
        return False
    low = max(ra[0], rb[0])
    high = min(ra[1], rb[1])
    open_low = (ra[2] and ra[0] == low) or (rb[2] and rb[0] == low)
    return low > high or (low == high and open_low)


def _key(statement: Assertion) -> tuple | None:
    if statement.property in FUNCTIONAL:
        return statement.subject, statement.property, ()
    if statement.property == "quantity":
        return statement.subject, "quantity", (statement.kind, statement.population, statement.as_of)
    if statement.property == "dateText":
        return None  # the text's own words: nothing to compare
    return statement.subject, statement.property, (statement.value,)


def _same_figure(a: Assertion, b: Assertion) -> bool:
    return (a.value, a.qualifier, a.unit, a.minimum, a.maximum) == (b.value, b.qualifier, b.unit, b.minimum, b.maximum)


def _group_conflicts(prop: str, detail: tuple, sides: list[Side]) -> set[tuple[str, str]]:
    """The conflicting pairs among the sides of one index entry. A denial denies each statement of
    its block (``polarity: negative`` is ¬A ∧ ¬B, data/README.md), so it conflicts with any claim
    asserting one of them; for the FUNCTIONAL properties each asserting claim's values form a set,
    and two claims conflict only when their sets share no value ({rt, tass} agrees with {rt})."""
    pairs: set[tuple[str, str]] = set()

    def add(a: str, b: str) -> None:
        if a != b:
            pairs.add((a, b) if a < b else (b, a))

    if prop == "quantity":
        if detail[2] is None:  # no as-of date: an update cannot be told from a conflict
            return pairs
        for i, a in enumerate(sides):
            for b in sides[i + 1 :]:
                if a.denied != b.denied:
                    if _same_figure(a.statement, b.statement):
                        add(a.claim, b.claim)
                elif not a.denied and figures_conflict(a.statement, b.statement):
                    add(a.claim, b.claim)
        return pairs
    by_value: dict[Any, tuple[list[str], list[str]]] = {}
    values_of: dict[str, set[Any]] = {}  # each asserting claim's set of values
    for side in sides:
        by_value.setdefault(side.statement.value, ([], []))[side.denied].append(side.claim)
        if not side.denied:
            values_of.setdefault(side.claim, set()).add(side.statement.value)
    for asserting, denying in by_value.values():
        for holder in asserting:
            for denier in denying:
                add(holder, denier)
    if prop in FUNCTIONAL:
        holders = sorted(values_of.items())
        for i, (first, values_first) in enumerate(holders):
            for second, values_second in holders[i + 1 :]:
                if values_first.isdisjoint(values_second):
                    add(first, second)
    return pairs


def compute_disagreements(claims: Any) -> list[Disagreement]:
    """Every point of disagreement among the claims' assertions, near-linear in the statements.

    Statements are indexed by (subject, property[, kind, population, as-of | value]); only the
    statements sharing a key are compared, never all pairs of claims. Work per key grows with the
    square of the claims sharing it (a handful in practice), and so does its output.
    """
    groups: dict[tuple, list[Side]] = {}
    for claim in claims:
        denied = getattr(claim, "polarity", None) == "negative"
        for statement in claim.asserts:
            if statement.asserted_event:
                continue  # an event only this claim asserts: no other claim speaks of it
            key = _key(statement)
            if key is not None:
                groups.setdefault(key, []).append(Side(claim.id, statement, denied))
    found = []
    for (subject, prop, detail), sides in groups.items():
        if len(sides) < 2:
            continue
        conflicts = _group_conflicts(prop, detail, sides)
        if conflicts:
            found.append(Disagreement(subject, prop, detail, sides, sorted(conflicts)))
    found.sort(key=lambda d: str(d.iri))
    return found


def _name(refs: Any, some_id: str) -> str:
    """A registry id's label when the caller knows the corpus (the mapper does), else the id."""
    corpus = getattr(refs, "corpus", None)
    record = corpus and (corpus.events.get(some_id) or corpus.entities.get(some_id))
    return record.label if record else some_id


def disagreement_triples(disagreements: list[Disagreement], refs: Refs) -> list[tuple]:
    """The kzgraph:disagreements graph: each disagreement with its positions, and kz:conflictsWith."""
    label, rdf_type = RDFS.label, RDF.type  # rdflib makes a new URIRef at each RDF.type: once here
    true = Literal("true", datatype=XSD.boolean)
    claims: dict[str, URIRef] = {}  # one IRI per claim, however many positions and pairs it is in

    def claim_iri(claim_id: str) -> URIRef:
        iri = claims.get(claim_id)
        if iri is None:
            iri = claims[claim_id] = URIRef(str(ID) + "claim/" + claim_id)
        return iri

    triples: list[tuple] = []
    for point in disagreements:
        node = point.iri
        triples.append((node, rdf_type, kz("Disagreement")))
        triples.append(
            (node, label, Literal(f"disagreement on {_name(refs, point.subject)}: {PROPERTY_LABEL[point.property]}"))
        )
        triples.append((node, kz("onSubject"), refs.ref(point.subject)))
        on = kz("figure") if point.property == "quantity" else property_iri(point.property)
        triples.append((node, kz("onProperty"), on))
        if point.property == "quantity":
            kind, population, as_of = point.detail
            # the node's own properties, not a figure's: this graph is in the default graph, where
            # ``?x kz:quantityKind ?k`` must keep returning claims only (as kz:valueQuantity does)
            triples.append((node, kz("onQuantityKind"), kz({"Other": "OtherQuantity"}.get(kind, kind))))
            if population:
                triples.append((node, kz("onPopulation"), refs.ref(population)))
            triples.append((node, kz("onAsOf"), Literal(as_of.isoformat(), datatype=XSD.date)))
        for side in point.sides:
            claim = claim_iri(side.claim)
            position = URIRef(f"{node}#{side.claim}-{side.statement.position}")
            triples.append((node, kz("between"), claim))
            triples.append((node, kz("position"), position))
            triples.append((position, rdf_type, kz("Position")))
            triples.append((position, kz("heldBy"), claim))
            triples.append((position, kz("value"), value_term(side.statement, refs, side.claim)))
            if side.denied:
                triples.append((position, kz("denied"), true))
            if point.property == "quantity":
                triples.extend(_figure_beside(position, side.statement))
        for a, b in point.conflicts:
            ia, ib = claim_iri(a), claim_iri(b)
            triples.append((ia, kz("conflictsWith"), ib))
            triples.append((ib, kz("conflictsWith"), ia))
    return triples


def _figure_beside(position: URIRef, statement: Assertion) -> list[tuple]:
    """The figure's number, hedge and range on its position, readable without GRAPH. Positions have
    their own properties (kz:valueQuantity, ...), never a figure's: the disagreements graph is in
    the default graph, where ``?x kz:quantity ?q`` must keep returning claims only."""
    # _parse_figure only makes figures with a number, a range or (when vague) neither
    assert statement.value is None or isinstance(statement.value, int | float)
    triples: list[tuple] = []
    if statement.value is not None:
        triples.append((position, kz("valueQuantity"), number(statement.value)))
    if statement.qualifier:
        triples.append((position, kz("valueQualifier"), kz(QUALIFIER_NAME[statement.qualifier])))
    if statement.minimum is not None and statement.maximum is not None:
        triples.append((position, kz("valueMinQuantity"), number(statement.minimum)))
        triples.append((position, kz("valueMaxQuantity"), number(statement.maximum)))
    return triples


def _describe(statement: Assertion) -> str:
    if statement.property == "quantity" and statement.minimum is not None:
        return f"{statement.minimum}-{statement.maximum} {statement.unit or ''}".strip()
    if statement.property == "quantity":
        parts = [
            statement.qualifier or "",
            "" if statement.value is None else str(statement.value),
            statement.unit or "",
        ]
        return " ".join(p for p in parts if p) or "(no number)"
    value = statement.value
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def reconcile(claims: dict[str, Any], disagreements: list[Disagreement]) -> list[tuple[str, str]]:
    """The curator's review list, as (where, message): curated kz:contradicts that no computed
    conflict explains, and computed conflicts no curator linked. Each unordered pair once."""
    computed: dict[tuple[str, str], tuple[Disagreement, Side, Side]] = {}
    for point in disagreements:
        for a, b in point.conflicts:
            side_a = next(s for s in point.sides if s.claim == a)
            side_b = next(s for s in point.sides if s.claim == b)
            computed.setdefault((a, b), (point, side_a, side_b))
    curated: dict[tuple[str, str], str] = {}
    for claim in claims.values():
        for other in claim.contradicts:
            if other in claims:
                curated.setdefault((claim.id, other) if claim.id < other else (other, claim.id), claim.id)
    lines: list[tuple[str, str]] = []
    for (a, b), holder in sorted(curated.items()):
        if (a, b) not in computed:
            other = b if holder == a else a
            lines.append(
                (
                    claims[holder].where,
                    (
                        f"kz:contradicts {other}: no computed conflict explains it "
                        "(their assertions do not disagree on one point)"
                    ),
                )
            )
    for (a, b), (point, side_a, side_b) in sorted(computed.items()):
        if (a, b) in curated:
            continue
        corroborates = b in claims[a].corroborates or a in claims[b].corroborates
        what = f"{point.subject} {PROPERTY_LABEL[point.property]}"
        if point.property == "quantity":
            what += (
                f" ({point.detail[0]}"
                + (f", {point.detail[1]}" if point.detail[1] else "")
                + f", as of {point.detail[2]})"
            )
        sides = (
            f"{a}: {'not ' if side_a.denied else ''}{_describe(side_a.statement)}; "
            f"{b}: {'not ' if side_b.denied else ''}{_describe(side_b.statement)}"
        )
        note = " (curated as kz:corroborates)" if corroborates else ""
        lines.append(
            (
                claims[a].where,
                f"computed conflict with {b} on {what} [{sides}] that no curator linked with kz:contradicts{note}",
            )
        )
    return lines


def review_lines(corpus: Any) -> list[str]:
    """``kzkg validate --report``: the reconciliation of curated and computed disagreement, one
    ``file: entry: ...`` line each, for a curator to resolve in the data or justify."""
    found = compute_disagreements(corpus.claims.values())
    return [f"{where}: {message}" for where, message in reconcile(corpus.claims, found)]
