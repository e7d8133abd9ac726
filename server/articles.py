"""Article pages: the article's text with every evidence quote highlighted and linked to its claim."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

import pyoxigraph as ox

from kzkg.map import locate
from kzkg.namespaces import KZ, SCHEMA, SCHEMA_HTTPS
from kzkg.store import Release

from .backend import GraphReader
from .labels import Labeller, TermView, annotation_anchor, number, objects_of, resource_base, select_about

ANNOTATIONS_ON = """
SELECT ?ann ?exact ?start ?end ?subject ?body WHERE {
  ?ann oa:hasTarget ?target .
  ?target oa:hasSource ?this .
  OPTIONAL { ?target oa:hasSelector ?q . ?q oa:exact ?exact }
  OPTIONAL { ?target oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end }
  OPTIONAL { ?subject ?link ?ann FILTER(isIRI(?subject) && ?link != oa:hasTarget) }
  OPTIONAL { ?ann oa:hasBody ?body FILTER(isIRI(?body)) }
}
"""

# --------------------------------------------------------------------------------------------
# articles: the text with every evidence quote highlighted


@dataclass
class Highlight:
    """One annotation placed in the article text."""

    index: int
    anchor: str
    iri: str
    exact: str
    start: int
    end: int
    targets: list[TermView]  # what the quote is evidence for (claims, events, roles…)

    @property
    def href(self) -> str:
        return self.targets[0].href if self.targets else ""


@dataclass
class Segment:
    """A run of text covered by the same set of quotes (none, one, or overlapping ones)."""

    text: str
    anchors: list[Highlight]
    covering: list[Highlight]

    @property
    def primary(self) -> Highlight | None:
        return self.covering[0] if self.covering else None

    @property
    def title(self) -> str:
        return " | ".join(dict.fromkeys(t.label for h in self.covering for t in h.targets)) or "evidence"


_WS = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def place_quote(text: str, exact: str, start: int | None, end: int | None) -> tuple[int, int] | None:
    """Trust the TextPositionSelector when it agrees with the quote; otherwise find the quote.

    The data allows quotes to differ from the text only in runs of white space, so agreement is
    checked with white space normalised; a selector that disagrees is repaired from the text by
    :func:`kzkg.map.locate`, the function the build placed the quote with.
    """
    if (
        start is not None
        and end is not None
        and 0 <= start <= end <= len(text)
        and (not exact or _normalise(text[start:end]) == _normalise(exact))
    ):
        return start, end
    return locate(text, exact)  # the build's own quote finder: the same white-space rule as map


def segment_text(text: str, highlights: list[Highlight]) -> list[Segment]:
    """Cut the text at every quote boundary, so overlapping quotes become flat runs."""
    cuts = sorted({0, len(text), *(h.start for h in highlights), *(h.end for h in highlights)})
    starting: dict[int, list[Highlight]] = defaultdict(list)
    for h in highlights:
        starting[h.start].append(h)
    segments = []
    for left, right in pairwise(cuts):
        covering = sorted(
            (h for h in highlights if h.start <= left and right <= h.end and h.start < h.end),
            key=lambda h: (h.end - h.start, h.index),
        )
        segments.append(Segment(text[left:right], starting.pop(left, []), covering))
    for leftover in starting.values():  # quotes that start at the very end (empty ones)
        segments.append(Segment("", leftover, []))
    return segments


def article_text(release: Release | None, store: GraphReader, node: ox.NamedNode) -> str | None:
    """The article's full text: the copy its release carries, else the text the graph carries.

    ``kzkg build`` writes every article's text into the release, at the path the manifest names
    (``articles: {"001": "articles/001_….txt"}``), so a server installed anywhere shows the text
    the quotes' offsets were computed on -- never a file of the source checkout, which may have
    changed since. A server in front of a remote store may have no release of the served build:
    the text then comes from the graph, which carries it as schema:articleBody.
    """
    number = node.value.rstrip("/").rsplit("/", 1)[-1]
    try:
        entry = release.manifest.get("articles", {}).get(number) if release is not None else None
    except (FileNotFoundError, ValueError, AttributeError):
        entry = None
    if release is not None and isinstance(entry, str):
        copy = release.path / entry
        if copy.is_file():
            # bytes → str without newline translation, so offsets count the file's own characters
            return copy.read_bytes().decode("utf-8")
    for predicate in (
        str(KZ.text),
        str(SCHEMA.articleBody),
        str(SCHEMA.text),
        str(SCHEMA_HTTPS.text),
    ):
        for obj in objects_of(store, node, predicate):
            if isinstance(obj, ox.Literal):
                return obj.value
    return None


@dataclass
class _Annotation:
    """An annotation on an article, gathered from its rows before it is placed in the text."""

    node: ox.NamedNode | ox.BlankNode
    exact: str = ""
    start: int | None = None
    end: int | None = None
    targets: dict[str, TermView] = field(default_factory=dict)


def article_view(
    store: GraphReader, node: ox.NamedNode, labels: Labeller, release: Release | None
) -> dict[str, object]:
    base = resource_base()
    annotations: dict[str, _Annotation] = {}
    for row in select_about(store, ANNOTATIONS_ON, node):
        ann = row["ann"]
        if isinstance(ann, ox.Literal):  # ?ann is a subject: never a literal
            continue
        entry = annotations.setdefault(ann.value, _Annotation(ann))
        if "exact" in row:
            entry.exact = row["exact"].value
        if "start" in row and "end" in row:
            entry.start, entry.end = number(row["start"]), number(row["end"])
        for key in ("subject", "body"):
            target = row.get(key)
            if isinstance(target, ox.NamedNode):
                entry.targets.setdefault(target.value, labels.term(target))

    text = article_text(release, store, node)
    placed: list[Highlight] = []
    unplaced: list[Highlight] = []
    ordered = sorted(annotations.values(), key=lambda e: (e.start if e.start is not None else 1 << 62, e.node.value))
    for index, entry in enumerate(ordered):
        targets = sorted(entry.targets.values(), key=_target_order)
        where = place_quote(text, entry.exact, entry.start, entry.end) if text is not None else None
        highlight = Highlight(
            index,
            annotation_anchor(entry.node, base),
            entry.node.value,
            entry.exact,
            where[0] if where else (entry.start or 0),
            where[1] if where else (entry.end or 0),
            targets,
        )
        (placed if where else unplaced).append(highlight)
    return {
        "has_text": text is not None,
        "segments": segment_text(text, placed) if text is not None else [],
        "highlights": placed,
        "unplaced": unplaced,
        "annotation_count": len(annotations),
    }


def _target_order(term: TermView) -> tuple[int, str]:
    """Claims first: a highlight links to the claim it proves when there is one."""
    return (0 if "/claim/" in term.value else 1 if "/event/" in term.value else 2, term.value)
