"""Stage 1, ingest: read the curated YAML and the article texts into typed records.

Which files make a corpus (the article index, the entity and event registries, one annotation file
per article) and what each entry must hold; all mistakes of a run come back together as
:class:`~kzkg.corpus.Problem` lines naming file, line and entry. The records are
:mod:`kzkg.corpus`, the located YAML reading is :mod:`kzkg.curated_yaml`. Nothing here touches
RDF; :mod:`kzkg.map` does that.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kzkg.assertion_format import parse_claim
from kzkg.corpus import (
    CLAIM_STATUSES,
    CONTROL_VALUES,
    ENTITY_TYPES,
    EVENT_TYPES,
    QUALIFIERS,
    QUANTITY_KINDS,
    SLUG,
    UNKNOWN,
    Article,
    Claim,
    Corpus,
    Entity,
    Event,
    Problem,
    ReReport,
    Role,
)
from kzkg.curated_yaml import Entry, load_yaml, read_text
from kzkg.errors import InputError

__all__ = ["CLAIM_KEYS", "IngestError", "load_corpus", "ordered_claim"]

# The keys a claim entry may have, in the order curated files list them; a tool that writes claims
# (the review app) writes them in this order, so its files read like curated ones. ``draft``: what
# `kzkg extract` proposed, refused by validate and build (see _refuse_draft) so it is never published.
CLAIM_KEYS = (
    "id",
    "draft",
    "label",
    "claimed_by",
    "via",
    "date",
    "date_text",
    "stated_in",
    "about",
    "quantity",
    "quantity_kind",
    "qualifier",
    "quantity_text",
    "unit",
    "status",
    "polarity",
    "kind",
    "asserts",
    "not_asserted",
    "contradicts",
    "corroborates",
    "note",
    "quote",
    "quotes",
)


def ordered_claim(claim: dict[str, Any]) -> dict[str, Any]:
    """A claim with its keys in CLAIM_KEYS order, any other key after them in the order it had."""
    rank = {key: index for index, key in enumerate(CLAIM_KEYS)}
    return {key: claim[key] for key in sorted(claim, key=lambda key: rank.get(key, len(rank)))}


# The input could not be read at all (a missing folder, a file that is not UTF-8, YAML that does
# not parse). Distinct from a :class:`Problem`, which is a mistake *in* readable data: errors stop
# validation (exit 2), problems are reported together (exit 1). Kept under its old name.
IngestError = InputError


def _rel(path: Path, data_dir: Path) -> str:
    try:
        return str(path.relative_to(data_dir.parent))
    except ValueError:
        return str(path)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def load_corpus(data_dir: Path) -> Corpus:
    """Read every curated file under ``data_dir``; raise InputError only when nothing can be read."""
    data_dir = Path(data_dir)
    corpus = Corpus()
    index = data_dir / "articles.yaml"
    if not index.is_file():
        raise InputError("missing (the article index)", file=index)
    annotation_files = _yaml_files(data_dir / "annotations")
    if not annotation_files:
        raise InputError("no annotation files (*.yaml) found", file=data_dir / "annotations")
    _read_articles(corpus, data_dir, index)
    for path in _yaml_files(data_dir / "entities"):
        _read_entities(corpus, data_dir, path)
    for path in _yaml_files(data_dir / "events"):
        _read_events(corpus, data_dir, path)
    for path in annotation_files:
        _read_annotations(corpus, data_dir, path)
    corpus.files = [index, *_yaml_files(data_dir / "entities"), *_yaml_files(data_dir / "events"), *annotation_files]
    return corpus


def _read_articles(corpus: Corpus, data_dir: Path, index: Path) -> None:
    rel = _rel(index, data_dir)
    raw = load_yaml(index)
    entries = raw.get("articles") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        corpus.problems.append(Problem(rel, "", "expected a top-level 'articles:' list"))
        return
    allowed = {
        "id",
        "file",
        "title",
        "publisher",
        "byline",
        "creators",
        "date",
        "date_text",
        "note",
        "repost_of",
        "reprints",
        "part_of_issue",
    }
    for position, item in enumerate(entries, 1):
        name = f"article {item.get('id', f'#{position}')}" if isinstance(item, dict) else f"article #{position}"
        entry = Entry(corpus, rel, name, item, allowed)
        article_id, file = entry.text("id", True), entry.text("file", True)
        if not article_id or not file:
            continue
        text_path = data_dir / file
        if not text_path.exists():
            entry.problem(f"article text {file} not found")
            continue
        if article_id in corpus.articles:
            entry.problem("defined twice")
            continue
        text = read_text(text_path, f"article text of article {article_id}")  # newlines as written
        corpus.articles[article_id] = Article(
            id=article_id,
            file=file,
            title=entry.text("title", True) or "",
            publisher=entry.ids("publisher")[0] if entry.ids("publisher") else "",
            byline=entry.text("byline") or UNKNOWN,
            creators=entry.ids("creators"),
            date=entry.date("date"),
            date_text=entry.text("date_text"),
            note=entry.text("note"),
            text=text,
            repost_of=_repost_of(entry),
            reprints=entry.ids("reprints"),
            part_of_issue=entry.text("part_of_issue"),
        )
        if not corpus.articles[article_id].publisher:
            entry.problem("missing 'publisher'")


def _repost_of(entry: Entry) -> dict[str, Any] | None:
    """The original an article reposts: {id, title, publisher, evidence?}; anything else is a problem
    here, so mapping never meets a half-described original (it used to be a KeyError there)."""
    value = entry.raw.get("repost_of")
    if value is None:
        return None
    if not isinstance(value, dict):
        entry.problem(f"'repost_of': expected a mapping {{id, title, publisher, date, evidence}}, found {value!r}")
        return None
    original = Entry(
        entry.corpus, entry.path, f"{entry.name} repost_of", value, {"id", "title", "publisher", "date", "evidence"}
    )
    original.date("date")  # not mapped (yet), but a curator's impossible date is still reported
    ids, title, publisher = original.ids("id"), original.text("title", True), original.ids("publisher")
    evidence = original.text("evidence")
    if not ids:
        original.problem("missing 'id' (the original article's id)")
    if not publisher:
        original.problem("missing 'publisher' (an entity id)")
    if not ids or not title or not publisher:
        return None
    return {"id": ids[0], "title": title, "publisher": publisher[0], **({"evidence": evidence} if evidence else {})}


def _entries(corpus: Corpus, rel: str, items: Any, kind: str, allowed: set[str]):
    """Each mapping of a curated list with its id, once the id is present and a slug."""
    for position, item in enumerate(items or [], 1):
        name = f"{kind} {item.get('id', f'#{position}')}" if isinstance(item, dict) else f"{kind} #{position}"
        entry = Entry(corpus, rel, name, item, allowed)
        item_id = entry.text("id", True)
        if not item_id:
            continue
        if not SLUG.match(item_id):
            entry.problem(f"id {item_id!r} is not a lowercase slug")
            continue
        yield entry, item_id


def _read_entities(corpus: Corpus, data_dir: Path, path: Path) -> None:
    rel = _rel(path, data_dir)
    items = load_yaml(path) or []
    if not isinstance(items, list):
        corpus.problems.append(Problem(rel, "", "expected a list of entities"))
        return
    allowed = {
        "id",
        "type",
        "label",
        "aliases",
        "located_in",
        "member_of",
        "control",
        "control_evidence",
        "country",
        "note",
        "links",
    }
    for entry, entity_id in _entries(corpus, rel, items, "entity", allowed):
        types = entry.raw.get("type")
        types = types if isinstance(types, list) else [types]
        bad = [t for t in types if t not in ENTITY_TYPES]
        if bad or not types:
            entry.problem(f"'type': {bad or types} not among {', '.join(ENTITY_TYPES)}")
        links = entry.raw.get("links") or {}
        if links and not isinstance(links, dict):
            entry.problem("'links' must be a mapping")
            links = {}
        links = {str(k): str(v) for k, v in links.items()}
        if set(links) - {"wikidata", "geonames", "dbpedia", "evidence"}:
            entry.problem(
                f"'links': unknown keys {sorted(set(links) - {'wikidata', 'geonames', 'dbpedia', 'evidence'})}"
            )
        if set(links) - {"evidence"} and not links.get("evidence"):
            entry.problem("'links': an external identifier needs its 'evidence'")
        if "wikidata" in links and not re.fullmatch(r"Q[1-9][0-9]*", links["wikidata"]):
            entry.problem(f"'links': {links['wikidata']!r} is not a Wikidata item id")
        if "geonames" in links and not links["geonames"].isdigit():
            entry.problem(f"'links': {links['geonames']!r} is not a GeoNames id")
        control_evidence = entry.evidence("control_evidence", None)
        entity = Entity(
            id=entity_id,
            types=[t for t in types if t in ENTITY_TYPES],
            label=entry.text("label", True) or entity_id,
            aliases=entry.texts("aliases"),
            located_in=(entry.ids("located_in") or [None])[0],
            member_of=entry.ids("member_of"),
            country=(entry.ids("country") or [None])[0],
            control=entry.choice("control", CONTROL_VALUES),
            control_evidence=control_evidence[0] if control_evidence else None,
            links=links,
            where=entry.where,
        )
        if entity.control in ("state", "independent") and not entity.control_evidence:
            entry.problem("'control' needs 'control_evidence' (a quote showing it)")
        _register(corpus, entry, entity_id, entity)


def _register(corpus: Corpus, entry: Entry, key: str, value: Entity | Event) -> None:
    """Entities and events share one id space; a twin is reported with both places."""
    clash = corpus.entities.get(key) or corpus.events.get(key)
    if clash is not None:
        entry.problem(f"id {key!r} is already defined at {clash.where}")
        return
    if isinstance(value, Entity):
        corpus.entities[key] = value
    else:
        corpus.events[key] = value


def _read_events(corpus: Corpus, data_dir: Path, path: Path) -> None:
    rel = _rel(path, data_dir)
    items = load_yaml(path) or []
    if not isinstance(items, list):
        corpus.problems.append(Problem(rel, "", "expected a list of events"))
        return
    allowed = {
        "id",
        "type",
        "label",
        "start",
        "end",
        "date_text",
        "places",
        "participants",
        "part_of",
        "evidence",
        "note",
    }
    for entry, event_id in _entries(corpus, rel, items, "event", allowed):
        if "start" not in entry.raw:
            entry.problem("missing 'start' (a date, or 'unknown' when the text gives none)")
        start, end = entry.date("start"), entry.date("end")
        if start and end and end < start:
            entry.problem(f"'end' {end} is before 'start' {start}")
        evidence = entry.evidence("evidence", None)
        if not evidence:
            entry.problem("an event needs at least one evidence quote")
        event = Event(
            id=event_id,
            type=entry.choice("type", EVENT_TYPES) or "Other",
            label=entry.text("label", True) or event_id,
            start=start,
            end=end,
            date_text=entry.text("date_text"),
            places=entry.ids("places"),
            participants=entry.ids("participants"),
            part_of=entry.ids("part_of"),
            evidence=evidence,
            where=entry.where,
        )
        _register(corpus, entry, event_id, event)


def _refuse_draft(entry: Entry) -> None:
    """``kzkg extract`` marks what it proposes ``draft: true``; a draft is a machine's guess that
    nobody has reviewed, so it must never reach a release as fact (issue #13). Reviewing removes
    the key; until then validate and build fail on it."""
    if entry.raw.get("draft") not in (None, False):
        entry.problem("still a draft")


def _read_annotations(corpus: Corpus, data_dir: Path, path: Path) -> None:
    rel = _rel(path, data_dir)
    raw = load_yaml(path)
    top = Entry(corpus, rel, "", raw, {"article", "claims", "reports", "roles", "note"})
    article = top.text("article", True)
    if not article:
        return
    if article not in corpus.articles:
        top.problem(f"article {article!r} is not in articles.yaml")
    claim_keys = set(CLAIM_KEYS)
    for entry, claim_id in _entries(corpus, rel, top.raw.get("claims"), "claim", claim_keys):
        _refuse_draft(entry)
        evidence = entry.evidence("quote", article) + entry.evidence("quotes", article)
        if not evidence:
            entry.problem("a claim needs the verbatim 'quote' that shows the article makes it")
        claimed_by = entry.ids("claimed_by")
        if not claimed_by:
            entry.problem("a claim needs 'claimed_by' (an unnamed source is a Group entity)")
        claim = Claim(
            id=claim_id,
            article=article,
            label=entry.text("label", True) or claim_id,
            claimed_by=claimed_by,
            via=entry.ids("via"),
            date=entry.date("date"),
            date_text=entry.text("date_text"),
            stated_in=(entry.ids("stated_in") or [None])[0],
            about=entry.ids("about"),
            quantity=entry.number("quantity"),
            quantity_kind=entry.choice("quantity_kind", QUANTITY_KINDS),
            qualifier=entry.choice("qualifier", QUALIFIERS),
            quantity_text=entry.text("quantity_text"),
            unit=entry.text("unit"),
            status=entry.choice("status", CLAIM_STATUSES, "Unverified") or "Unverified",
            polarity=entry.choice("polarity", ("negative", "positive")),
            contradicts=entry.ids("contradicts"),
            corroborates=entry.ids("corroborates"),
            evidence=evidence,
            where=entry.where,
        )
        claim.kind, claim.asserts, claim.not_asserted = parse_claim(entry)
        if (claim.quantity is not None or claim.quantity_text) and not claim.quantity_kind:
            entry.problem("a figure needs its 'quantity_kind'")
        if claim_id in corpus.claims:
            entry.problem(f"claim id {claim_id!r} is already defined at {corpus.claims[claim_id].where}")
            continue
        corpus.claims[claim_id] = claim
    for position, item in enumerate(top.raw.get("reports") or [], 1):
        name = f"report of {item.get('claim', f'#{position}')}" if isinstance(item, dict) else f"report #{position}"
        entry = Entry(corpus, rel, name, item, {"claim", "quote", "occurrence", "note", "draft"})
        _refuse_draft(entry)
        claim_id = entry.text("claim", True)
        evidence = entry.evidence("quote", article)
        if claim_id and evidence:
            evidence[0].occurrence = entry.occurrence(entry.raw.get("occurrence"))
            corpus.reports.append(ReReport(claim_id, evidence[0], entry.where))
        elif claim_id:
            entry.problem("a report needs the 'quote' from this article")
    for position, item in enumerate(top.raw.get("roles") or [], 1):
        name = f"role of {item.get('actor', f'#{position}')}" if isinstance(item, dict) else f"role #{position}"
        entry = Entry(corpus, rel, name, item, {"actor", "role", "quote", "occurrence", "note", "draft"})
        _refuse_draft(entry)
        actors = entry.ids("actor")
        actor, role = (actors[0] if actors else None), entry.text("role", True)
        evidence = entry.evidence("quote", article)
        if not evidence:
            entry.problem("a role needs the 'quote' from this article")
        if actor and role and evidence:
            evidence[0].occurrence = entry.occurrence(entry.raw.get("occurrence"))
            corpus.roles.append(Role(actor, role, evidence[0], entry.where))
