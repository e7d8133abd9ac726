"""Adding an extracted article to data/: the text, its articles.yaml entry, drafts, proposals.

Every file is written atomically (kzkg.atomic); the article text is copied byte for byte. Drafts
go to ``annotations/NNN.yaml`` (each entry ``draft: true``, which validate and build refuse) and
proposed entities to ``drafts/NNN.yaml``, which the registry never reads: a reviewer approves them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from kzkg.atomic import atomic_write_text
from kzkg.extract import ExtractError
from kzkg.extract.draft import ArticleMeta, Drafts, draft_article
from kzkg.extract.nlp import build_pipeline, model_available
from kzkg.extract.registry import Registry, slug
from kzkg.extract.text import parse_meta, read_article
from kzkg.ingest import IngestError, load_corpus


class _Dumper(yaml.SafeDumper):
    """Plain YAML a curator can edit: no anchors/aliases for repeated lists."""

    def ignore_aliases(self, data) -> bool:
        return True


def dump(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


@dataclass
class ExtractResult:
    article: str
    text_path: Path
    annotations_path: Path
    drafts_path: Path
    claims: int
    entities: int
    model: bool
    seconds: float


def byline_from_text(text: str) -> tuple[str | None, dt.date | None]:
    """A "By NAME. Month D, YYYY" line, as the text states it (unknown stays unknown)."""
    match = re.search(r"^By\s+([^\n.]+?)(?:\.\s*([A-Z][a-z]+ \d{1,2}, \d{4}))?\s*$", text, re.MULTILINE)
    if not match:
        return None, None
    day = None
    if match.group(2):
        try:
            day = dt.datetime.strptime(match.group(2), "%B %d, %Y").date()
        except ValueError:
            day = None
    return match.group(1).strip(), day


def run_extraction(
    text: str,
    meta: ArticleMeta,
    registry: Registry,
    use_model: bool = True,
    warn: Callable[[str], None] = lambda m: None,
) -> Drafts:
    nlp = build_pipeline(registry, use_model=use_model, warn=warn)
    return draft_article(text, meta, registry, nlp)


def extract(
    article: Path,
    data_dir: Path,
    meta: Mapping[str, str],
    use_model: bool = True,
    warn: Callable[[str], None] = lambda m: None,
) -> ExtractResult:
    started = time.perf_counter()
    raw = read_article(article)
    text = raw.decode("utf-8")
    try:
        corpus = load_corpus(data_dir)
    except IngestError as unreadable:
        raise ExtractError(str(unreadable)) from unreadable
    digest = hashlib.sha256(raw).hexdigest()
    for known in corpus.articles.values():
        if known.text.encode("utf-8") == raw:
            raise ExtractError(f"{article}: already in the corpus as article {known.id} ({known.file})")
    numbers = [int(a) for a in corpus.articles if a.isdigit()]
    article_id = f"{max(numbers, default=-1) + 1:03d}"
    registry = Registry.from_corpus(corpus)

    byline, stated_date = byline_from_text(text)
    byline = meta.get("byline") or byline
    date_value = meta.get("date")
    day = (
        dt.date.fromisoformat(date_value)
        if date_value and date_value != "unknown"
        else (None if date_value == "unknown" else stated_date)
    )
    title = meta.get("title") or next((line.strip() for line in text.splitlines() if line.strip()), "unknown")
    creators = [
        k.id for k in registry.entities.values() if byline and any(n.lower() == byline.lower() for n in k.names)
    ]
    publisher = meta.get("publisher") if meta.get("publisher") in registry.entities else None
    drafts = run_extraction(text, ArticleMeta(article_id, day, byline, creators, publisher), registry, use_model, warn)

    text_rel = f"articles/{article_id}_{digest[:16]}.txt"
    text_path = data_dir / text_rel
    text_path.write_bytes(raw)
    entry = {
        "id": article_id,
        "file": text_rel,
        "title": title,
        "publisher": meta.get("publisher") or "unknown",
        "byline": byline or "unknown",
        "creators": creators,
        "date": day.isoformat() if day else "unknown",
    }
    index = data_dir / "articles.yaml"
    old = index.read_text(encoding="utf-8")
    block = (
        "\n"
        + "\n".join(
            "    " + line if i else "  - " + line for i, line in enumerate(dump(entry).rstrip("\n").split("\n"))
        )
        + "\n"
    )
    atomic_write_text(index, old.rstrip("\n") + "\n" + block, hashlib.sha256(old.encode("utf-8")).hexdigest())

    annotations = data_dir / "annotations" / f"{article_id}.yaml"
    header = (
        f"# Drafts by `kzkg extract` for article {article_id}: every entry is `draft: true` until a person\n"
        "# reviews it (`kzkg serve --review`); validate and build refuse drafts.\n"
    )
    atomic_write_text(annotations, header + dump({"article": article_id, "claims": drafts.claims}))
    drafts_path = data_dir / "drafts" / f"{article_id}.yaml"
    drafts_path.parent.mkdir(exist_ok=True)
    atomic_write_text(
        drafts_path,
        "# Proposed new entities for article "
        + article_id
        + ": not in the registry until approved in review.\n"
        + dump({"article": article_id, "entities": list(drafts.entities.values())}),
    )
    return ExtractResult(
        article_id,
        text_path,
        annotations,
        drafts_path,
        len(drafts.claims),
        len(drafts.entities),
        use_model and model_available(),
        time.perf_counter() - started,
    )


__all__ = ["ExtractError", "ExtractResult", "extract", "parse_meta", "run_extraction", "slug"]
