"""Reading the article: refuse what no reviewer could use, before any model runs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from kzkg.extract import ExtractError

# A long feature is ~10k words (~60 kB); 1 MB is a book, not an article, and parsing it would take
# minutes. Refusing beats a run nobody waits for.
MAX_BYTES = 400_000

# The commonest English function words: a text where they are rare is not English (or not prose),
# and the English model would produce only noise on it.
_FUNCTION_WORDS = frozenset(
    "the of and to a in is that for it as was with on by be are this from at or have an has were not "
    "but which had its been they their said he she his her who will would".split()
)
MIN_ENGLISH_SHARE = 0.15

META_KEYS = ("title", "publisher", "byline", "date")


def read_article(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The article's bytes (read once: the path may be a pipe), checked to be English UTF-8 text."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as missing:
        raise ExtractError(f"{path}: cannot be read: {missing.strerror}") from missing
    if size > max_bytes:
        raise ExtractError(f"{path}: {size} bytes is too large for one article (limit {max_bytes})")
    with path.open("rb") as handle:
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ExtractError(f"{path}: more than {max_bytes} bytes is too large for one article")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise ExtractError(f"{path}: not UTF-8 text (invalid byte at offset {bad.start})") from bad
    check_text(text, str(path))
    return raw


def check_text(text: str, where: str) -> None:
    """Refuse empty and non-English texts with a sentence naming the file."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        raise ExtractError(f"{where}: the article is empty (no words)")
    share = sum(word in _FUNCTION_WORDS for word in words) / len(words)
    if share < MIN_ENGLISH_SHARE:
        raise ExtractError(
            f"{where}: does not look like English text ({share:.0%} common English words; "
            "the extractor's pipeline is English only)"
        )


def parse_meta(pairs: Sequence[str]) -> dict[str, str]:
    """``--meta KEY=VALUE`` pairs as a mapping, checked here beside the article check: a bad
    ``--meta`` beside a refused article is reported without importing spaCy."""
    meta = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or key not in META_KEYS:
            raise ExtractError(f"--meta {pair!r}: expected KEY=VALUE with KEY one of {', '.join(META_KEYS)}")
        meta[key] = value.strip()
    if meta.get("date", "unknown") != "unknown":
        try:
            dt.date.fromisoformat(meta["date"])
        except ValueError as bad:
            raise ExtractError(f"--meta date={meta['date']!r}: not a date (YYYY-MM-DD) or 'unknown'") from bad
    return meta


def quotation_open(text: str) -> bool:
    """Whether a quotation opened in ``text`` (a paragraph up to some point) is still open there:
    curly quotes are counted pairwise, straight ones by parity."""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1
