"""Claims as data: what each claim asserts (``asserts:`` / ``kind:`` in data/annotations).

One home for the whole feature, so that ingest, validate, map and the disagreement stage read the
format the same way: :func:`parse_claim` reads the YAML keys (syntax: dates, numbers, known
vocabularies), :func:`check_assertions` resolves the ids against the registry and each property's
range, and the mapping and disagreement functions below turn them into RDF.

The format is fixed by the lead (data/README.md): each statement is a mapping
``{subject, property, value}`` plus, for ``quantity``, ``kind``, ``qualifier``, ``as_of``,
``unit`` and ``population``.
"""

from __future__ import annotations

import builtins
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Protocol

from rdflib import Literal, URIRef
from rdflib.term import Node

from kzkg.ingest import EVENT_TYPES, QUALIFIERS, QUANTITY_KINDS, SLUG

CLAIM_KINDS = ("factual", "opinion", "prediction")

# property -> (what the subject must be, what the value is). "event"/"entity"/"any" for the
# subject; for the value: "event-type", "date", "text", "event", "quantity", or a tuple of entity
# types the value must have one of.
ACTOR = ("Person", "Organization", "MediaOutlet", "Group")
Need = str | tuple[str, ...]
PROPERTIES: dict[str, tuple[Need, Need]] = {
    "eventType": ("event", "event-type"),
    "startDate": ("event", "date"),
    "endDate": ("event", "date"),
    "dateText": ("event", "text"),
    "place": ("event", ("Place",)),
    "agent": ("event", ACTOR),  # a state is an Organization too
    "participant": ("event", (*ACTOR, "Place")),
    "identifiedAs": (("Person",), ("Person",)),
    "partOf": ("event", "event"),
    "locatedIn": (("Place", *ACTOR), ("Place",)),  # a place's enclosing place, an actor's whereabouts
    "memberOf": (ACTOR, ("Organization", "MediaOutlet", "Group")),  # a Group: "relatives of Nazarbayev"
    "quantity": ("any", "quantity"),
}
# Qualifiers that give no number ("dozens"): the figure may omit its value and never conflicts.
VAGUE_QUALIFIERS = ("dozens", "a-couple-of-dozen", "hundreds", "thousands", "several", "many", "most")
FIGURE_KEYS = {"kind", "qualifier", "as_of", "unit", "population", "min", "max"}
STATEMENT_KEYS = {"subject", "property", "value", "note"} | FIGURE_KEYS


@dataclass(frozen=True)
class Assertion:
    """One (subject, property, value) statement of a claim, as curated.

    ``value`` is a str (an id, an event type, a verbatim date text), a date, or a number; figure
    details are only set for ``quantity``, where a range ("$2-3bn") gives ``minimum`` and
    ``maximum`` instead of a value. ``position`` is the statement's place in the block
    (1-based), used in messages and in the figure node's IRI.
    """

    subject: str
    property: str
    value: str | dt.date | int | float | None
    position: int
    kind: str | None = None
    qualifier: str | None = None
    as_of: dt.date | None = None
    unit: str | None = None
    population: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None


class _Reporter(Protocol):
    """The part of ingest's entry reader this module needs (its raw mapping and its problem sink)."""

    raw: dict[str, Any]

    def problem(self, message: str, key: str | None = None) -> None: ...


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def parse_claim(entry: _Reporter) -> tuple[str, list[Assertion]]:
    """The claim's kind and statements; every mistake goes to ``entry.problem`` (file: entry: ...)."""
    raw = entry.raw
    kind = raw.get("kind", "factual")
    if kind not in CLAIM_KINDS:
        entry.problem(f"'kind': {kind!r} is not one of {', '.join(CLAIM_KINDS)}", "kind")
        kind = "factual"
    block = raw.get("asserts")
    if block is None:
        return kind, []
    if not isinstance(block, list) or not block:
        entry.problem("'asserts' must be a non-empty list of {subject, property, value} statements", "asserts")
        return kind, []
    if kind != "factual":
        entry.problem(
            f"'asserts': a claim of kind {kind!r} asserts no checkable fact; drop 'asserts' or the kind", "asserts"
        )
        return kind, []
    statements = []
    for position, item in enumerate(block, 1):
        statement = _parse_statement(entry, position, item)
        if statement is not None:
            statements.append(statement)
    return kind, statements


