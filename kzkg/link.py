"""Reconciliation with Wikidata (``kzkg link``) and recording what a reviewer accepted (``--apply``).

Only the CLI imports this module: the build reads the enrichment graph through :mod:`kzkg.enrich`,
and the endpoint and the pages never reconcile anything. The HTTP side is
:mod:`kzkg.sparql_client`; whole-file writes are :mod:`kzkg.atomic`.

Why it is built the way it is:

* A wrong identifier is worse than none. Reconciliation only *proposes*: it writes scored
  candidates to a file people review. ``--apply`` records a candidate only when the search found
  exactly one viable one (matched on a label, type and place consistent) or when a named reviewer
  chose it; an ambiguous candidate is never applied automatically.
* The entity registry is edited by curators while this runs. ``--apply`` therefore changes a file
  by inserting one line per entity -- nothing else in the file is re-serialised -- checks that the
  parsed result equals the old document plus exactly those links, and swaps the file in atomically
  only if nobody changed it meanwhile.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kzkg import __version__
from kzkg.atomic import FileChangedError, atomic_write_text
from kzkg.ingest import Corpus, Entity, load_corpus
from kzkg.sparql_client import LinkError, SparqlClient, utc_now
from kzkg.wikidata import QUERY_PREFIXES, WD
from kzkg.wikidata import qid as _qid
from kzkg.wikidata import value as _value

__all__ = [
    "LinkError",
    "add_links",
    "apply_candidates",
    "reconcile",
    "reconcile_query",
    "targets",
    "utc_now",
    "write_candidates",
]

LINK_EVIDENCE_DIR = "link-evidence"

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


# ---------------------------------------------------------------------------------- reconciliation
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


# ------------------------------------------------------------------------------------------- apply
@dataclass
class ApplyReport:
    applied: list[tuple[str, str, str]] = field(default_factory=list)  # (entity, qid, file)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entity, why)


def _load_candidates(path: Path) -> dict:
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as missing:
        raise LinkError(f"{path}: no candidates file; run `kzkg link` first") from missing
    except (OSError, yaml.YAMLError) as broken:
        raise LinkError(f"{path}: cannot be read: {broken}") from broken
    if not isinstance(document, dict) or not isinstance(document.get("entities"), list):
        raise LinkError(f"{path}: not a kzkg link candidates file")
    return document


def _evidence_text(entry: dict, candidate: dict, document: dict, by_reviewer: bool, evidence_path: str) -> str:
    matched = candidate.get("matched") or {}
    date = str(document.get("retrieved", ""))[:10]
    how = (
        f"chosen by reviewer {entry.get('reviewed_by')}"
        if by_reviewer
        else "auto-accepted as the only viable candidate"
    )
    facts = "; ".join(r for r in candidate.get("reasons", [])[1:] if r)
    return (
        f"kzkg link {date}: {document.get('endpoint')} returned {candidate['item']} for "
        f'{matched.get("via", "label")} "{matched.get("name", "")}"@{matched.get("lang", "")}'
        + (f" ({facts})" if facts else "")
        + f"; score {float(candidate.get('score', 0)):.2f}; {how}; query {evidence_path}"
    )


def _still_acceptable(candidates: list[dict], choose: str) -> bool:
    """Re-check decide()'s rule on the stored candidates, so that hand-editing `decision: accept`
    into the file cannot turn an ambiguous entry into an automatic link."""
    viable = [c for c in candidates if c.get("viable")]
    if len(viable) != 1 or str(viable[0].get("item")) != choose:
        return False
    best = viable[0]
    return (best.get("matched") or {}).get("via") == "label" and float(best.get("score", 0)) >= ACCEPT_SCORE


def apply_candidates(candidates_path: Path, data_dir: Path) -> ApplyReport:
    """Record the accepted or reviewer-chosen candidates in the registry files (see module docstring)."""
    data_dir = Path(data_dir)
    document = _load_candidates(candidates_path)
    corpus = load_corpus(data_dir)
    taken = linked_items(corpus)
    report = ApplyReport()
    plan: dict[str, list[tuple[str, str, str]]] = {}  # file -> [(entity, qid, evidence)]
    evidence_files: dict[str, str] = {}
    queries = document.get("queries") or {}
    for entry in document["entities"]:
        if not isinstance(entry, dict):
            continue
        entity_id, choose = str(entry.get("entity", "")), entry.get("choose")
        if not choose:
            continue
        candidates = {str(c.get("item")): c for c in entry.get("candidates") or [] if isinstance(c, dict)}
        candidate = candidates.get(str(choose))
        by_reviewer = not (
            entry.get("decision") == "accept" and _still_acceptable(list(candidates.values()), str(choose))
        )
        why = None
        if candidate is None:
            why = f"{choose} is not one of the listed candidates (add other links by hand, with evidence)"
        elif by_reviewer and not entry.get("reviewed_by"):
            why = f"{choose} was not auto-accepted; a reviewer must put their name in reviewed_by"
        elif entity_id not in corpus.entities:
            why = "no such entity any more"
        elif corpus.entities[entity_id].links.get("wikidata"):
            why = f"already linked to {corpus.entities[entity_id].links['wikidata']}"
        elif corpus.entities[entity_id].label != entry.get("label"):
            why = "its label changed since the search; run `kzkg link` again"
        elif taken.get(str(choose)) and taken[str(choose)] != entity_id:
            why = f"{choose} is already the link of {taken[str(choose)]}"
        elif corpus.entities[entity_id].links:
            why = "it has other links already; add the Wikidata id by hand"
        if why or candidate is None:  # a missing candidate always has its why
            report.skipped.append((entity_id, why or "no candidate"))
            continue
        qid = str(choose)
        taken[qid] = entity_id
        qid_query = str(candidate.get("query", ""))
        text = queries.get(qid_query)
        if not text:
            report.skipped.append((entity_id, f"its query {qid_query} is missing from the candidates file"))
            continue
        evidence_rel = f"{LINK_EVIDENCE_DIR}/{qid_query}.rq"
        evidence_files[qid_query] = (
            f"# kzkg link: the query that found candidates\n# endpoint: {document.get('endpoint')}\n"
            f"# retrieved: {document.get('retrieved')}\n" + text
        )
        file = _entity_file(data_dir, entity_id)
        plan.setdefault(str(file), []).append(
            (entity_id, qid, _evidence_text(entry, candidate, document, by_reviewer, evidence_rel))
        )
    if not plan:
        return report
    evidence_dir = data_dir / LINK_EVIDENCE_DIR
    evidence_dir.mkdir(exist_ok=True)
    for name, text in sorted(evidence_files.items()):
        target = evidence_dir / f"{name}.rq"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            atomic_write_text(target, text)
    for file_name, items in sorted(plan.items()):
        try:
            add_links(Path(file_name), {e: (q, ev) for e, q, ev in items})
        except LinkError as problem:
            report.skipped += [(e, str(problem)) for e, _, _ in items]
            continue
        rel = os.path.relpath(file_name, data_dir.parent)
        report.applied += [(e, q, rel) for e, q, _ in items]
    return report


def _entity_file(data_dir: Path, entity_id: str) -> Path:
    for path in sorted((data_dir / "entities").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(item, dict) and str(item.get("id")) == entity_id:
                return path
    raise LinkError(f"entity {entity_id} is not defined in {data_dir / 'entities'}")


def add_links(path: Path, links: dict[str, tuple[str, str]]) -> None:
    """Insert ``links: {wikidata: Q…, evidence: "…"}`` after each named entity's last line.

    The file is located with the YAML composer (node marks), changed only by the inserted lines,
    verified (re-parsed: old document plus exactly these links; no other line touched) and
    replaced atomically if its content is still the one read.
    """
    raw = path.read_bytes()
    original_hash = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as broken:
        raise LinkError(f"{path}: not valid YAML ({broken}); nothing written") from broken
    if not isinstance(root, yaml.SequenceNode) or root.flow_style:
        raise LinkError(f"{path}: not a block list of entities; add the links by hand")
    inserts: dict[int, str] = {}
    placed: set[str] = set()
    for node in root.value:
        if not isinstance(node, yaml.MappingNode):
            continue
        keys = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        if "id" not in keys or keys["id"][1].value not in links:
            continue
        entity_id = keys["id"][1].value
        if node.flow_style or "links" in keys:
            raise LinkError(f"{path}: entity {entity_id} is a flow mapping or has links; edit it by hand")
        end = node.end_mark
        last = end.line if end.column > 0 else end.line - 1
        last = min(last, len(lines) - 1)
        while last > node.start_mark.line and (not lines[last].strip() or lines[last].lstrip().startswith("#")):
            last -= 1
        indent = keys["id"][0].start_mark.column
        qid, evidence = links[entity_id]
        placed.add(entity_id)
        inserts[last] = (
            f"{' ' * indent}links: {{wikidata: {qid}, evidence: {json.dumps(evidence, ensure_ascii=False)}}}"
        )
    found = {keys_id for keys_id in links if keys_id in placed}
    if found != set(links):
        raise LinkError(f"{path}: entity {', '.join(sorted(set(links) - found))} not found; nothing written")
    new_lines: list[str] = []
    for number, line in enumerate(lines):
        if number in inserts and not line.endswith(("\n", "\r")):
            new_lines.append(line + newline)  # the entity ends the file without a final newline
        else:
            new_lines.append(line)
        if number in inserts:
            new_lines.append(inserts[number] + newline)
    new_text = "".join(new_lines)
    _verify_only_links_added(path, text, new_text, links)
    try:
        atomic_write_text(path, new_text, expected_sha256=original_hash)
    except FileChangedError as changed:
        raise LinkError(str(changed)) from changed


def _verify_only_links_added(path: Path, old: str, new: str, links: dict[str, tuple[str, str]]) -> None:
    try:
        before, after = yaml.safe_load(old), yaml.safe_load(new)
    except yaml.YAMLError as broken:
        raise LinkError(f"{path}: the edited file would not parse ({broken}); nothing written") from broken
    expected = copy.deepcopy(before)
    for item in expected:
        if isinstance(item, dict) and str(item.get("id")) in links:
            qid, evidence = links[str(item["id"])]
            item["links"] = {"wikidata": qid, "evidence": evidence}
    if after != expected:
        raise LinkError(f"{path}: inserting the links would change more than the links; nothing written")
    old_lines, new_lines = old.splitlines(), new.splitlines()
    kept = [line for line in new_lines if not line.lstrip().startswith("links: {wikidata: ")]
    if kept != [line for line in old_lines if not line.lstrip().startswith("links: {wikidata: ")] or len(
        new_lines
    ) != len(old_lines) + len(links):
        raise LinkError(f"{path}: the edit would touch other lines; nothing written")
