"""The search index: full text over labels, names, aliases, claim labels and quotes, built with the release.

Why a build-time index and not a SPARQL ``CONTAINS`` per keystroke: a regex or substring filter
scans every literal of the graph (seconds at 1M triples), while an SQLite FTS5 index (in Python's
standard library, no server to run) answers a word or prefix query in milliseconds and ranks by
BM25. The index is a file in the release directory (``search.sqlite``), so it is as atomic as the
release: a server always searches the build it serves.

What is indexed, one row per resource of the five kinds a reader looks for (``actor``, ``event``,
``place``, ``claim``, ``article``): its label (``rdfs:label`` / ``dcterms:title``), its other
names (``skos:altLabel`` and the names in every language the enrichment graph holds for its
Wikidata item, so "Алматы" finds Almaty) and, for claims and events, the verbatim quotes of
their evidence.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kzkg.enrich import ENRICHMENT_GRAPH
from kzkg.namespaces import PREFIXES

INDEX_FILE = "search.sqlite"
# Most specific first: a resource typed with several of these is filed under the first.
KINDS: tuple[tuple[str, str], ...] = (
    ("claim", "Claim"),
    ("article", "Article"),
    ("event", "Event"),
    ("place", "Place"),
    ("actor", "Actor"),
)
# The order results are shown in: who, what happened, where, then what was said and where it was printed.
DISPLAY_ORDER = ("actor", "event", "place", "claim", "article")
KIND_LABELS = {"actor": "Actors", "event": "Events", "place": "Places", "claim": "Claims", "article": "Articles"}
# BM25 weights per column (iri, kind, label, names, quotes): a hit in a label outranks one in a quote.
WEIGHTS = (0.0, 0.0, 10.0, 5.0, 1.0)

_KIND_CLASSES = " ".join(f"kz:{cls}" for _, cls in KINDS)
_TYPED = f"""
SELECT ?s ?type WHERE {{ VALUES ?type {{ {_KIND_CLASSES} }} ?s a ?type . FILTER(isIRI(?s)) }}
"""
_LABELS = """
SELECT ?s ?p ?text WHERE {
  VALUES ?p { rdfs:label dcterms:title skos:altLabel }
  ?s ?p ?text . FILTER(isLiteral(?text))
}"""
_EXTERNAL_NAMES = f"""
SELECT ?s ?text WHERE {{
  ?s skos:exactMatch ?item .
  GRAPH <{ENRICHMENT_GRAPH}> {{ VALUES ?p {{ rdfs:label skos:altLabel }} ?item ?p ?text }}
}}"""
_QUOTES = """
SELECT ?s ?text WHERE { ?s kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?text }
"""


@dataclass(frozen=True)
class Hit:
    """One result: the resource, its kind and label, and the matching words in context (safe HTML)."""

    iri: str
    kind: str
    label: str
    snippet_html: str


@dataclass(frozen=True)
class Results:
    """Hits grouped by kind (in DISPLAY_ORDER, best first) and how many matched per kind in all."""

    query: str
    groups: dict[str, list[Hit]]
    totals: dict[str, int]


class SearchIndexMissing(FileNotFoundError):
    """The release has no search index (built by a kzkg older than the index)."""


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The rows of one of the SELECT queries above, over the release's default graph (every graph
    but claims' assertion graphs)."""
    solutions = store.query(query, prefixes=PREFIXES)
    if not isinstance(solutions, ox.QuerySolutions):
        raise TypeError(f"search index query returned {type(solutions).__name__}, not SELECT solutions")
    return solutions


def write_index(store_path: Path, target: Path) -> int:
    """Read a (just loaded) release store and write its search index to ``target``; returns the rows.

    Opened read-only and queried with SPARQL, so the index sees exactly what the endpoint serves,
    inferred types included (a ``kz:MediaOutlet`` is found as an actor).
    """
    store = ox.Store.read_only(str(store_path))

    order = {f"{PREFIXES['kz']}{cls}": rank for rank, (_, cls) in enumerate(KINDS)}
    names = [kind for kind, _ in KINDS]
    kind_of: dict[str, int] = {}
    for row in _select(store, _TYPED):
        iri, rank = row["s"].value, order[row["type"].value]
        kind_of[iri] = min(rank, kind_of.get(iri, rank))
    labels: dict[str, list[str]] = defaultdict(list)
    others: dict[str, list[str]] = defaultdict(list)
    quotes: dict[str, list[str]] = defaultdict(list)
    alt = f"{PREFIXES['skos']}altLabel"
    for row in _select(store, _LABELS):
        iri = row["s"].value
        if iri in kind_of:
            bucket = others if row["p"].value == alt else labels
            if row["text"].value not in bucket[iri]:
                bucket[iri].append(row["text"].value)
    for row in _select(store, _EXTERNAL_NAMES):
        iri = row["s"].value
        if iri in kind_of and row["text"].value not in others[iri] and row["text"].value not in labels[iri]:
            others[iri].append(row["text"].value)
    for row in _select(store, _QUOTES):
        iri = row["s"].value
        if iri in kind_of and row["text"].value not in quotes[iri]:
            quotes[iri].append(row["text"].value)
    del store

    target.unlink(missing_ok=True)
    with sqlite3.connect(target) as db:
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(iri UNINDEXED, kind UNINDEXED, label, names, quotes,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
            (
                (
                    iri,
                    names[rank],
                    " / ".join(sorted(labels[iri])) or iri.rsplit("/", 1)[-1],
                    " / ".join(others[iri]),
                    " … ".join(quotes[iri]),
                )
                for iri, rank in sorted(kind_of.items())
            ),
        )
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.close()
    return len(kind_of)


