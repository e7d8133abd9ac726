"""Assisted mapping (issue #13): ``kzkg extract`` drafts an article's annotations for review.

One module per concern: :mod:`.text` reads and checks the input, :mod:`.registry` turns the entity
registry into spaCy patterns and resolves mentions, :mod:`.nlp` builds the pipeline (the packaged
statistical model, or a blank one with rules when it is absent), :mod:`.attribution` finds who says
what, :mod:`.figures` and :mod:`.dates` parse figures and dates, :mod:`.draft` assembles the
drafts and writes them. Everything a draft quotes is a slice of the text by offsets, so the
mapper always finds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from kzkg.errors import InputError


class ExtractError(InputError):
    """The input cannot be extracted (empty, not UTF-8, not English, too large); one-line message."""


def _write_module() -> ModuleType:
    try:
        from kzkg.extract import write
    except ModuleNotFoundError as missing:
        raise ExtractError(f"kzkg extract needs {missing.name} (pip install 'kzkg[extract]', or ./dev)") from missing
    return write


def extractor(article: Path, meta: Sequence[str]) -> ModuleType:
    """:mod:`kzkg.extract.write`, imported only once ``article`` has passed the input check.

    The extractor imports spaCy, ~2 s of CPU that a one-line refusal (empty, not UTF-8, not
    English, too large, unreadable) does not need, so :mod:`.text` checks the article first. A pipe
    or other special file is left for the extractor to read once. The messages and their order are
    the extractor's: a bad ``--meta`` beside a refused article is still reported first.
    """
    from kzkg.extract.text import parse_meta, read_article

    if not article.exists() or article.is_file():
        try:
            read_article(article)
        except ExtractError:
            if meta:
                parse_meta(meta)
            raise
    return _write_module()