def _parse_statement(entry: _Reporter, position: int, item: Any) -> Assertion | None:
    where = f"'asserts' #{position}"
    if not isinstance(item, dict):
        entry.problem(f"{where}: expected a mapping {{subject, property, value}}, found {item!r}", "asserts")
        return None
    unknown = sorted(set(item) - STATEMENT_KEYS)
    if unknown:
        entry.problem(f"{where}: unknown key(s) {unknown} (allowed: {', '.join(sorted(STATEMENT_KEYS))})", "asserts")
    subject, prop, value = item.get("subject"), item.get("property"), item.get("value")
    vague_figure = prop == "quantity" and (
        item.get("qualifier") in VAGUE_QUALIFIERS or "min" in item or "max" in item
    )  # "dozens" gives no number, a range gives two
    missing = [
        key
        for key in ("subject", "property", "value")
        if item.get(key) is None and not (key == "value" and vague_figure)
    ]
    if missing:
        entry.problem(f"{where}: missing {', '.join(repr(k) for k in missing)}", "asserts")
        return None
    if not isinstance(subject, str) or not SLUG.match(subject):
        entry.problem(f"{where}: subject {subject!r} is not an id (lowercase letters, digits and hyphens)", "asserts")
        return None
    if prop not in PROPERTIES:
        entry.problem(f"{where}: property {prop!r} is not one of {', '.join(PROPERTIES)}", "asserts")
        return None
    extra = sorted(set(item) & FIGURE_KEYS)
    if prop != "quantity" and extra:
        entry.problem(f"{where}: {', '.join(extra)} only apply to property 'quantity'", "asserts")
    where = f"'asserts' #{position} ({subject} {prop})"
    value_type = PROPERTIES[prop][1]
    if value_type == "date":
        day = _date(value)
        if day is None:
            entry.problem(
                f"{where}: value {value!r} is not a date (YYYY-MM-DD); keep a vague date as dateText", "asserts"
            )
            return None
        return Assertion(subject, prop, day, position)
    if value_type == "text":
        if not isinstance(value, str) or not value.strip():
            entry.problem(f"{where}: value {value!r} must be the text's own words", "asserts")
            return None
        return Assertion(subject, prop, value.strip(), position)
    if value_type == "event-type":
        if value not in EVENT_TYPES:
            entry.problem(f"{where}: value {value!r} is not an event type ({', '.join(EVENT_TYPES)})", "asserts")
            return None
        return Assertion(subject, prop, value, position)
    if value_type == "quantity":
        return _parse_figure(entry, where, subject, value, position, item)
    if not isinstance(value, str) or not SLUG.match(value):
        entry.problem(f"{where}: value {value!r} is not an id (lowercase letters, digits and hyphens)", "asserts")
        return None
    return Assertion(subject, prop, value, position)