def fts_query(text: str) -> str | None:
    """The words a reader typed as an FTS5 query: every word must match, the last one as a prefix
    (so results appear while typing). Each word is quoted, so FTS5's operators and punctuation in
    the input are plain text, never syntax errors. None when there is no word at all."""
    words = re.findall(r"\w+", text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


_BM25_WEIGHTS = ", ".join(str(w) for w in WEIGHTS)
_RANKED = f"""
WITH matched AS MATERIALIZED (
  SELECT rowid AS id, kind, bm25(docs, {_BM25_WEIGHTS}) AS score FROM docs WHERE docs MATCH ?)
SELECT id, kind, total FROM (
  SELECT id, kind, row_number() OVER (PARTITION BY kind ORDER BY score, id) AS place,
         count(*) OVER (PARTITION BY kind) AS total FROM matched)
WHERE place <= ? ORDER BY kind, place"""


def search(index: Path, text: str, per_kind: int = 10) -> Results:
    """The best ``per_kind`` hits of each kind for ``text``, with how many matched in all.

    One pass ranks every match (BM25, once, in a materialised table: FTS5 refuses its ranking
    functions under a window function) and keeps the best of each kind; only those rows are then
    read, by rowid, and their snippets cut here. FTS5's own snippet() re-runs the full-text match
    for every row it is asked about, which on a 100k-row index made a common word take a second.
    """
    if not index.is_file():
        raise SearchIndexMissing(f"{index}: no search index in this release (rebuild with `kzkg build`)")
    groups: dict[str, list[Hit]] = {kind: [] for kind in DISPLAY_ORDER}
    totals: dict[str, int] = dict.fromkeys(DISPLAY_ORDER, 0)
    match = fts_query(text)
    if match is None:
        return Results(text, groups, totals)
    words = [w.casefold() for w in re.findall(r"\w+", text)]
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    try:
        ranked = db.execute(_RANKED, (match, per_kind)).fetchall()
        for _, kind, total in ranked:
            totals[kind] = total
        if ranked:
            marks = ",".join("?" * len(ranked))
            found = {
                rowid: (iri, label, names, quotes)
                for rowid, iri, label, names, quotes in db.execute(
                    f"SELECT rowid, iri, label, names, quotes FROM docs WHERE rowid IN ({marks})",
                    [r[0] for r in ranked],
                )
            }
            for rowid, kind, _ in ranked:
                iri, label, names, quotes = found[rowid]
                groups[kind].append(Hit(iri, kind, label, _snippet(words, label, names, quotes)))
    finally:
        db.close()
    return Results(text, groups, totals)


def _snippet(words: list[str], label: str, names: str, quotes: str, width: int = 90) -> str:
    """Safe HTML: the words in context from the names or quotes (the label is shown anyway), the
    last word as a prefix, as the index matched it; empty when the label is where they matched."""
    pattern = re.compile(
        "|".join(r"\b" + re.escape(w) + (r"\w*" if i == len(words) - 1 else r"\b") for i, w in enumerate(words)),
        re.IGNORECASE,
    )
    for field in (names, quotes):
        hit = pattern.search(field)
        if hit is None:
            continue
        start = max(hit.start() - width // 3, 0)
        end = min(start + width, len(field))
        # Whole words at both ends of the cut.
        while start > 0 and not field[start - 1].isspace() and hit.start() - start < width // 2:
            start -= 1
        while end < len(field) and not field[end].isspace() and end - start < width + 20:
            end += 1
        cut = field[start:end]
        body = "".join(
            html.escape(part) if i % 2 == 0 else f"<mark>{html.escape(part)}</mark>"
            for i, part in enumerate(_split_marks(pattern, cut))
        )
        return ("…" if start else "") + body + ("…" if end < len(field) else "")
    return ""


def _split_marks(pattern: re.Pattern[str], text: str) -> list[str]:
    """``text`` cut into plain, match, plain, match, … pieces."""
    pieces, at = [], 0
    for hit in pattern.finditer(text):
        pieces += [text[at : hit.start()], hit.group(0)]
        at = hit.end()
    return [*pieces, text[at:]]
