"""Claims as data (issue #12) on the pages: what a claim asserts, what the sources say, the disagreements."""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kzkg.namespaces import KZ, RDF, RDFS

from .backend import GraphReader
from .labels import (
    LABEL_PREDICATES,
    Labeller,
    PlainRow,
    TermView,
    annotation_anchor,
    local_href,
    objects_of,
    plain,
    resource_base,
    select_about,
)

# --------------------------------------------------------------------------------------------
# claims as data (issue #12): what a claim asserts, what the sources say, the disagreements
#
# Read from the claims' assertion graphs (GRAPH ?g joined to ?claim kz:asserts ?g) and from the
# computed kzgraph:disagreements; these are claims, so every value is shown beside who says it.

RDFS_LABEL = str(RDFS.label)
RDF_TYPE = str(RDF.type)

ASSERTED_BY = """
SELECT ?g ?s ?p ?o ?kind ?quantity ?min ?max ?qualifier ?unit ?asOf ?population WHERE {
  ?this kz:asserts ?g .
  GRAPH ?g {
    ?s ?p ?o FILTER(!STRSTARTS(STR(?s), STR(?g)))
    OPTIONAL { ?o kz:quantityKind ?kind }  OPTIONAL { ?o kz:quantity ?quantity }
    OPTIONAL { ?o kz:minQuantity ?min ; kz:maxQuantity ?max }
    OPTIONAL { ?o kz:quantityQualifier ?qualifier }  OPTIONAL { ?o kz:unit ?unit }
    OPTIONAL { ?o kz:asOf ?asOf }  OPTIONAL { ?o kz:population ?population }
  }
}
"""

SOURCES_SAY = """
SELECT ?claim ?p ?o ?kind ?quantity ?min ?max ?qualifier ?unit ?asOf ?population ?negative WHERE {
  ?claim kz:asserts ?g .
  GRAPH ?g {
    ?this ?p ?o
    OPTIONAL { ?o kz:quantityKind ?kind }  OPTIONAL { ?o kz:quantity ?quantity }
    OPTIONAL { ?o kz:minQuantity ?min ; kz:maxQuantity ?max }
    OPTIONAL { ?o kz:quantityQualifier ?qualifier }  OPTIONAL { ?o kz:unit ?unit }
    OPTIONAL { ?o kz:asOf ?asOf }  OPTIONAL { ?o kz:population ?population }
  }
  BIND(EXISTS { ?claim kz:polarity kz:Negative } AS ?negative)
}
"""

CLAIM_SOURCES = """
SELECT ?claim ?who ?article ?exact WHERE {
  VALUES ?claim { %s }
  { ?claim kz:claimedBy ?who } UNION { ?claim kz:reportedIn ?article }
  UNION { ?claim kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?exact }
}
"""

DISPUTED_ON = """
SELECT ?d ?p ?claim WHERE { ?d a kz:Disagreement ; kz:onSubject ?this ; kz:onProperty ?p ; kz:between ?claim }
"""

