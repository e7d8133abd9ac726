"""Claims as data, the curated form: ``asserts:`` / ``kind:`` in data/annotations (issue #12).

:func:`parse_claim` reads a claim's YAML keys (syntax: dates, numbers, known vocabularies) while
ingest reads the entry, :func:`check_assertions` resolves the ids against the whole registry and
each property's range once everything is read, and :func:`coverage` measures how much of the corpus
uses the form. The RDF the build makes of it is kzkg.assertion_graphs; the disagreements computed
from it are kzkg.disagreements.

The format is fixed by the lead (data/README.md): each statement is a mapping
``{subject, property, value}`` plus, for ``quantity``, ``kind``, ``qualifier``, ``as_of``,
``unit`` and ``population``, or ``min`` and ``max`` for a range. An item ``{event: {id, type,
label, ...}}`` describes an event that exists only in what the claim asserts (the occurrence a
denial denies, when the registry records no such event): it becomes statements about the subject
``<claim-id>-<id>``, marked ``asserted_event`` so the build mints it under its own IRI space and
writes it into the claim's assertion graph alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from kzkg.corpus import EVENT_TYPES, QUALIFIERS, QUANTITY_KINDS, SLUG
from kzkg.namespaces import DCTERMS, SCHEMA

CLAIM_KINDS = ("factual", "opinion", "prediction")
# Why a factual claim carries no asserts, one word each (data/README.md justifies every claim).
# True: the claim's content is of a type issue #12 says must be asserted (a date, an agent, an
# identity, an occurrence or denial, a place, a figure), so it counts against the coverage of
# those types; False: it is of none of them, and only the coverage over all claims counts it.
NOT_ASSERTED_REASONS: dict[str, bool] = {
    "report": False,  # what reports or sources said or left out, not what happened
    "attribute": False,  # an attribute no kz: term or allowed external property states honestly
    "practice": False,  # a general practice, not a particular fact
    "observation": True,  # an observed state ("fewer police visible"), no occurrence to assert
    # a quantifier that changes the content and that no statement can carry: degreeText keeps the
    # words of a degree of an event ("no widespread looting", "almost no one opposed"), so this is
    # left for a quantifier on something that is no event. A hedge the claimant puts on the whole
    # statement ("possible", "believed", "seems") is no reason: see data/README.md
    "quantified": True,
}

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
    # how widely, how much or by how many, in the text's own words ("widespread", "almost no one"):
    # kept verbatim like dateText, since no number or qualifier of a figure says "widespread"
    "degreeText": ("event", "text"),
    "place": ("event", ("Place",)),
    "agent": ("event", ACTOR),  # a state is an Organization too
    "participant": ("event", (*ACTOR, "Place")),
    "identifiedAs": (("Person",), ("Person",)),
    "partOf": ("event", "event"),
    "locatedIn": (("Place", *ACTOR), ("Place",)),  # a place's enclosing place, an actor's whereabouts
    "memberOf": (ACTOR, ("Organization", "MediaOutlet", "Group")),  # a Group: "relatives of Nazarbayev"
    "quantity": ("any", "quantity"),
    # External properties: an attribute the kz: terms do not cover, in a well-known vocabulary's
    # own term and meaning (EXTERNAL_PROPERTIES gives each one's IRI and where it is defined).
    "dcterms:replaces": (("Organization", "MediaOutlet"), ("Organization", "MediaOutlet")),
    # what a statement, a report or a broadcast was about ("made no mention of any beheadings")
    "schema:about": ("event", "any"),
}
# The allow-list of external properties: name in asserts: -> (IRI, the definition it is used in).
# An attribute is only asserted with a property whose published definition fits the quote; those
# that none fits ("unemployed", "scratches and bruises") stay uncovered (data/README.md).
EXTERNAL_PROPERTIES: dict[str, tuple[str, str]] = {
    "dcterms:replaces": (
        str(DCTERMS.replaces),
        "DCMI Metadata Terms: a resource supplanted, displaced, or superseded by the described resource",
    ),
    "schema:about": (
        str(SCHEMA.about),
        "schema.org: the subject matter of the content (used on Event and CommunicateAction)",
    ),
}
# Qualifiers that give no number ("dozens"): the figure may omit its value and never conflicts.
VAGUE_QUALIFIERS = ("dozens", "a-couple-of-dozen", "hundreds", "thousands", "several", "many", "most")
FIGURE_KEYS = {"kind", "qualifier", "as_of", "unit", "population", "min", "max"}
STATEMENT_KEYS = {"subject", "property", "value", "note"} | FIGURE_KEYS
# What an asserted event may say of itself beyond its id, type and label: the event properties
# above, each with a value (or, for the actors and places, a list of values).
EVENT_PROPERTIES = (
    "agent",
    "participant",
    "place",
    "partOf",
    "startDate",
    "endDate",
    "dateText",
    "degreeText",
    "schema:about",
)
EVENT_KEYS = {"id", "type", "label", *EVENT_PROPERTIES}


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
    asserted_event: bool = False  # the subject exists only in this claim's assertion graph


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


def parse_claim(entry: _Reporter) -> tuple[str, list[Assertion], str | None]:
    """The claim's kind, statements and the reason it has none (``not_asserted``); every mistake
    goes to ``entry.problem`` (file: entry: ...)."""
    raw = entry.raw
    kind = raw.get("kind", "factual")
    if kind not in CLAIM_KINDS:
        entry.problem(f"'kind': {kind!r} is not one of {', '.join(CLAIM_KINDS)}", "kind")
        kind = "factual"
    reason = _not_asserted(entry, kind)
    block = raw.get("asserts")
    if block is None:
        return kind, [], reason
    if not isinstance(block, list) or not block:
        entry.problem("'asserts' must be a non-empty list of {subject, property, value} statements", "asserts")
        return kind, [], reason
    if reason is not None:
        entry.problem("'not_asserted': the claim has 'asserts'; drop one of them", "not_asserted")
    if kind != "factual":
        entry.problem(
            f"'asserts': a claim of kind {kind!r} asserts no checkable fact; drop 'asserts' or the kind", "asserts"
        )
        return kind, [], reason
    statements: list[Assertion] = []
    local_ids: set[str] = set()
    for position, item in enumerate(block, 1):
        if isinstance(item, dict) and "event" in item:
            statements.extend(_parse_event(entry, position, item, local_ids))
            continue
        statement = _parse_statement(entry, position, item)
        if statement is not None:
            statements.append(statement)
    return kind, statements, reason


def _not_asserted(entry: _Reporter, kind: str) -> str | None:
    """The one-word reason a factual claim has no ``asserts`` (a reason, never a claim kind: the
    claim stays factual and uncovered, and ``kzkg stats`` lists it)."""
    reason = entry.raw.get("not_asserted")
    if reason is None:
        return None
    if reason not in NOT_ASSERTED_REASONS:
        entry.problem(f"'not_asserted': {reason!r} is not one of {', '.join(NOT_ASSERTED_REASONS)}", "not_asserted")
        return None
    if kind != "factual":
        entry.problem(f"'not_asserted': a claim of kind {kind!r} needs no reason; drop it", "not_asserted")
        return None
    return str(reason)


def _parse_event(entry: _Reporter, position: int, item: dict[str, Any], local_ids: set[str]) -> list[Assertion]:
    """An event the claim alone asserts, as statements about ``<claim-id>-<id>``.

    Why not a registry event: a registry event is published as a curated fact, and an event made
    only to be denied ("they have not tried to evacuate us") would publish a non-event. Its type
    must be one of the event types (the kz:EventType scheme), and it needs the label a reader sees.
    """
    where = f"'asserts' #{position} (event)"
    if set(item) - {"event", "note"}:
        entry.problem(f"{where}: an event item holds only 'event' (and 'note'), found {sorted(item)}", "asserts")
        return []
    event = item["event"]
    if not isinstance(event, dict):
        entry.problem(f"{where}: expected a mapping {{id, type, label, ...}}, found {event!r}", "asserts")
        return []
    unknown = sorted(set(event) - EVENT_KEYS)
    if unknown:
        entry.problem(f"{where}: unknown key(s) {unknown} (allowed: {', '.join(sorted(EVENT_KEYS))})", "asserts")
        return []
    local, event_type, label = event.get("id"), event.get("type"), event.get("label")
    missing = [key for key in ("id", "type", "label") if event.get(key) is None]
    if missing:
        entry.problem(f"{where}: missing {', '.join(repr(k) for k in missing)}", "asserts")
        return []
    if not isinstance(local, str) or not SLUG.match(local):
        entry.problem(f"{where}: id {local!r} is not an id (lowercase letters, digits and hyphens)", "asserts")
        return []
    if local in local_ids:
        entry.problem(f"{where}: the claim already asserts an event {local!r}", "asserts")
        return []
    local_ids.add(local)
    where = f"'asserts' #{position} (event {local})"
    if event_type not in EVENT_TYPES:
        entry.problem(f"{where}: type {event_type!r} is not an event type ({', '.join(EVENT_TYPES)})", "asserts")
        return []
    if not isinstance(label, str) or not label.strip():
        entry.problem(f"{where}: label {label!r} must be text", "asserts")
        return []
    subject = f"{entry.raw.get('id')}-{local}"
    statements = [
        Assertion(subject, "eventType", event_type, position, asserted_event=True),
        Assertion(subject, "label", label.strip(), position, asserted_event=True),
    ]
    for prop in EVENT_PROPERTIES:
        if prop not in event:
            continue
        values = (
            event[prop]
            if isinstance(event[prop], list) and PROPERTIES[prop][1] not in ("date", "text")
            else [event[prop]]
        )
        for value in values:
            parsed = _parse_statement(
                _EventReporter(entry, local), position, {"subject": local, "property": prop, "value": value}
            )
            if parsed is not None:
                statements.append(
                    Assertion(subject, prop, parsed.value, position, asserted_event=True)  # the claim-wide id
                )
    return statements


class _EventReporter:
    """The entry's problem sink for an asserted event's statements, naming the statement as the
    curator wrote it ("(event calls-answered agent)") rather than by the bare local id."""

    def __init__(self, entry: _Reporter, local: str) -> None:
        self.raw, self._entry, self._local = entry.raw, entry, local

    def problem(self, message: str, key: str | None = None) -> None:
        self._entry.problem(message.replace(f" ({self._local} ", f" (event {self._local} ", 1), key)


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
    if bounds is None and ("min" in item or "max" in item):
        ok = False  # _parse_range said what is wrong
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
) -> tuple[int | float, int | float] | None:
    """A range figure's (min, max); None when the figure is no range or after a problem.

    A range ("between 5,000 and 6,000", "$2-3bn") is one statement with both bounds and no value
    or qualifier: as two statements (at-least 5,000, up-to 6,000) it would read as two figures.
    """
    if "min" not in item and "max" not in item:
        return None
    low, high = item.get("min"), item.get("max")
    if low is None or high is None:
        entry.problem(f"{where}: a range needs both 'min' and 'max' (one bound alone is at-least or up-to)", "asserts")
        return None
    if not _is_number(low) or not _is_number(high):
        entry.problem(f"{where}: range {low!r}-{high!r}: both bounds must be numbers", "asserts")
        return None
    if low >= high:
        entry.problem(f"{where}: range {low!r}-{high!r}: 'min' must be less than 'max'", "asserts")
        return None
    if value is not None or item.get("qualifier") is not None:
        entry.problem(f"{where}: a range gives 'min' and 'max' instead of 'value' and 'qualifier'", "asserts")
        return None
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
            subject = statement.subject
            if statement.asserted_event:  # named as the curator wrote it, without the claim's id
                subject = "event " + subject.removeprefix(f"{claim.id}-")
            where = f"'asserts' #{statement.position} ({subject} {statement.property})"
            if statement.property in ("eventType", "label") and statement.asserted_event:
                continue  # checked while parsing: an event type, a label
            subject_need, value_need = PROPERTIES[statement.property]
            if not statement.asserted_event:  # an asserted event is the claim's own, known by construction
                resolves(claim.where, f"{where}: subject", statement.subject, subject_need)
            if isinstance(value_need, tuple) or value_need in ("event", "any"):
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
        if getattr(claim, "polarity", None) == "negative":
            found.extend(
                (claim.where, problem) for problem in _denied_degree_problems(claim.id, getattr(claim, "asserts", ()))
            )
    return found


def _denied_degree_problems(claim_id: str, statements: Any) -> list[str]:
    """Each statement a negative block gives beside a denied degree of the same subject.

    A negative block denies each of its statements (data/README.md), so "no *widespread* looting"
    written as {degreeText "widespread"} plus {eventType Looting} would also deny the looting: the
    degree stands alone (other degrees of it, each denied too, deny no occurrence). An asserted
    event cannot exist without its type and label, so those two may stand beside its degree; any
    other statement of it would be denied too.
    """
    degrees: dict[str, Assertion] = {}
    for statement in statements:
        if statement.property == "degreeText":
            degrees.setdefault(statement.subject, statement)
    problems = []
    for statement in statements:
        degree = degrees.get(statement.subject)
        if degree is None or statement.property == "degreeText":  # another degree denies no occurrence
            continue
        if statement.asserted_event and statement.property in ("eventType", "label"):
            continue
        subject = statement.subject
        if statement.asserted_event:
            subject = "event " + subject.removeprefix(f"{claim_id}-")
        problems.append(
            f"'asserts' #{statement.position} ({subject} {statement.property}): a negative block denies each "
            f"of its statements, so beside the denied degree (#{degree.position} degreeText) this one would be "
            "denied too; deny the degree alone (data/README.md, Hedges and quantifiers)"
        )
    return problems


UNCOVERED_LISTED = 200  # more than the real corpus will ever leave uncovered


def coverage(claims: Any) -> dict[str, Any]:
    """How much of the corpus is claims as data: the share of claims with an assertion or a
    non-factual kind (issue #12's target is 100%), for the build manifest and ``kzkg stats``.

    Also the same share over the claims whose content is of the issue's types (all claims but the
    uncovered ones whose reason is of no such type), and every uncovered claim with its reason
    ("none given" when the curator gave none), so that the number can be checked claim by claim.
    """
    claims = list(claims)
    asserting = sum(1 for c in claims if c.asserts)
    kinds = {kind: sum(1 for c in claims if c.kind == kind) for kind in CLAIM_KINDS}
    covered = sum(1 for c in claims if c.asserts or c.kind != "factual")
    uncovered = {
        c.id: getattr(c, "not_asserted", None) or "none given" for c in claims if not c.asserts and c.kind == "factual"
    }
    out_of_scope = sum(1 for reason in uncovered.values() if NOT_ASSERTED_REASONS.get(reason) is False)
    in_scope = len(claims) - out_of_scope
    by_reason: dict[str, int] = {}
    for reason in uncovered.values():
        by_reason[reason] = by_reason.get(reason, 0) + 1
    return {
        "claims": len(claims),
        "with_assertions": asserting,
        "statements": sum(len(c.asserts) for c in claims),
        "kinds": kinds,
        "covered": covered,
        "coverage": round(covered / len(claims), 4) if claims else 0.0,
        "claims_of_issue_types": in_scope,
        "coverage_of_issue_types": round(covered / in_scope, 4) if in_scope else 0.0,
        "uncovered_by_reason": dict(sorted(by_reason.items())),
        # the first ones by id: a synthetic corpus of a million triples would fill the manifest
        "uncovered": dict(sorted(uncovered.items())[:UNCOVERED_LISTED]),
    }