def _parse_figure(
    entry: _Reporter, where: str, subject: str, value: Any, position: int, item: dict[str, Any]
) -> Assertion | None:
    ok = True
    if value is None:
        pass  # a vague figure ("dozens"): no number to give, and none is invented
    elif not _is_number(value):
        entry.problem(f"{where}: value {value!r} is not a number (write 8500000000, not '8.5 billion')", "asserts")
        ok = False
    bounds = _parse_range(entry, where, value, item)
    if bounds is False:
        ok = False
    kind = item.get("kind")
    if kind is None:
        entry.problem(f"{where}: a figure needs its 'kind' ({', '.join(QUANTITY_KINDS)})", "asserts")
        ok = False
    elif kind not in QUANTITY_KINDS:
        entry.problem(f"{where}: kind {kind!r} is not one of {', '.join(QUANTITY_KINDS)}", "asserts")
        ok = False
    qualifier = item.get("qualifier")
    if qualifier is not None and qualifier not in QUALIFIERS:
        entry.problem(f"{where}: qualifier {qualifier!r} is not one of {', '.join(QUALIFIERS)}", "asserts")
        ok = False
    as_of = item.get("as_of")
    as_of_day = _date(as_of) if as_of is not None else None
    if as_of is not None and as_of_day is None:
        entry.problem(f"{where}: as_of {as_of!r} is not a date (YYYY-MM-DD)", "asserts")
        ok = False
    unit = item.get("unit")
    if unit is not None and (not isinstance(unit, str) or not unit.strip()):
        entry.problem(f"{where}: unit {unit!r} must be text", "asserts")
        ok = False
    population = item.get("population")
    if population is not None and (not isinstance(population, str) or not SLUG.match(population)):
        entry.problem(f"{where}: population {population!r} is not an id", "asserts")
        ok = False
    if not ok:
        return None
    low, high = bounds or (None, None)
    return Assertion(
        subject,
        "quantity",
        value,
        position,
        kind=kind,
        qualifier=qualifier,
        as_of=as_of_day,
        unit=unit.strip() if unit else None,
        population=population,
        minimum=low,
        maximum=high,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_range(
    entry: _Reporter, where: str, value: Any, item: dict[str, Any]
) -> tuple[int | float, int | float] | bool | None:
    """A range figure's (min, max); None when the figure is no range; False after a problem.

    A range ("between 5,000 and 6,000", "$2-3bn") is one statement with both bounds and no value
    or qualifier: as two statements (at-least 5,000, up-to 6,000) it would read as two figures.
    """
    if "min" not in item and "max" not in item:
        return None
    low, high = item.get("min"), item.get("max")
    if low is None or high is None:
        entry.problem(f"{where}: a range needs both 'min' and 'max' (one bound alone is at-least or up-to)", "asserts")
        return False
    if not _is_number(low) or not _is_number(high):
        entry.problem(f"{where}: range {low!r}-{high!r}: both bounds must be numbers", "asserts")
        return False
    if low >= high:
        entry.problem(f"{where}: range {low!r}-{high!r}: 'min' must be less than 'max'", "asserts")
        return False
    if value is not None or item.get("qualifier") is not None:
        entry.problem(f"{where}: a range gives 'min' and 'max' instead of 'value' and 'qualifier'", "asserts")
        return False
    return low, high


class _Registry(Protocol):
    entities: dict
    events: dict
    claims: dict


def _kinds_text(kinds: tuple[str, ...]) -> str:
    return " or ".join(kinds)


def check_assertions(corpus: _Registry) -> list[tuple[str, str]]:
    """Every subject and value resolves, and to what the property needs: (where, problem) pairs.

    ``where`` is the claim's "file: entry" so the caller can make its usual Problem of it.
    """
    found: list[tuple[str, str]] = []
    entities, events = corpus.entities, corpus.events

    def resolves(where: str, label: str, some_id: str, need: Need) -> bool:
        if need == "any":
            if some_id not in entities and some_id not in events:
                found.append((where, f"{label} {some_id!r} is neither an entity nor an event"))
                return False
            return True
        if need == "event":
            if some_id not in events:
                hint = " (it is an entity)" if some_id in entities else ""
                found.append((where, f"{label} {some_id!r} is not an event{hint}"))
                return False
            return True
        entity = entities.get(some_id)
        if entity is None:
            hint = " (it is an event)" if some_id in events else ""
            found.append((where, f"{label} {some_id!r} is not in the entity registry{hint}"))
            return False
        assert isinstance(need, tuple)  # "any" and "event" are the only needs given as a str
        if not set(entity.types) & set(need):
            found.append((where, f"{label} {some_id!r} is a {'/'.join(entity.types)}, expected {_kinds_text(need)}"))
            return False
        return True

    for claim in corpus.claims.values():
        seen: set[tuple] = set()
        for statement in getattr(claim, "asserts", ()):
            where = f"'asserts' #{statement.position} ({statement.subject} {statement.property})"
            subject_need, value_need = PROPERTIES[statement.property]
            resolves(claim.where, f"{where}: subject", statement.subject, subject_need)
            if isinstance(value_need, tuple) or value_need == "event":
                if statement.value == statement.subject:
                    found.append((claim.where, f"{where}: the value is the subject itself"))
                else:
                    resolves(claim.where, f"{where}: value", str(statement.value), value_need)
            if statement.population is not None:
                resolves(claim.where, f"{where}: population", statement.population, "any")
            key = (
                statement.subject,
                statement.property,
                statement.value,
                statement.kind,
                statement.qualifier,
                statement.as_of,
                statement.unit,
                statement.population,
                statement.minimum,
                statement.maximum,
            )
            if key in seen:
                found.append((claim.where, f"{where}: the same statement is given twice"))
            seen.add(key)
    return found


# -- RDF ------------------------------------------------------------------------------------------

ASSERTION_BASE = "https://w3id.org/kzkg/id/assertion/"
DISAGREEMENTS_GRAPH = URIRef("https://w3id.org/kzkg/id/graph/disagreements")
KZ_NS = "https://w3id.org/kzkg/ontology#"
_RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
_XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
_XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
_XSD_BOOLEAN = URIRef("http://www.w3.org/2001/XMLSchema#boolean")
_ID = "https://w3id.org/kzkg/id/"

KIND_CONCEPT = {"factual": "Factual", "opinion": "Opinion", "prediction": "Prediction"}
QUALIFIER_NAME = {
    "exactly": "Exactly",
    "at-least": "AtLeast",
    "more-than": "MoreThan",
    "nearly": "Nearly",
    "about": "About",
    "a-little-over": "ALittleOver",
    "up-to": "UpTo",
    "dozens": "Dozens",
    "a-couple-of-dozen": "ACoupleOfDozen",
    "hundreds": "Hundreds",
    "thousands": "Thousands",
    "several": "Several",
    "many": "Many",
    "most": "Most",
}


def kz(name: str) -> URIRef:
    return URIRef(KZ_NS + name)


def assertion_graph(claim_id: str) -> URIRef:
    """The named graph holding what the claim asserts (nanopublication assertion)."""
    return URIRef(ASSERTION_BASE + claim_id)


def is_assertion_graph(name: Any) -> bool:
    """Whether a graph name (rdflib term, pyoxigraph NamedNode or str) is a claim's assertion graph."""
    return str(getattr(name, "value", name)).startswith(ASSERTION_BASE)


def figure_iri(claim_id: str, position: int) -> URIRef:
    return URIRef(f"{ASSERTION_BASE}{claim_id}#figure-{position}")


def _number(value: int | float) -> Literal:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return Literal(str(value), datatype=_XSD_INTEGER if isinstance(value, int) else _XSD_DECIMAL)


class _Refs(Protocol):
    def ref(self, some_id: str) -> URIRef: ...


def claim_triples(claim_iri: URIRef, claim: Any) -> list[tuple]:
    """The claim node's own triples (in its article graph): its kind and its assertion graph."""
    triples = [(claim_iri, kz("claimKind"), kz(KIND_CONCEPT[claim.kind]))]
    if claim.asserts:
        triples.append((claim_iri, kz("asserts"), assertion_graph(claim.id)))
    return triples


def value_term(statement: Assertion, refs: _Refs, claim_id: str) -> Node:
    """The RDF object of a statement (a figure's node for a quantity)."""
    prop = statement.property
    if prop == "quantity":
        return figure_iri(claim_id, statement.position)
    if prop == "eventType":
        return kz({"Other": "OtherEvent"}.get(str(statement.value), str(statement.value)))
    if prop in ("startDate", "endDate"):
        assert isinstance(statement.value, dt.date)  # parse_assertion only makes dates of these
        return Literal(statement.value.isoformat(), datatype=_XSD_DATE)
    if prop == "dateText":
        return Literal(str(statement.value))
    return refs.ref(str(statement.value))


def assertion_triples(claim: Any, refs: _Refs) -> list[tuple]:
    """The triples of the claim's assertion graph, in the ontology's own terms."""
    triples: list[tuple] = []
    for statement in claim.asserts:
        subject = refs.ref(statement.subject)
        obj = value_term(statement, refs, claim.id)
        if statement.property != "quantity":
            triples.append((subject, kz(statement.property), obj))
            continue
        triples.append((subject, kz("figure"), obj))
        triples.append((obj, _RDF_TYPE, kz("Figure")))
        triples.append((obj, kz("quantityKind"), kz({"Other": "OtherQuantity"}.get(statement.kind, statement.kind))))
        if statement.value is not None:
            triples.append((obj, kz("quantity"), _number(statement.value)))
        if statement.minimum is not None and statement.maximum is not None:
            triples.append((obj, kz("minQuantity"), _number(statement.minimum)))
            triples.append((obj, kz("maxQuantity"), _number(statement.maximum)))
        if statement.qualifier:
            triples.append((obj, kz("quantityQualifier"), kz(QUALIFIER_NAME[statement.qualifier])))
        if statement.unit:
            triples.append((obj, kz("unit"), Literal(statement.unit)))
        if statement.as_of:
            triples.append((obj, kz("asOf"), Literal(statement.as_of.isoformat(), datatype=_XSD_DATE)))
        if statement.population:
            triples.append((obj, kz("population"), refs.ref(statement.population)))
    return triples


# -- disagreements --------------------------------------------------------------------------------

# Properties that take one value per subject in a claim: two claims giving different values conflict.
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
    "place": "place",
    "agent": "carried out by",
    "participant": "participant",
    "identifiedAs": "identified as",
    "partOf": "part of",
    "locatedIn": "located in",
    "memberOf": "member of",
    "quantity": "figure",
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
        return URIRef(_ID + "disagreement/" + "/".join(parts))


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
    if (a.unit or "") != (b.unit or "") and a.unit and b.unit:
        return False  # different units are not compared
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
    for side in sides:
        by_value.setdefault(side.statement.value, ([], []))[side.denied].append(side.claim)
    values = list(by_value.items())
    for i, (_value, (asserting, denying)) in enumerate(values):
        for holder in asserting:
            for denier in denying:
                add(holder, denier)
        if prop in FUNCTIONAL:
            for _, (others, _) in values[i + 1 :]:
                for holder in asserting:
                    for other in others:
                        add(holder, other)
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


def disagreement_triples(disagreements: list[Disagreement], refs: _Refs) -> list[tuple]:
    """The kzgraph:disagreements graph: each disagreement with its positions, and kz:conflictsWith."""
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    triples: list[tuple] = []
    for point in disagreements:
        node = point.iri
        triples.append((node, _RDF_TYPE, kz("Disagreement")))
        triples.append(
            (node, label, Literal(f"disagreement on {_name(refs, point.subject)}: {PROPERTY_LABEL[point.property]}"))
        )
        triples.append((node, kz("onSubject"), refs.ref(point.subject)))
        triples.append((node, kz("onProperty"), kz("figure" if point.property == "quantity" else point.property)))
        if point.property == "quantity":
            kind, population, as_of = point.detail
            triples.append((node, kz("quantityKind"), kz({"Other": "OtherQuantity"}.get(kind, kind))))
            if population:
                triples.append((node, kz("population"), refs.ref(population)))
            triples.append((node, kz("asOf"), Literal(as_of.isoformat(), datatype=_XSD_DATE)))
        for side in point.sides:
            claim = URIRef(_ID + "claim/" + side.claim)
            position = URIRef(f"{node}#{side.claim}-{side.statement.position}")
            triples.append((node, kz("between"), claim))
            triples.append((node, kz("position"), position))
            triples.append((position, _RDF_TYPE, kz("Position")))
            triples.append((position, kz("heldBy"), claim))
            triples.append((position, kz("value"), value_term(side.statement, refs, side.claim)))
            if side.denied:
                triples.append((position, kz("denied"), Literal("true", datatype=_XSD_BOOLEAN)))
            if point.property == "quantity":
                triples.extend(_figure_beside(position, side.statement))
        for a, b in point.conflicts:
            ia, ib = URIRef(_ID + "claim/" + a), URIRef(_ID + "claim/" + b)
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
        triples.append((position, kz("valueQuantity"), _number(statement.value)))
    if statement.qualifier:
        triples.append((position, kz("valueQualifier"), kz(QUALIFIER_NAME[statement.qualifier])))
    if statement.minimum is not None and statement.maximum is not None:
        triples.append((position, kz("valueMinQuantity"), _number(statement.minimum)))
        triples.append((position, kz("valueMaxQuantity"), _number(statement.maximum)))
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


def is_claims_graph(name: Any) -> bool:
    """An assertion graph or the disagreements graph: what claims say, never fed to the reasoner."""
    return is_assertion_graph(name) or str(getattr(name, "value", name)) == str(DISAGREEMENTS_GRAPH)


def checked_triples(graph: Any) -> Any:
    """What SHACL sees of a graph: all of it, except in an assertion graph, where only the figure
    nodes are checked (kzsh:FigureShape). The rest of an assertion graph states things about
    events and people that the data shapes would read as curated facts (an event's second start
    date); kzkg.assertions.check_assertions checks those statements instead."""
    if not is_assertion_graph(graph.identifier):
        return graph
    base = str(graph.identifier) + "#"
    return (triple for triple in graph if str(triple[0]).startswith(base))


def review_lines(corpus: Any) -> list[str]:
    """``kzkg validate --report``: the reconciliation of curated and computed disagreement, one
    ``file: entry: ...`` line each, for a curator to resolve in the data or justify."""
    found = compute_disagreements(corpus.claims.values())
    return [f"{where}: {message}" for where, message in reconcile(corpus.claims, found)]


def coverage(claims: Any) -> dict[str, Any]:
    """How much of the corpus is claims as data: the share of claims with an assertion or a
    non-factual kind (issue #12's target is 100%), for the build manifest and ``kzkg stats``."""
    claims = list(claims)
    asserting = sum(1 for c in claims if c.asserts)
    kinds = {kind: sum(1 for c in claims if c.kind == kind) for kind in CLAIM_KINDS}
    covered = sum(1 for c in claims if c.asserts or c.kind != "factual")
    return {
        "claims": len(claims),
        "with_assertions": asserting,
        "statements": sum(len(c.asserts) for c in claims),
        "kinds": kinds,
        "covered": covered,
        "coverage": round(covered / len(claims), 4) if claims else 0.0,
    }
