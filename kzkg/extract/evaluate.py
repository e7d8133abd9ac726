"""Leave-one-article-out evaluation against the curated corpus (issue #13's benchmark).

For each article, the extractor runs with a registry that lacks every entity only that article
refers to, and never sees its annotations. A draft matches a curated claim (defined in the article
or re-reported by it) when their quotes overlap by at least half of the curated quote.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kzkg.corpus import Corpus
from kzkg.extract.draft import ArticleMeta, Drafts, draft_article
from kzkg.extract.nlp import build_pipeline
from kzkg.extract.registry import Registry
from kzkg.map import locate


@dataclass
class Curated:
    spans: list[tuple[int, int]]
    claimants: frozenset[str]
    author: bool
    date: str
    figure: tuple | None  # (value, kind, qualifier)


@dataclass
class Score:
    article: str
    drafts: int = 0
    drafts_matched: int = 0
    drafts_overlapping: int = 0  # matched by the criterion alone (half of a curated quote)
    author_drafts: int = 0
    author_drafts_matched: int = 0
    attributed: int = 0
    attributed_found: int = 0
    author: int = 0
    author_found: int = 0
    claimant_right: int = 0
    claimant_checked: int = 0
    claimant_any: int = 0  # some matching draft names the claimants (or, of several, some of them)
    figures: int = 0
    figures_right: int = 0
    dates_right: int = 0
    dates_checked: int = 0
    one_to_one: int = 0  # curated claims matched when each draft may stand for one claim only
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)
    # (curated quote, curated claimants, drafted claimants, draft's quote) of each wrong claimant:
    # for improving the rules
    claimant_misses: list[tuple[str, frozenset[str], frozenset[str], str]] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name, value in vars(other).items():
            if isinstance(value, (int, float)) and name != "article":
                setattr(self, name, getattr(self, name) + value)


def hidden_for(corpus: Corpus, article: str) -> set[str]:
    """Entities that only ``article`` refers to: what mapping it introduced into the registry."""
    refs: dict[str, set[str]] = {}

    def note(ids, where: str) -> None:
        for entity in ids:
            if entity:
                refs.setdefault(entity, set()).add(where)

    for claim in corpus.claims.values():
        note([*claim.claimed_by, *claim.via, claim.stated_in, *claim.about], claim.article)
    for report in corpus.reports:
        reported = corpus.claims.get(report.claim)
        if reported:
            note([*reported.claimed_by, *reported.via, reported.stated_in, *reported.about], report.evidence.article)
    for role in corpus.roles:
        note([role.actor], role.evidence.article)
    for art in corpus.articles.values():
        note([art.publisher, *art.creators], art.id)
    for event in corpus.events.values():
        for evidence in event.evidence:
            note([event.id, *event.places, *event.participants, *event.part_of], evidence.article)
    return {
        entity
        for entity, where in refs.items()
        if where == {article} and (entity in corpus.entities or entity in corpus.events)
    }


def _curated(corpus: Corpus, article: str) -> list[Curated]:
    text = corpus.articles[article].text
    creators = set(corpus.articles[article].creators)
    items = []
    entries = [(c, c.evidence) for c in corpus.claims.values() if c.article == article]
    entries += [
        (corpus.claims[r.claim], [r.evidence])
        for r in corpus.reports
        if r.evidence.article == article and r.claim in corpus.claims
    ]
    for claim, evidence in entries:
        spans = [s for e in evidence if e.article == article for s in [locate(text, e.quote, e.occurrence)] if s]
        if not spans:
            continue
        figure = (claim.quantity, claim.quantity_kind, claim.qualifier or None) if claim.quantity_kind else None
        items.append(
            Curated(
                spans,
                frozenset(claim.claimed_by),
                bool(creators) and set(claim.claimed_by) <= creators,
                claim.date.isoformat() if claim.date else "unknown",
                figure,
            )
        )
    return items


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def matches(quotes: Sequence[tuple[int, int]], drafts: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(characters shared, draft index) of each draft that covers half of one of a claim's quotes.

    The issue's criterion, for each quote: a claim quoted in two places (its own sentence and a
    later mention) is matched by a draft of either, where dividing by the longest quote made an
    exact draft of the shorter one false. Ranking by characters shared keeps the best draft (for
    claimant and date) the one the curator's longest wording was drafted in.
    """
    return [
        (max(_overlap(d, q) for q in quotes), i)
        for i, d in enumerate(drafts)
        if any(_overlap(d, q) * 2 >= max(1, q[1] - q[0]) for q in quotes)
    ]


