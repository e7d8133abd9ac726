"""Recording what a reviewer accepted (``kzkg link --apply``) in the entity registry.

A candidate from :mod:`kzkg.link` is recorded only when the search found exactly one viable one
(the rule of :func:`kzkg.link.decide`, checked again here on the stored candidates so that a
hand-edited ``decision: accept`` cannot turn an ambiguous entry into a link) or when a named
reviewer chose it. The entity registry is edited by curators while this runs, so a file is changed
by inserting one line per entity -- nothing else in the file is re-serialised -- the parsed result
must equal the old document plus exactly those links, and the file is swapped in atomically only
if nobody changed it meanwhile.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kzkg.atomic import FileChangedError, atomic_write_text
from kzkg.ingest import load_corpus
from kzkg.link import ACCEPT_SCORE, linked_items
from kzkg.sparql_client import LinkError

__all__ = ["ApplyReport", "add_links", "apply_candidates"]

LINK_EVIDENCE_DIR = "link-evidence"


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
