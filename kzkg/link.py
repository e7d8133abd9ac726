"""Reconciliation with Wikidata (``kzkg link``): scored candidates for people to review.

Only the CLI imports this module: the build reads the enrichment graph through :mod:`kzkg.enrich`,
and the endpoint and the pages never reconcile anything. The HTTP side is
:mod:`kzkg.sparql_client`; recording what a reviewer accepted (``--apply``) is
:mod:`kzkg.link_apply`.

A wrong identifier is worse than none, so reconciliation only *proposes*: it writes scored
candidates to a file people review, and :func:`decide` marks a candidate ``accept`` only when the
search found exactly one viable one (matched on a label, type and place consistent); anything
ambiguous waits for a named reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kzkg import __version__
from kzkg.atomic import atomic_write_text
from kzkg.corpus import Corpus, Entity
from kzkg.sparql_client import LinkError, SparqlClient
from kzkg.wikidata import QUERY_PREFIXES, WD
from kzkg.wikidata import qid as _qid
from kzkg.wikidata import value as _value

__all__ = ["decide", "reconcile", "reconcile_query", "score_candidate", "targets", "write_candidates"]

# Classes that show an item is the kind of thing a kzkg entity type names. Reached through
# wdt:P31/wdt:P279* on the live service; a snapshot without subclass triples only matches them
# directly. "A person is a human": for Person this is a hard constraint, for the others a bonus.
EXPECTED_KINDS: dict[str, tuple[str, ...]] = {
    "Person": ("Q5",),  # human
    "Place": ("Q6256", "Q3624078", "Q56061", "Q486972", "Q515"),  # country, sovereign state,
    # administrative territorial entity, human settlement, city
    "Organization": ("Q43229", "Q7278", "Q484652", "Q6256", "Q3624078"),  # organization, political
    # party, international organization; states are political actors too
    "MediaOutlet": ("Q1193236", "Q11032", "Q43229"),  # news agency, newspaper, organization
}
LINKABLE_TYPES = frozenset(EXPECTED_KINDS)
DEFAULT_LANGUAGES = ("en", "mul", "ru", "kk")
THE_YEAR = 2022

# Scoring (0..1); see score_candidate() for how they combine.
ACCEPT_SCORE = 0.75
VIABLE_SCORE = 0.5


@dataclass(frozen=True)
class Target:
    """An unlinked entity to search for, with the context its registry entry gives."""

    id: str
    label: str
    names: tuple[str, ...]
    types: tuple[str, ...]
    countries: tuple[str, ...]  # Q-ids the item should be in (from located_in / country links)
    where: str


@dataclass
class Candidate:
    item: str
    via: str  # "label" or "alias"
    name: str
    lang: str
    label: str = ""
    description: str = ""
    classes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    coordinates: str = ""
    birth: str = ""
    death: str = ""
    inception: str = ""
    dissolved: str = ""
    linked_elsewhere: str | None = None
    score: float = 0.0
    viable: bool = False
    reasons: list[str] = field(default_factory=list)
    query: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "item": self.item,
            "score": round(self.score, 2),
            "viable": self.viable,
            "matched": {"name": self.name, "lang": self.lang, "via": self.via},
        }
        for key in ("label", "description", "coordinates", "birth", "death", "inception", "dissolved"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        for key in ("classes", "kinds", "countries"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.linked_elsewhere:
            out["linked_elsewhere"] = self.linked_elsewhere
        out["reasons"] = list(self.reasons)
        out["query"] = self.query
        return out


@dataclass
class EntityCandidates:
    entity: str
    label: str
    types: list[str]
    where: str
    decision: str  # accept | review | no-candidates
    reason: str
    choose: str | None
    candidates: list[Candidate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "label": self.label,
            "types": self.types,
            "file": self.where,
            "decision": self.decision,
            "reason": self.reason,
            "choose": self.choose,
            "reviewed_by": None,
            "candidates": [c.as_dict() for c in self.candidates],
        }


def linked_items(corpus: Corpus) -> dict[str, str]:
    """Q-id -> the entity that already carries it."""
    return {e.links["wikidata"]: e.id for e in corpus.entities.values() if e.links.get("wikidata")}


def targets(corpus: Corpus, only: Sequence[str] = ()) -> list[Target]:
    """The entities worth searching: unlinked people, organisations, outlets and places."""
    chosen = []
    for entity in sorted(corpus.entities.values(), key=lambda e: e.id):
        if only and entity.id not in only:
            continue
        if entity.links.get("wikidata") or not (set(entity.types) & LINKABLE_TYPES):
            continue
        names = []
        for spelling in [entity.label, *entity.aliases]:
            name = " ".join(str(spelling).split())
            if len(name) >= 2 and name not in names:
                names.append(name)
        chosen.append(
            Target(
                entity.id,
                entity.label,
                tuple(names),
                tuple(entity.types),
                tuple(sorted(_expected_countries(corpus, entity))),
                entity.where.split(": ")[0],
            )
        )
    missing = [i for i in only if i not in corpus.entities]
    if missing:
        raise LinkError(f"unknown entity id(s): {', '.join(missing)}")
    return chosen


def _expected_countries(corpus: Corpus, entity: Entity) -> set[str]:
    """The states an item must belong to, as far as the registry links them (never guessed)."""
    found: set[str] = set()
    seen = {entity.id}
    current = entity
    while current.located_in and current.located_in not in seen and current.located_in in corpus.entities:
        seen.add(current.located_in)
        current = corpus.entities[current.located_in]
        if not current.located_in and current.links.get("wikidata"):
            found.add(current.links["wikidata"])  # the top of the chain: a state
    if entity.country and entity.country in corpus.entities:
        qid = corpus.entities[entity.country].links.get("wikidata")
        if qid:
            found.add(qid)
    return found


def _sparql_literal(text: str, lang: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"@{lang}'


def reconcile_query(batch: Sequence[Target], languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """One query for a batch of entities: exact label/alias matches in several languages, with the
    facts scoring needs (classes reached through P31/P279*, country, coordinates, dates)."""
    rows = []
    for target in batch:
        for name in target.names:
            for lang in languages:
                rows.append(f'    ("{target.id}" {_sparql_literal(name, lang)})')
    kinds = sorted({k for ks in EXPECTED_KINDS.values() for k in ks}, key=lambda q: int(q[1:]))
    kind_values = " ".join(f"wd:{k}" for k in kinds)
    return (
        f"# kzkg {__version__} link: candidates for {len(batch)} entities by exact label or alias\n"
        + QUERY_PREFIXES
        + "SELECT ?entity ?name ?via ?item\n"
        '       (GROUP_CONCAT(DISTINCT STR(?class); separator=" ") AS ?classes)\n'
        '       (GROUP_CONCAT(DISTINCT STR(?kind); separator=" ") AS ?kinds)\n'
        '       (GROUP_CONCAT(DISTINCT STR(?country); separator=" ") AS ?countries)\n'
        "       (SAMPLE(?coord) AS ?coordinates) (SAMPLE(?desc) AS ?description) (SAMPLE(?en) AS ?label)\n"
        "       (MIN(?born) AS ?birth) (MIN(?died) AS ?death) (MIN(?founded) AS ?inception)\n"
        "       (MIN(?ended) AS ?dissolved)\n"
        "WHERE {\n"
        "  VALUES (?entity ?name) {\n" + "\n".join(rows) + "\n  }\n"
        '  { ?item rdfs:label ?name . BIND("label" AS ?via) }\n'
        '  UNION { ?item skos:altLabel ?name . BIND("alias" AS ?via) }\n'
        f'  FILTER(STRSTARTS(STR(?item), "{WD}Q"))\n'
        "  OPTIONAL { ?item wdt:P31 ?class }\n"
        f"  OPTIONAL {{ ?item wdt:P31/wdt:P279* ?kind . VALUES ?kind {{ {kind_values} }} }}\n"
        "  OPTIONAL { ?item wdt:P17|wdt:P27 ?country }\n"
        "  OPTIONAL { ?item wdt:P625 ?coord }\n"
        '  OPTIONAL { ?item schema:description ?desc . FILTER(LANG(?desc) = "en") }\n'
        '  OPTIONAL { ?item rdfs:label ?en . FILTER(LANG(?en) = "en") }\n'
        "  OPTIONAL { ?item wdt:P569 ?born }\n"
        "  OPTIONAL { ?item wdt:P570 ?died }\n"
        "  OPTIONAL { ?item wdt:P571 ?founded }\n"
        "  OPTIONAL { ?item wdt:P576 ?ended }\n"
        "}\n"
        "GROUP BY ?entity ?name ?via ?item\n"
    )


def _year(value: str) -> int | None:
    match = re.match(r"^(-?\d{1,4})-", value)
    return int(match.group(1)) if match else None


def score_candidate(target: Target, candidate: Candidate) -> None:
    """Score one candidate in place and say why, so that a reviewer can follow every point.

    label match 0.6 / alias match 0.35; +0.1 when our primary label (not an alias) matched;
    +0.2 when its class fits the entity type (+0.1 for a place with coordinates but no class),
    -0.2 when it has classes and none fits; +0.1 / -0.3 for the expected / another country;
    -0.3 for a person who died, or an organisation dissolved, before 2022. A person must be a
    human (wd:Q5) and an item already linked to another entity is never viable.
    """
    reasons: list[str] = []
    score = 0.6 if candidate.via == "label" else 0.35
    reasons.append(f'{candidate.via} "{candidate.name}"@{candidate.lang}')
    if candidate.name == target.label:
        score += 0.1
    expected = {k for t in target.types for k in EXPECTED_KINDS.get(t, ())}
    kinds = set(candidate.kinds) | set(candidate.classes)
    fits = sorted(expected & kinds, key=lambda q: int(q[1:]))
    if fits:
        score += 0.2
        reasons.append("class fits: " + ", ".join(f"wd:{q}" for q in fits))
    elif "Place" in target.types and candidate.coordinates:
        score += 0.1
        reasons.append("has coordinates (a place)")
    elif candidate.classes:
        score -= 0.2
        reasons.append("classes do not fit " + "/".join(target.types))
    human_required = target.types == ("Person",)
    if human_required and "Q5" not in kinds:
        reasons.append("not a human (wd:Q5): rejected")
    if target.countries:
        if set(candidate.countries) & set(target.countries):
            score += 0.1
            reasons.append("in the expected country")
        elif candidate.countries:
            score -= 0.3
            reasons.append("in another country")
    if "Person" in target.types and (_year(candidate.death) or 9999) < THE_YEAR:
        score -= 0.3
        reasons.append(f"died {candidate.death[:10]}, before {THE_YEAR}")
    if (
        {"Organization", "MediaOutlet"} & set(target.types)
        and "Place" not in target.types
        and (_year(candidate.dissolved) or 9999) < THE_YEAR - 1
    ):
        score -= 0.3
        reasons.append(f"dissolved {candidate.dissolved[:10]}")
    if candidate.linked_elsewhere:
        reasons.append(f"already the link of kzid:{candidate.linked_elsewhere}")
    candidate.score = max(0.0, min(1.0, round(score, 4)))
    candidate.viable = (
        candidate.score >= VIABLE_SCORE
        and not candidate.linked_elsewhere
        and not (human_required and "Q5" not in kinds)
    )
    candidate.reasons = reasons


def decide(target: Target, candidates: list[Candidate]) -> tuple[str, str, str | None]:
    """accept only the single viable candidate matched on a label with a high score."""
    viable = [c for c in candidates if c.viable]
    if not candidates:
        return "no-candidates", "no item has this label or alias in the languages searched", None
    if not viable:
        return "review", "no viable candidate (alias-only, poor fit, or already linked elsewhere)", None
    if len(viable) > 1:
        items = ", ".join(f"{c.item} ({c.score:.2f})" for c in viable)
        return "review", f"ambiguous: {len(viable)} viable candidates ({items}); a reviewer must choose", None
    best = viable[0]
    if best.via != "label":
        return "review", f"{best.item} matched only an alias; a reviewer must confirm", None
    if best.score < ACCEPT_SCORE:
        return "review", f"{best.item} scores {best.score:.2f} (< {ACCEPT_SCORE}); a reviewer must confirm", None
    return "accept", f"the only viable candidate, matched on a label, score {best.score:.2f}", best.item


def _match_rank(candidate: Candidate, label: str) -> tuple[int, int]:
    return (candidate.via == "label", candidate.name == label)


def reconcile(
    corpus: Corpus,
    client: SparqlClient,
    *,
    only: Sequence[str] = (),
    batch_size: int = 8,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    progress: Callable[[str], None] = lambda _m: None,
) -> tuple[list[EntityCandidates], dict[str, str]]:
    """Search the endpoint for every target; return per-entity candidates and the queries used."""
    todo = targets(corpus, only)
    taken = linked_items(corpus)
    queries: dict[str, str] = {}
    found: dict[str, dict[str, Candidate]] = {t.id: {} for t in todo}
    labels = {t.id: t.label for t in todo}
    for start in range(0, len(todo), max(1, batch_size)):
        batch = todo[start : start + max(1, batch_size)]
        query = reconcile_query(batch, languages)
        progress(f"searching {client.endpoint} for {', '.join(t.id for t in batch)}")
        results = client.select(query)
        queries[results.query_id] = query
        for binding in results.bindings:
            entity, item = _value(binding, "entity"), _qid(_value(binding, "item"))
            if entity not in found or not re.fullmatch(r"Q[1-9][0-9]*", item):
                continue
            name_cell = binding.get("name") or {}
            candidate = Candidate(
                item=item,
                via=_value(binding, "via") or "label",
                name=str(name_cell.get("value", "")),
                lang=str(name_cell.get("xml:lang", "")),
                label=_value(binding, "label"),
                description=_value(binding, "description"),
                classes=sorted({_qid(c) for c in _value(binding, "classes").split()}),
                kinds=sorted({_qid(c) for c in _value(binding, "kinds").split()}),
                countries=sorted({_qid(c) for c in _value(binding, "countries").split()}),
                coordinates=_value(binding, "coordinates"),
                birth=_value(binding, "birth"),
                death=_value(binding, "death"),
                inception=_value(binding, "inception"),
                dissolved=_value(binding, "dissolved"),
                query=results.query_id,
            )
            candidate.linked_elsewhere = taken.get(item) if taken.get(item) != entity else None
            known = found[entity].get(item)
            # keep, per item, the strongest way it matched: a label beats an alias, and our
            # primary label beats one of our aliases
            if known is None or _match_rank(candidate, labels[entity]) > _match_rank(known, labels[entity]):
                found[entity][item] = candidate
    out = []
    for target in todo:
        candidates = list(found[target.id].values())
        for candidate in candidates:
            score_candidate(target, candidate)
        candidates.sort(key=lambda c: (-c.score, int(c.item[1:])))
        decision, reason, choose = decide(target, candidates)
        out.append(
            EntityCandidates(
                target.id, target.label, list(target.types), target.where, decision, reason, choose, candidates
            )
        )
    return out, queries


CANDIDATES_HEADER = """\
# kzkg link candidates: review before `kzkg link --apply`.
# For each entity, `decision` says what the search concluded:
#   accept         the only viable candidate, matched on a label; `choose` holds it. Set `choose: null`
#                  to veto it.
#   review         ambiguous or weak: nothing is applied unless a reviewer sets `choose` to one of the
#                  listed candidate items AND puts their name in `reviewed_by`.
#   no-candidates  nothing matched.
# `--apply` records each chosen item in the entity's registry file with its evidence (the query,
# the endpoint, the date) and never applies an item that is not listed here.
"""


def write_candidates(
    path: Path, results: list[EntityCandidates], queries: dict[str, str], endpoint: str, retrieved: str
) -> None:
    document = {
        "kzkg_version": __version__,
        "endpoint": endpoint,
        "retrieved": retrieved,
        "summary": {d: sum(1 for r in results if r.decision == d) for d in ("accept", "review", "no-candidates")},
        "entities": [r.as_dict() for r in results],
        "queries": dict(sorted(queries.items())),
    }
    text = CANDIDATES_HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(path), text)
