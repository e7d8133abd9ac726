"""`kzkg extract` refuses input it cannot use before it imports spaCy.

Importing the extractor imports spaCy (~2 s of CPU), which a one-line refusal of an empty or
non-English file does not need. Each case runs the real command under ``python -X importtime`` and
reads from its import log that no spaCy module was imported; the message is the one the extractor
itself gives for that input.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kzkg.extract import ExtractError
from kzkg.extract.write import extract as run_extract

REFUSED = [
    pytest.param(b"", id="empty"),
    pytest.param(b"   \n\n  ", id="blank"),
    pytest.param(b"Almaty \xff\xfe was quiet.", id="not-utf8"),
    pytest.param(
        ("Вчера в Алматы прошли массовые протесты, полиция задержала демонстрантов. " * 20).encode("utf-8"),
        id="not-english",
    ),
    pytest.param(b"The protest was calm. " * 60_000, id="too-large"),
    pytest.param(None, id="missing"),
]


def extract_logging_imports(*args: str) -> tuple[int, list[str], list[str]]:
    """Run ``kzkg extract`` with ``-X importtime``: its exit code, the modules it imported, and the
    other lines of its stderr."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kzkg.cli", "extract", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = result.stderr.splitlines()
    modules = [line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")]
    return result.returncode, modules, [line for line in lines if not line.startswith("import time:")]


def _extractor_says(article: Path, data_dir: Path, meta: dict[str, str] | None = None) -> str:
    """What the extractor itself refuses the input with (the message before this change)."""
    with pytest.raises(ExtractError) as refused:
        run_extract(article, data_dir, meta or {})
    return str(refused.value)


@pytest.mark.parametrize("content", REFUSED)
def test_refused_input_fails_before_spacy_is_imported(data_copy: Path, content: bytes | None) -> None:
    article = data_copy.parent / "bad.txt"
    if content is not None:
        article.write_bytes(content)
    index = (data_copy / "articles.yaml").read_bytes()
    code, modules, errors = extract_logging_imports("--data-dir", str(data_copy), str(article))
    assert code == 2
    assert errors == [f"error: {_extractor_says(article, data_copy)}"]
    assert "kzkg.extract.text" in modules  # the log is read right: the check was imported
    assert not [m for m in modules if m == "spacy" or m.startswith("spacy.")]
    assert (data_copy / "articles.yaml").read_bytes() == index


def test_a_bad_meta_is_still_reported_before_a_refused_input(data_copy: Path) -> None:
    article = data_copy.parent / "empty.txt"
    article.write_bytes(b"")
    code, _modules, errors = extract_logging_imports(
        "--data-dir", str(data_copy), str(article), "--meta", "date=9 January"
    )
    assert code == 2 and len(errors) == 1 and "--meta date='9 January': not a date" in errors[0]
    assert not [m for m in _modules if m == "spacy" or m.startswith("spacy.")]


def test_refused_input_with_meta_fails_before_spacy_is_imported(data_copy: Path) -> None:
    """A good ``--meta`` is checked beside the refused article, and that check needs no spaCy
    either (it took 1.4 s instead of 0.25 s while ``parse_meta`` lived in the extractor)."""
    article = data_copy.parent / "empty.txt"
    article.write_bytes(b"")
    meta = {"title": "X", "date": "2022-01-06"}
    code, modules, errors = extract_logging_imports(
        "--data-dir", str(data_copy), str(article), *(f"--meta={key}={value}" for key, value in meta.items())
    )
    assert code == 2
    assert errors == [f"error: {_extractor_says(article, data_copy, meta)}"]
    assert "kzkg.extract.text" in modules
    assert not [m for m in modules if m == "spacy" or m.startswith("spacy.")]
