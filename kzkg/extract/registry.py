"""The entity registry as the extractor sees it: names to match, ids to resolve to.

Fed to a spaCy EntityRuler (labels and aliases, matched case-insensitively on tokens), so every
mention of a known actor or place becomes an entity span carrying its registry id. A mention the
registry does not know becomes a *proposed* entity, written to the drafts file for review.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kzkg.corpus import Corpus

# spaCy NER labels → the registry's entity types, for proposals
NER_TYPES = {"PERSON": "Person", "ORG": "Organization", "GPE": "Place", "LOC": "Place", "FAC": "Place", "NORP": "Group"}


_GLOSS = re.compile(r"\s*\([^()]*\)\s*$")
_SAME_STATEMENT = 30  # characters: shorter quotes ("dozens dead") recur without being one statement
_POSSESSIVE = frozenset({"’", "'", "’s", "'s"})


@dataclass(frozen=True)
class Known:
    id: str
    label: str
    names: tuple[str, ...]
    types: tuple[str, ...]


@dataclass(frozen=True)
class KnownEvent:
    id: str
    type: str
    label: str
    places: tuple[str, ...]
    participants: tuple[str, ...]
    start: dt.date | None = None


def _flat(text: str) -> str:
    """A quote compared across articles: a reprint breaks its lines and spaces elsewhere."""
    return " ".join(text.split()).lower()


@dataclass
class Registry:
    entities: dict[str, Known] = field(default_factory=dict)
    events: dict[str, KnownEvent] = field(default_factory=dict)
    # the curated claims' quotes (flattened) and who claims them: a sentence another article
    # carries word for word (a reprint, a syndicated report) is the same statement by the same
    # claimant (data/README.md, "One statement, one claim")
    quotes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_corpus(cls, corpus: Corpus, hidden: Iterable[str] = (), unseen: str | None = None) -> Registry:
        """The corpus's entities, less ``hidden`` (the evaluation hides what one article introduced),
        and its claims' quotes, less those of article ``unseen`` (the one being evaluated)."""
        hide = set(hidden)
        registry = cls()
        for claim in corpus.claims.values():
            if claim.article == unseen:
                continue
            carried = [e.quote for e in claim.evidence if e.article != unseen]
            carried += [
                r.evidence.quote for r in corpus.reports if r.claim == claim.id and r.evidence.article != unseen
            ]
            for quote in carried:
                if len(quote) >= _SAME_STATEMENT:
                    registry.quotes.setdefault(_flat(quote), tuple(claim.claimed_by))
        for entity in corpus.entities.values():
            if entity.id in hide:
                continue
            names = [entity.label, *entity.aliases]
            gloss = _GLOSS.sub("", entity.label)
            if gloss.lower().startswith("some "):
                gloss = gloss[5:]  # "some Russian media": the curator's "some", not the text's name
            if gloss != entity.label:
                # "citizens (Kazakhstan)", "the press (unnamed outlets, 004)": the curator's gloss in
                # brackets is no part of the name as a text writes it
                names.append(gloss)
            if "Person" in entity.types:
                # a person is usually named by surname after the first mention ("Tokayev said")
                parts = entity.label.split()
                if len(parts) >= 2:
                    names.append(parts[-1])
            registry.entities[entity.id] = Known(
                entity.id, entity.label, tuple(dict.fromkeys(names)), tuple(entity.types)
            )
        for event in corpus.events.values():
            if event.id not in hide:
                registry.events[event.id] = KnownEvent(
                    event.id, event.type, event.label, tuple(event.places), tuple(event.participants), event.start
                )
        return registry

    def carried(self, quote: str) -> list[str] | None:
        """The claimants of a curated quote this draft quote holds or lies inside, the longest shared
        stretch first; None when no curated quote is carried word for word."""
        flat = _flat(quote)
        if len(flat) < _SAME_STATEMENT:
            return None
        shared = [(min(len(q), len(flat)), q) for q in self.quotes if q in flat or flat in q]
        return list(self.quotes[max(shared)[1]]) if shared else None

    def patterns(self, tokenize) -> list[dict]:
        """EntityRuler token patterns (lower-cased), each with its registry id; ambiguous names dropped."""
        owners: dict[tuple[str, ...], set[str]] = {}
        acronyms: dict[str, set[str]] = {}
        for known in self.entities.values():
            for name in known.names:
                words = [t for t in tokenize(name) if not t.is_space]
                tokens = tuple(t.lower_ for t in words)
                if len(tokens) == 1 and len(tokens[0]) < 3:
                    # a two-letter name is an acronym ("RT", "UN"): matched as written only, since
                    # lower-cased it is a common word ("us", "it")
                    if words[0].text.isupper() and words[0].is_alpha:
                        acronyms.setdefault(words[0].text, set()).add(known.id)
                elif tokens:
                    owners.setdefault(tokens, set()).add(known.id)
        patterns = []
        for tokens, ids in sorted(owners.items()):
            if len(ids) != 1:
                continue
            (entity_id,) = ids
            label = "KZ_" + self.entities[entity_id].types[0].upper()
            pattern: list[dict] = []
            for i, token in enumerate(tokens):
                if i and token not in _POSSESSIVE and tokens[i - 1] not in _POSSESSIVE:
                    # "bne IntelliNews’ correspondent" is the registry's "bne IntelliNews correspondent"
                    pattern.append({"LOWER": {"IN": sorted(_POSSESSIVE)}, "OP": "?"})
                pattern.append({"LOWER": token})
            patterns.append({"label": label, "pattern": pattern, "id": entity_id})
        for text, ids in sorted(acronyms.items()):
            if len(ids) == 1:
                (entity_id,) = ids
                label = "KZ_" + self.entities[entity_id].types[0].upper()
                patterns.append({"label": label, "pattern": [{"ORTH": text}], "id": entity_id})
        return patterns


def slug(text: str) -> str:
    """A registry id proposed for a new entity: lowercase, ASCII letters/digits and hyphens."""
    text = text.lower().replace("’", "").replace("'", "")
    text = re.sub(r"^(the|a|an|one|another|some|several|many|this|that|these|those)\s+", "", text)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "unnamed"
