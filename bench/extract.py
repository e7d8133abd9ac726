"""`python -m bench extract`: the extractor scored leave-one-article-out on the curated corpus.

For each article the extractor sees neither its annotations nor the registry entities only it
refers to (kzkg.extract.evaluate). Prints the table and, unless --no-write, rewrites the
extraction block of bench/README.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from kzkg.extract.evaluate import evaluate_article, table
from kzkg.extract.nlp import MODEL, model_available
from kzkg.ingest import load_corpus

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- extract results: written by `python -m bench extract` -->", "<!-- end of extract results -->"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench extract", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("--no-model", action="store_true", help="rules only (spacy.blank + sentencizer)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/README.md alone")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.data_dir)
    use_model = not args.no_model and model_available()
    started = time.perf_counter()
    scores = [evaluate_article(corpus, article, use_model=use_model) for article in sorted(corpus.articles)]
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


if __name__ == "__main__":
    main(sys.argv[1:])
