"""Claims as data (issue #12): the public face of the three modules that implement it.

- kzkg.assertion_format: the curated ``asserts:`` / ``kind:`` form, parsed and checked;
- kzkg.assertion_graphs: the RDF the build makes of it (assertion graphs, their names);
- kzkg.disagreements: the disagreements computed from it and their review against curation.

Callers import from here, so where a name lives can change without touching them.
"""

from __future__ import annotations

from kzkg.assertion_format import (
    CLAIM_KINDS,
    PROPERTIES,
    VAGUE_QUALIFIERS,
    Assertion,
    check_assertions,
    coverage,
    parse_claim,
)
from kzkg.assertion_graphs import (
    ASSERTION_BASE,
    DISAGREEMENTS_GRAPH,
    assertion_graph,
    assertion_triples,
    checked_triples,
    claim_triples,
    figure_iri,
    is_assertion_graph,
    is_claims_graph,
    value_term,
)
from kzkg.disagreements import (
    Disagreement,
    Side,
    compute_disagreements,
    disagreement_triples,
    figures_conflict,
    reconcile,
    review_lines,
)

__all__ = [
    "ASSERTION_BASE",
    "CLAIM_KINDS",
    "DISAGREEMENTS_GRAPH",
    "PROPERTIES",
    "VAGUE_QUALIFIERS",
    "Assertion",
    "Disagreement",
    "Side",
    "assertion_graph",
    "assertion_triples",
    "check_assertions",
    "checked_triples",
    "claim_triples",
    "compute_disagreements",
    "coverage",
    "disagreement_triples",
    "figure_iri",
    "figures_conflict",
    "is_assertion_graph",
    "is_claims_graph",
    "parse_claim",
    "reconcile",
    "review_lines",
    "value_term",
]