# What the filters, the order and the paging of /disagreements need, for every disagreement: its
# subject, property, detail and each position's claim (``?claim=`` finds a claim's page) and side
# (the value's raw terms: parts are cut per side), but no label, source or quote.
DISAGREEMENT_INDEX = """
SELECT DISTINCT ?d ?subject ?p ?kind ?population ?asOf ?position ?claim ?value ?quantity ?qualifier ?denied WHERE {
  ?d a kz:Disagreement ; kz:onSubject ?subject ; kz:onProperty ?p ; kz:position ?position .
  ?position kz:heldBy ?claim ; kz:value ?value .
  OPTIONAL { ?d kz:onQuantityKind ?kind }  OPTIONAL { ?d kz:onPopulation ?population }  OPTIONAL { ?d kz:onAsOf ?asOf }
  OPTIONAL { ?position kz:valueQuantity ?quantity }  OPTIONAL { ?position kz:valueQualifier ?qualifier }
  BIND(EXISTS { ?position kz:denied true } AS ?denied)
}
"""
# The positions a page shows, with what each says (``%s``: ``?d { <d> … }`` for whole
# disagreements, or ``(?d ?position) { (<d> <position>) … }`` for the page's positions only).
PAGE_DISAGREEMENTS = """
SELECT ?d ?subject ?p ?kind ?population ?asOf ?position ?claim ?value ?quantity ?min ?max ?qualifier ?denied WHERE {
  VALUES %s
  ?d a kz:Disagreement ; kz:onSubject ?subject ; kz:onProperty ?p ; kz:position ?position .
  ?position kz:heldBy ?claim ; kz:value ?value .
  OPTIONAL { ?d kz:onQuantityKind ?kind }  OPTIONAL { ?d kz:onPopulation ?population }  OPTIONAL { ?d kz:onAsOf ?asOf }
  OPTIONAL { ?position kz:valueQuantity ?quantity }  OPTIONAL { ?position kz:valueQualifier ?qualifier }
  OPTIONAL { ?position kz:valueMinQuantity ?min ; kz:valueMaxQuantity ?max }
  BIND(EXISTS { ?position kz:denied true } AS ?denied)
}
"""

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _day(value: str) -> str:
    """2022-01-05 as "5 January 2022" (the pages speak the articles' language, not ISO)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    return f"{int(match[3])} {MONTHS[int(match[2]) - 1]} {match[1]}" if match else value


def _value_text(row: PlainRow, labels: Labeller) -> str:
    """A statement's value as a reader says it: a label, a day, the text's words, or a figure."""
    value = row["o"] if "o" in row else row["value"]
    if "kind" in row or "quantity" in row:
        parts = []
        if "qualifier" in row:
            parts.append(labels.label(row["qualifier"].value))
        if "quantity" in row:
            parts.append(row["quantity"].value)
        else:  # a range ("$2-3bn") gives two bounds instead of a number
            parts.append(f"{row['min'].value}–{row['max'].value}" if "min" in row else "(no number)")
        if "unit" in row:
            parts.append(row["unit"].value)
        detail = [labels.label(row["kind"].value)] if "kind" in row else []
        if "population" in row:
            detail.append("among " + labels.label(row["population"].value))
        if "asOf" in row:
            detail.append("as of " + _day(row["asOf"].value))
        return " ".join(parts) + (f" ({', '.join(detail)})" if detail else "")
    if isinstance(value, ox.Literal):
        datatype = value.datatype.value if value.datatype else ""
        return _day(value.value) if datatype.endswith("#date") else f"“{value.value}”"
    return labels.label(value.value)


@dataclass
class AssertedStatement:
    """One statement of a claim's assertion graph, readable: subject — property — value."""

    subject: TermView
    property: TermView
    value: str
    value_term: TermView | None

    @builtins.property  # the field above shadows the builtin in the class body, for mypy
    def text(self) -> str:
        return f"{self.subject.label} — {self.property.label} — {self.value}"