_FILLER = frozenset("the a an one another some this that of in who whom which unnamed".split())


def _words(name: str) -> frozenset[str]:
    """Content words of a name, singular: "An Almaty-based correspondent" ~ "correspondent based in Almaty"."""
    words = re.findall(r"[^\W\d_]+", name.lower().replace("’s", "").replace("'s", ""))
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words) - _FILLER


def _claimant_ids(draft: dict, drafts: Drafts, corpus: Corpus, hidden: set[str]) -> frozenset[str]:
    """A proposed entity counts as the hidden one a reviewer would approve it as.

    The hidden entities are those only this article introduced, so their ids and labels are
    unknowable to the extractor; a proposal stands for one of them when its label is the hidden
    entity's label or alias, or when every content word of the proposal ("taxi driver") is in
    the hidden entity's label or aliases ("Almaty taxi driver who spoke to bne IntelliNews") and
    no other hidden entity of the proposal's type fits as well (an ambiguous proposal counts as wrong).
    """
    result = set()
    for entity_id in draft["claimed_by"]:
        proposal = drafts.entities.get(entity_id)
        if proposal is None:
            result.add(entity_id)
            continue
        label = proposal["label"].lower()
        known = [h for h in sorted(hidden) if h in corpus.entities]
        match = [
            h for h in known if label in {n.lower() for n in [corpus.entities[h].label, *corpus.entities[h].aliases]}
        ]
        if not match and (words := _words(label)):
            match = [
                h
                for h in known
                if proposal["type"] in corpus.entities[h].types
                and any(words <= _words(n) for n in [corpus.entities[h].label, *corpus.entities[h].aliases])
            ]
            match = match if len(match) == 1 else []
        result.add(match[0] if match else entity_id)
    return frozenset(result)


def evaluate_article(
    corpus: Corpus, article: str, use_model: bool = True, warn: Callable[[str], None] = lambda m: None
) -> Score:
    hidden = hidden_for(corpus, article)
    registry = Registry.from_corpus(corpus, hidden, article)
    source = corpus.articles[article]
    creators = [c for c in source.creators if c not in hidden]
    started = time.perf_counter()
    nlp = build_pipeline(registry, use_model=use_model, warn=warn)
    drafts = draft_article(
        source.text,
        ArticleMeta(
            article, source.date, source.byline, creators, source.publisher if source.publisher not in hidden else None
        ),
        registry,
        nlp,
    )
    score = Score(article, seconds=time.perf_counter() - started)
    curated = _curated(corpus, article)
    spans = []
    for draft in drafts.claims:
        span = locate(source.text, draft["quote"], draft.get("occurrence", 1))
        assert span is not None, f"draft quote not found: {draft['quote']!r}"  # quotes are slices: never
        spans.append(span)
    author_ids = set(creators) | {
        p for p in drafts.entities if drafts.entities[p]["label"].lower() in (source.byline or "").lower()
    }
    matched_drafts: set[int] = set()
    overlapping: set[int] = set()
    assigned: set[int] = set()
    for item in curated:
        hits = matches(item.spans, spans)
        # a draft quoting part of a curated quote (one clause of a curated sentence, one sentence
        # of a curated passage) is part of that claim, not a false one: it counts for precision
        # and figures, never for recall (which needs half of the curated quote)
        inside = {i for i, s in enumerate(spans) if any(c[0] <= s[0] and s[1] <= c[1] for c in item.spans)}
        matched_drafts.update(inside)
        if item.author:
            score.author += 1
        else:
            score.attributed += 1
        if not hits:
            score.misses.append(source.text[item.spans[0][0] : item.spans[0][1]][:100])
            continue
        if item.author:
            score.author_found += 1
        else:
            score.attributed_found += 1
        matched_drafts.update(i for _, i in hits)
        overlapping.update(i for _, i in hits)
        free = [(share, i) for share, i in hits if i not in assigned]
        if free:
            assigned.add(max(free)[1])
            score.one_to_one += 1
        best = drafts.claims[max(hits)[1]]
        score.claimant_checked += 1
        got = _claimant_ids(best, drafts, corpus, hidden)
        score.claimant_right += got == item.claimants
        # the column added beside the issue's: a claim quoted in two places, or said by several
        # claimants at once, is drafted right when a reviewer finds some draft of it naming them all
        # (or, for several claimants, only claimants it has): the best draft alone is one of them
        named = [_claimant_ids(drafts.claims[i], drafts, corpus, hidden) for _, i in hits]
        score.claimant_any += any(ids == item.claimants or (bool(ids) and ids < item.claimants) for ids in named)
        if got != item.claimants:
            quote = source.text[item.spans[0][0] : item.spans[0][1]]
            score.claimant_misses.append((quote, item.claimants, got, best["quote"]))
        score.dates_checked += 1
        score.dates_right += str(best.get("date", "unknown")) == item.date
        if item.figure:
            # a sentence with several figures is drafted one clause per figure, where a curator may
            # quote the whole sentence for each: a draft inside the curated quote counts too
            score.figures += 1
            score.figures_right += any(
                (
                    drafts.claims[i].get("quantity"),
                    drafts.claims[i].get("quantity_kind"),
                    drafts.claims[i].get("qualifier"),
                )
                == item.figure
                for i in {i for _, i in hits} | inside
            )
    score.drafts = len(drafts.claims)
    score.drafts_matched = len(matched_drafts)
    score.drafts_overlapping = len(overlapping)
    author_drafts = {i for i, d in enumerate(drafts.claims) if set(d["claimed_by"]) <= author_ids}
    score.author_drafts = len(author_drafts)
    score.author_drafts_matched = len(author_drafts & matched_drafts)
    return score


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "–"


