"""`python -m bench extract`: the extractor scored leave-one-article-out on the curated corpus.

For each article the extractor sees neither its annotations nor the registry entities only it
refers to (kzkg.extract.evaluate). Prints the table and, unless --no-write, rewrites the
extraction block of bench/README.md.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

from kzkg.corpus import Corpus
from kzkg.extract.draft import ArticleMeta, draft_article
from kzkg.extract.evaluate import Score, _curated, _overlap, evaluate_article, hidden_for, matches, table
from kzkg.extract.nlp import MODEL, build_pipeline, model_available
from kzkg.extract.registry import Registry
from kzkg.ingest import load_corpus
from kzkg.map import locate

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- extract results: written by `python -m bench extract` -->", "<!-- end of extract results -->"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench extract", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--no-model", action="store_true", help="rules only (spacy.blank + sentencizer)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/README.md alone")
    parser.add_argument("--misses", action="store_true", help="list every claimant miss by category; no README")
    parser.add_argument(
        "--false-drafts",
        action="store_true",
        help="list every draft matching no curated claim (half-overlap); no README",
    )
    args = parser.parse_args(argv)
    corpus = load_corpus(args.data_dir)
    use_model = not args.no_model and model_available()
    if args.false_drafts:
        print(false_drafts(corpus, use_model))
        return
    started = time.perf_counter()
    scores = [evaluate_article(corpus, article, use_model=use_model) for article in sorted(corpus.articles)]
    if args.misses:
        print(misses(corpus, scores))
        return
    label = (
        f"{MODEL} (spaCy statistical model)"
        if use_model
        else "rules only (spacy.blank('en') + sentencizer + EntityRuler)"
    )
    report = table(scores, label) + (
        f"\n\nTotal {time.perf_counter() - started:.1f} s for {len(scores)} articles (pipeline built once per article)."
    )
    print(report)
    if not args.no_write:
        readme = ROOT / "bench" / "README.md"
        text = readme.read_text(encoding="utf-8")
        key = "model" if use_model else "rules"
        start, end = START.replace("results", f"results ({key})"), END.replace("results", f"results ({key})")
        block = f"{start}\n{report}\n{end}"
        if start in text:
            text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        readme.write_text(text, encoding="utf-8")


def _category(corpus: Corpus, article: str, curated: frozenset[str], drafted: frozenset[str]) -> str:
    """Why a claimant is wrong, in the terms of the analysis in bench/README.md."""
    authors = set(corpus.articles[article].creators) or {corpus.articles[article].publisher}
    if len(curated) > 1:
        return "several curated claimants" + (", the draft names some" if drafted and drafted < curated else "")
    if curated <= authors:
        return "the author's statement, drafted as a speaker's"
    if curated & hidden_for(corpus, article) and not drafted & authors:
        return "an entity only this article has, the proposal not matched to it"
    if drafted <= authors:
        return "a speaker's claim, drafted as the author's"
    return "another speaker"


def misses(corpus: Corpus, scores: list[Score]) -> str:
    """Every claimant miss (curated vs drafted claimants, the curated quote), then the count of each
    category per article, and how many are a clause of a sentence the curators cut finer."""
    lines: list[str] = []
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for score in scores:
        lines.append(f"## {score.article}: claimant {score.claimant_right}/{score.claimant_checked}")
        for quote, curated, drafted, draft_quote in score.claimant_misses:
            category = _category(corpus, score.article, curated, drafted)
            counts[category][score.article] += 1
            if len(" ".join(quote.split())) < 0.6 * len(" ".join(draft_quote.split())):
                counts["(of all: a clause of the drafted sentence, under 60% of it)"][score.article] += 1
            lines.append(f"- {category}: [{', '.join(sorted(curated))}], drafted [{', '.join(sorted(drafted))}]")
            lines.append(f"    {' '.join(quote.split())[:200]!r}")
    articles = [s.article for s in scores]
    lines += ["", f"| category | {' | '.join(articles)} | all |", "|---" * (len(articles) + 2) + "|"]
    for category, per in sorted(counts.items(), key=lambda c: (c[0].startswith("("), -sum(c[1].values()))):
        lines.append(f"| {category} | {' | '.join(str(per[a]) for a in articles)} | {sum(per.values())} |")
    return "\n".join(lines)


def false_drafts(corpus: Corpus, use_model: bool) -> str:
    """Every draft that no curated claim matches by the issue's criterion (half of a curated quote),
    by how it relates to the curation: what column *precision, half-overlap only* counts against."""
    lines: list[str] = []
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for article in sorted(corpus.articles):
        hidden = hidden_for(corpus, article)
        registry = Registry.from_corpus(corpus, hidden, article)
        source = corpus.articles[article]
        meta = ArticleMeta(
            article,
            source.date,
            source.byline,
            [c for c in source.creators if c not in hidden],
            source.publisher if source.publisher not in hidden else None,
        )
        drafts = draft_article(source.text, meta, registry, build_pipeline(registry, use_model=use_model))
        curated = [item.spans for item in _curated(corpus, article)]
        spans = []
        for draft in drafts.claims:
            span = locate(source.text, draft["quote"], draft.get("occurrence", 1))
            assert span is not None, f"draft quote not found: {draft['quote']!r}"  # quotes are slices: never
            spans.append(span)
        matched = {i for quotes in curated for _, i in matches(quotes, spans)}
        false = []
        for i, (draft, span) in enumerate(zip(drafts.claims, spans, strict=True)):
            if i in matched:
                continue
            if any(c[0] <= span[0] and span[1] <= c[1] for quotes in curated for c in quotes):
                category = "inside a curated quote, under half of it"
            elif any(_overlap(span, c) for quotes in curated for c in quotes):
                category = "overlaps a curated quote, under half of it"
            else:
                category = "no curated quote"
            counts[category][article] += 1
            false.append(f"- {category}: {' '.join(draft['quote'].split())[:200]!r}")
        lines += [f"## {article}: {len(false)} of {len(drafts.claims)} drafts match no curated claim", *false]
    articles = sorted(corpus.articles)
    lines += ["", f"| category | {' | '.join(articles)} | all |", "|---" * (len(articles) + 2) + "|"]
    for category, per in sorted(counts.items(), key=lambda c: -sum(c[1].values())):
        lines.append(f"| {category} | {' | '.join(str(per[a]) for a in articles)} | {sum(per.values())} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