def claim_assertions(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> dict[str, object] | None:
    """The claim page's "What it asserts": its kind, its assertion graph and its statements."""
    kinds = [labels.term(o) for o in objects_of(store, node, str(KZ.claimKind))]
    rows = select_about(store, ASSERTED_BY, node)
    if not rows and not kinds:
        return None
    figure_predicate = str(KZ.figure)
    # An event only this claim asserts (kzid:asserted-event/...) has its label and type in the
    # claim's graph alone: it is named by that label and links to that graph (no page of its own).
    own_labels = {row["s"].value: row["o"].value for row in rows if row["p"].value == RDFS_LABEL}
    statements = []
    for row in rows:
        if row["s"].value in own_labels and row["p"].value in (RDFS_LABEL, RDF_TYPE):
            continue
        if row["p"].value == figure_predicate or isinstance(row["o"], ox.NamedNode):
            value_term = None if row["p"].value == figure_predicate else labels.term(row["o"])
        else:
            value_term = None
        predicate = row["p"]
        subject = labels.term(row["s"])
        if row["s"].value in own_labels:
            graph_page = labels.term(row["g"]).href  # the event has no page: link the graph that holds it
            subject = dataclasses.replace(subject, label=own_labels[row["s"].value], href=graph_page)
        statements.append(AssertedStatement(subject, labels.term(predicate), _value_text(row, labels), value_term))
    statements.sort(key=lambda s: (s.subject.label, s.property.label, s.value))
    polarity = objects_of(store, node, str(KZ.polarity))
    conflicts = sorted(
        (labels.term(o) for o in objects_of(store, node, str(KZ.conflictsWith))), key=lambda t: (t.label, t.value)
    )
    graph = rows[0]["g"].value if rows else None
    return {
        "kind": kinds,
        "statements": statements,
        "denies": bool(polarity),
        "conflicts": conflicts,
        "graph": labels.term(ox.NamedNode(graph)) if graph else None,
    }


@dataclass
class SourceClaim:
    """A claim giving a value: who claims it, where it is reported, in which words."""

    claim: TermView
    claimants: list[TermView] = field(default_factory=list)
    articles: list[TermView] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    denied: bool = False
    in_conflict: bool = False


@dataclass
class SaidValue:
    value: str
    claims: list[SourceClaim] = field(default_factory=list)


@dataclass
class SaidProperty:
    property: TermView
    values: list[SaidValue] = field(default_factory=list)
    disputed: bool = False


def claim_sources(store: GraphReader, claims: Iterable[str], labels: Labeller) -> dict[str, SourceClaim]:
    """Claimants, articles and quotes of many claims in one query."""
    found: dict[str, SourceClaim] = {iri: SourceClaim(labels.term(ox.NamedNode(iri))) for iri in claims}
    if not found:
        return found
    rows = plain(store.select(CLAIM_SOURCES % " ".join(f"<{iri}>" for iri in sorted(found))))
    store.warm((t for row in rows for t in row.values() if isinstance(t, ox.NamedNode)), LABEL_PREDICATES)
    for row in rows:
        entry = found[row["claim"].value]
        if "who" in row and all(t.value != row["who"].value for t in entry.claimants):
            entry.claimants.append(labels.term(row["who"]))
        if "article" in row and all(t.value != row["article"].value for t in entry.articles):
            entry.articles.append(labels.term(row["article"]))
        if "exact" in row and row["exact"].value not in entry.quotes:
            entry.quotes.append(row["exact"].value)
    for entry in found.values():
        entry.claimants.sort(key=lambda t: t.label)
        entry.articles.sort(key=lambda t: t.value)
        entry.quotes.sort()
    return found


def what_sources_say(store: GraphReader, node: ox.NamedNode, labels: Labeller) -> list[SaidProperty]:
    """An event's or person's "What the sources say": per property, each value with its claims;
    properties the claims disagree on (kzgraph:disagreements) and the conflicting claims marked."""
    rows = select_about(store, SOURCES_SAY, node)
    if not rows:
        return []
    disputed: dict[str, set[str]] = defaultdict(set)
    for row in select_about(store, DISPUTED_ON, node):
        disputed[row["p"].value].add(row["claim"].value)
    figure = str(KZ.figure)
    sources = claim_sources(store, {row["claim"].value for row in rows}, labels)
    said: dict[str, SaidProperty] = {}
    for row in rows:
        predicate = row["p"].value
        entry = said.setdefault(predicate, SaidProperty(labels.term(row["p"]), disputed=predicate in disputed))
        text = _value_text(row, labels)
        value = next((v for v in entry.values if v.value == text), None)
        if value is None:
            value = SaidValue(text)
            entry.values.append(value)
        claim = row["claim"].value
        source = SourceClaim(**sources[claim].__dict__)
        source.denied = row["negative"].value == "true"
        source.in_conflict = claim in disputed.get(predicate, set())
        if all(c.claim.value != claim for c in value.claims):
            value.claims.append(source)
    for entry in said.values():
        entry.values.sort(key=lambda v: v.value)
        for value in entry.values:
            value.claims.sort(key=lambda c: c.claim.value)
    # figures last: they are the longest rows
    return sorted(said.values(), key=lambda e: (e.property.value == figure, e.property.label))


DISAGREEMENT_QUOTES = """
SELECT ?claim ?ann ?source ?exact WHERE {
  VALUES ?claim { %s }
  ?claim kz:evidence ?ann . ?ann oa:hasTarget ?target .
  OPTIONAL { ?target oa:hasSource ?source }
  OPTIONAL { ?target oa:hasSelector ?selector . ?selector oa:exact ?exact }
}
"""


@dataclass
class QuoteLink:
    """A claim's evidence quote and where it is highlighted in its article ("" when the quote has no
    source article)."""

    text: str
    href: str


@dataclass
class Position:
    """One claim's position in one disagreement: the value it gives (or denies), who, where, the words."""

    value: str
    denied: bool
    claim: SourceClaim
    quotes: list[QuoteLink]
    anchor: str  # the row's id on /disagreements: unique per disagreement and claim
    iri: str = ""  # the position's IRI: what a part of a disagreement counts it by


@dataclass
class Side:
    """The claims in a disagreement that give the same value (or deny the same one): a disagreement
    shows each side's first claim, so every side is on screen, and folds the others that agree."""

    value: str
    denied: bool
    positions: list[Position] = field(default_factory=list)

    @builtins.property
    def shown(self) -> list[Position]:
        return self.positions[:1]

    @builtins.property
    def folded(self) -> list[Position]:
        return self.positions[1:]


@dataclass
class DisagreementView:
    node: TermView
    subject: TermView
    property: TermView
    detail: str
    sides: list[Side] = field(default_factory=list)
    anchor: str = ""  # the section's id on /disagreements, from the disagreement's IRI
    subject_id: str = ""  # the subject's IRI after …/id/ (``event/bloody-january``): ``?subject=``
    property_id: str = ""  # the property's local name (``eventType``): ``?property=``
    held: list[str] = field(default_factory=list)  # the claims holding a position, before the sides are read
    # (side, claim, position IRI) of every position, from the index: the side is the raw terms of
    # the value (equal for positions the page shows as one side), what parts are cut by
    held_positions: list[tuple[str, str, str]] = field(default_factory=list)

    @builtins.property
    def positions(self) -> list[Position]:
        return [p for side in self.sides for p in side.positions]

    @builtins.property
    def claims(self) -> list[str]:
        return [p.claim.claim.value for p in self.positions] if self.sides else self.held


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def _quote_links(store: GraphReader, claims: Iterable[str]) -> dict[str, list[QuoteLink]]:
    """Each claim's quotes with the link to its highlight in the article, in one query."""
    iris = sorted(set(claims))
    found: dict[str, dict[str, QuoteLink]] = defaultdict(dict)
    if not iris:
        return {}
    base = resource_base()
    for row in plain(store.select(DISAGREEMENT_QUOTES % " ".join(f"<{iri}>" for iri in iris))):
        annotation, source = row["ann"], row.get("source")
        if isinstance(annotation, ox.Literal) or "exact" not in row:
            continue
        href = local_href(source.value) + "#" + annotation_anchor(annotation, base) if source is not None else ""
        found[row["claim"].value].setdefault(row["exact"].value, QuoteLink(row["exact"].value, href))
    return {claim: sorted(quotes.values(), key=lambda q: q.text) for claim, quotes in found.items()}


# The index of one build (its disagreements change only with the build): 0.35-0.5 s at 1M triples.
_INDEX: dict[str, list[DisagreementView]] = {}


def disagreement_index(store: GraphReader, labels: Labeller, build_id: str | None = None) -> list[DisagreementView]:
    """Every computed disagreement without its sides (see :func:`fill_disagreements`), in page order;
    fresh objects each call (the page fills them), from a copy kept per ``build_id``.

    Why two steps: the sides of every disagreement with their sources and quotes took 7.2 s at 1M
    triples (1,341 disagreements, 9,462 positions) for a page that shows eight of them; the index
    is what choosing those eight needs."""
    if build_id is not None and build_id in _INDEX:
        return [_fresh(view) for view in _INDEX[build_id]]
    views = _read_index(store, labels)
    if build_id is not None:
        _INDEX.clear()  # one build is served at a time
        _INDEX[build_id] = [_fresh(view) for view in views]
    return views


def _fresh(view: DisagreementView) -> DisagreementView:
    return dataclasses.replace(view, sides=[], held=list(view.held), held_positions=list(view.held_positions))


# the index's columns that are labelled on the page (a position's own terms are not, till it is shown)
_HEADER_TERMS = ("d", "subject", "p", "kind", "population")


def _raw_side(row: PlainRow) -> str:
    """A key equal for positions that give (or deny) the same value, from the value's raw terms:
    the page's side is a function of the same terms (:func:`fill_disagreements`), so positions
    with one key are always on one side there."""
    if "quantity" in row or "qualifier" in row:
        said = [row[name].value if name in row else "" for name in ("qualifier", "quantity")]
    else:
        said = [str(row["value"])]
    return "\t".join([*said, row["denied"].value])


def _read_index(store: GraphReader, labels: Labeller) -> list[DisagreementView]:
    rows = plain(store.select(DISAGREEMENT_INDEX))
    store.warm(
        (term for row in rows for name in _HEADER_TERMS if isinstance(term := row.get(name), ox.NamedNode)),
        LABEL_PREDICATES,
    )
    found: dict[str, DisagreementView] = {}
    seen: set[str] = set()
    for row in rows:
        view = found.get(row["d"].value)
        if view is None:
            view = found[row["d"].value] = _disagreement_header(row, labels)
        if row["claim"].value not in view.held:
            view.held.append(row["claim"].value)
        if row["position"].value not in seen:  # a second number on one position would be a second row
            seen.add(row["position"].value)
            view.held_positions.append((_raw_side(row), row["claim"].value, row["position"].value))
    return sorted(found.values(), key=lambda v: (v.subject.label, v.property.label, v.detail))


def _disagreement_header(row: PlainRow, labels: Labeller) -> DisagreementView:
    detail = []
    if "kind" in row:
        detail.append(labels.label(row["kind"].value))
    if "population" in row:
        detail.append("among " + labels.label(row["population"].value))
    if "asOf" in row:
        detail.append("as of " + _day(row["asOf"].value))
    iri, subject, predicate = row["d"].value, row["subject"].value, row["p"].value
    base = resource_base()
    return DisagreementView(
        labels.term(row["d"]),
        labels.term(row["subject"]),
        labels.term(row["p"]),
        ", ".join(detail),
        anchor="d-" + _slug(iri.split("/disagreement/", 1)[-1] if "/disagreement/" in iri else iri),
        subject_id=subject[len(base) :] if subject.startswith(base) else subject,
        property_id=re.split(r"[#/]", predicate)[-1],
    )


def all_disagreements(store: GraphReader, labels: Labeller) -> list[DisagreementView]:
    """Every computed disagreement with its sides."""
    views = disagreement_index(store, labels)
    fill_disagreements(store, labels, views)
    return views


def fill_disagreements(
    store: GraphReader,
    labels: Labeller,
    views: Iterable[DisagreementView],
    positions: Iterable[str] | None = None,
) -> None:
    """The sides of these disagreements: the claims giving each value, who made them, where they
    are reported, and a link to each quote in its article.

    ``positions`` (IRIs): only these are read — the positions a page shows — so the rows, sources
    and quotes read are bounded by the page's size, not by how many claims agree with one value;
    ``None`` reads every position of the views."""
    found = {view.node.value: view for view in views}
    if not found:
        return
    if positions is None:
        values = "?d { " + " ".join(f"<{iri}>" for iri in found) + " }"
    else:
        of = {position: d for d, view in found.items() for _side, _claim, position in view.held_positions}
        pairs = sorted((of[p], p) for p in set(positions) if p in of)
        if not pairs:
            for view in found.values():
                view.sides = []
            return
        values = "(?d ?position) { " + " ".join(f"(<{d}> <{p}>)" for d, p in pairs) + " }"
    rows = plain(store.select(PAGE_DISAGREEMENTS % values))
    store.warm((t for row in rows for t in row.values() if isinstance(t, ox.NamedNode)), LABEL_PREDICATES)
    claims = {row["claim"].value for row in rows}
    sources = claim_sources(store, claims, labels)
    quotes = _quote_links(store, claims)
    for view in found.values():
        view.sides = []
    for row in rows:
        view = found[row["d"].value]
        claim = row["claim"].value
        source = SourceClaim(**sources[claim].__dict__)
        denied = source.denied = row["denied"].value == "true"
        if "quantity" in row or "qualifier" in row:  # a figure: its hedge and number, beside the claim
            text = " ".join(
                ([labels.label(row["qualifier"].value)] if "qualifier" in row else [])
                + [row["quantity"].value if "quantity" in row else "(no number)"]
            )
        else:
            text = _value_text({"o": row["value"]}, labels)
        side = next((s for s in view.sides if s.value == text and s.denied == denied), None)
        if side is None:
            side = Side(text, denied)
            view.sides.append(side)
        side.positions.append(Position(text, denied, source, quotes.get(claim, []), "", row["position"].value))
    for view in found.values():
        # a value and its denial side by side; within a side, claims in a stable order
        view.sides.sort(key=lambda s: (s.value, s.denied))
        for side in view.sides:
            side.positions.sort(key=lambda p: p.claim.claim.value)
        # a claim can hold two positions in one disagreement (it names two agents where a third
        # claim names another): its later positions' ids get a number, counted over all of the
        # disagreement's positions (from the index) so an id does not change with what a page reads
        order = sorted(
            {(claim, position) for _side, claim, position in view.held_positions}
            | {(p.claim.claim.value, p.iri) for p in view.positions}
        )
        before: dict[str, int] = defaultdict(int)
        number: dict[str, int] = {}
        for claim, iri in order:
            number[iri] = before[claim]
            before[claim] += 1
        for position in view.positions:
            claim_id = _slug(position.claim.claim.value.rsplit("/claim/", 1)[-1])
            suffix = f"-{number[position.iri] + 1}" if number[position.iri] else ""
            position.anchor = f"{view.anchor}--{claim_id}{suffix}"
