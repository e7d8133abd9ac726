"""The named example queries shipped with the package (offered in the UI, tested on the corpus).

Each query is a ``kzkg/queries/NN-slug.rq`` file whose leading ``#`` comment lines carry
``title:`` and ``description:`` fields, so that a query file is also its own documentation and
runs unchanged in any SPARQL client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_FIELD = re.compile(r"^#\s*(title|description):\s*(.+)$")


@dataclass(frozen=True)
class ExampleQuery:
    slug: str
    title: str
    description: str
    sparql: str


def load_examples() -> list[ExampleQuery]:
    """All example queries, in file-name order."""
    folder = resources.files("kzkg") / "queries"
    examples = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text(encoding="utf-8")
        fields = {"title": entry.name, "description": ""}
        for line in text.splitlines():
            match = _FIELD.match(line)
            if match:
                fields[match.group(1)] = match.group(2).strip()
            elif line.strip() and not line.startswith("#"):
                break
        examples.append(ExampleQuery(entry.name.removesuffix(".rq"), fields["title"], fields["description"], text))
    return examples
