"""Assisted mapping (issue #13): ``kzkg extract`` drafts an article's annotations for review.

One module per concern: :mod:`.text` reads and checks the input, :mod:`.registry` turns the entity
registry into spaCy patterns and resolves mentions, :mod:`.nlp` builds the pipeline (the packaged
statistical model, or a blank one with rules when it is absent), :mod:`.attribution` finds who says
what, :mod:`.figures` and :mod:`.dates` parse figures and dates, :mod:`.draft` assembles the
drafts and writes them. Everything a draft quotes is a slice of the text by offsets, so the
mapper always finds it.
"""

from __future__ import annotations

from kzkg.errors import InputError


class ExtractError(InputError):
    """The input cannot be extracted (empty, not UTF-8, not English, too large); one-line message."""