def table(scores: list[Score], model: str) -> str:
    total = Score("all")
    for score in scores:
        total.add(score)
    lines = [
        f"Pipeline: {model}.",
        "",
        (
            "| article | drafts | precision (attributed / author) | precision, half-overlap only "
            "| recall attributed | recall author | recall 1:1 | claimant | claimant, any draft | figure | date "
            "| seconds |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in [*scores, total]:
        attributed_drafts = s.drafts - s.author_drafts
        attributed_matched = s.drafts_matched - s.author_drafts_matched
        lines.append(
            f"| {s.article} | {s.drafts} | {_ratio(s.drafts_matched, s.drafts)} "
            f"({_ratio(attributed_matched, attributed_drafts)} / "
            f"{_ratio(s.author_drafts_matched, s.author_drafts)}) | {_ratio(s.drafts_overlapping, s.drafts)} | "
            f"{_ratio(s.attributed_found, s.attributed)} "
            f"({s.attributed_found}/{s.attributed}) | {_ratio(s.author_found, s.author)} "
            f"({s.author_found}/{s.author}) | "
            f"{_ratio(s.one_to_one, s.attributed + s.author)} | "
            f"{_ratio(s.claimant_right, s.claimant_checked)} ({s.claimant_right}/{s.claimant_checked}) | "
            f"{_ratio(s.claimant_any, s.claimant_checked)} ({s.claimant_any}/{s.claimant_checked}) | "
            f"{_ratio(s.figures_right, s.figures)} ({s.figures_right}/{s.figures}) | "
            f"{_ratio(s.dates_right, s.dates_checked)} ({s.dates_right}/{s.dates_checked}) | {s.seconds:.1f} |"
        )
    return "\n".join(lines)


def claimant_errors(corpus: Corpus, article: str) -> list[tuple[str, str, str]]:
    """(curated claimants, drafted claimants, quote) where they differ: for improving the rules."""
    hidden = hidden_for(corpus, article)
    registry = Registry.from_corpus(corpus, hidden, article)
    source = corpus.articles[article]
    creators = [c for c in source.creators if c not in hidden]
    drafts = draft_article(
        source.text,
        ArticleMeta(
            article, source.date, source.byline, creators, source.publisher if source.publisher not in hidden else None
        ),
        registry,
        build_pipeline(registry),
    )
    out = []
    for item in _curated(corpus, article):
        for draft in drafts.claims:
            span = locate(source.text, draft["quote"], draft.get("occurrence", 1))
            assert span is not None, f"draft quote not found: {draft['quote']!r}"  # quotes are slices: never
            if _overlap(span, item.spans[0]) >= 0.5 * (item.spans[0][1] - item.spans[0][0]):
                got = _claimant_ids(draft, drafts, corpus, hidden)
                if got != item.claimants:
                    out.append((",".join(sorted(item.claimants)), ",".join(sorted(got)), draft["quote"][:150]))
                break
    return out
