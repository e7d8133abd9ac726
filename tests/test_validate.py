"""Validation and the build's safety: every broken input is named precisely, nothing built is lost.

Each test breaks a private copy of the real data in one way a curator might, then runs the real
command (`kzkg validate` / `kzkg build`) and checks the exit code, the message and the build dir.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kzkg.ingest import IngestError, load_corpus
from kzkg.map import locate
from kzkg.pipeline import BuildFailed, build, validate
from kzkg.store import current_release

ROOT = Path(__file__).resolve().parent.parent


def kzkg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kzkg.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def edit_claims(data: Path, article: str, change) -> None:
    path = data / "annotations" / f"{article}.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content["claims"])
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_real_corpus_validates_clean() -> None:
    result = kzkg("validate", "--data-dir", str(ROOT / "data"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conform" in result.stdout


def test_quote_not_in_article_is_named_with_file_and_entry(data_copy: Path) -> None:
    def corrupt(claims):
        claims[0]["quote"] = "Nursultan Nazarbayev personally ordered every shot"  # not in any article

    edit_claims(data_copy, "001", corrupt)
    first_id = yaml.safe_load((data_copy / "annotations" / "001.yaml").read_text())["claims"][0]["id"]
    result = kzkg("validate", "--data-dir", str(data_copy))
    assert result.returncode == 1
    assert f"annotations/001.yaml: claim {first_id}: quote not found in article 001" in result.stdout


def test_unknown_key_and_bad_reference_are_reported_together(data_copy: Path) -> None:
    def corrupt(claims):
        claims[0]["claimd_by"] = claims[0].pop("claimed_by")
        claims[1]["contradicts"] = ["no-such-claim"]
        claims[2]["date"] = "2022-13-45"

    edit_claims(data_copy, "001", corrupt)
    report = validate(data_copy)
    text = "\n".join(report.lines())
    assert report.exit_code == 1
    assert "unknown key 'claimd_by'" in text
    assert "'contradicts': 'no-such-claim' is not a claim" in text
    assert "'date': '2022-13-45' is not a date" in text


def test_yaml_syntax_error_is_exit_2_naming_the_file(data_copy: Path) -> None:
    path = data_copy / "annotations" / "001.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    result = kzkg("validate", "--data-dir", str(data_copy))
    assert result.returncode == 2
    assert re.search(r"001\.yaml:\d+:\d+: not valid YAML", result.stderr), result.stderr  # with line:column
    assert "Traceback" not in result.stderr


def test_no_annotation_files_is_a_failure_not_a_pass(data_copy: Path) -> None:
    for path in (data_copy / "annotations").glob("*.yaml"):
        path.unlink()
    with pytest.raises(IngestError, match="no annotation files"):
        load_corpus(data_copy)
    assert kzkg("validate", "--data-dir", str(data_copy)).returncode == 2


def test_broken_data_leaves_the_published_build_untouched(data_copy: Path, tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    good = build(data_copy, build_dir)
    before = sorted(p.name for p in good.dumps_path.iterdir())

    def corrupt(claims):
        claims[0]["claimed_by"] = ["nobody-at-all"]

    edit_claims(data_copy, "001", corrupt)
    with pytest.raises(BuildFailed) as failed:
        build(data_copy, build_dir)
    assert any("'nobody-at-all' is not in the entity registry" in line for line in failed.value.report.lines())
    after = current_release(build_dir)
    assert after == good
    assert sorted(p.name for p in after.dumps_path.iterdir()) == before
    assert not list((build_dir / "releases").glob(".staging-*"))


def test_build_command_exit_codes(data_copy: Path, tmp_path: Path) -> None:
    ok = kzkg("build", "--data-dir", str(data_copy), "--build-dir", str(tmp_path / "b"))
    assert ok.returncode == 0, ok.stderr
    assert "published release" in ok.stdout

    def corrupt(claims):
        claims[0]["status"] = "Probably"

    edit_claims(data_copy, "001", corrupt)
    bad = kzkg("build", "--data-dir", str(data_copy), "--build-dir", str(tmp_path / "b"))
    assert bad.returncode == 1
    assert "'status': 'Probably' is not one of" in bad.stderr


def test_locate_allows_only_whitespace_differences() -> None:
    text = "The US on January 7 said it was\nclosely monitoring reports"
    assert locate(text, "said it was closely monitoring") == (20, 50)
    assert locate(text, "said it was  closely\tmonitoring") == (20, 50)
    assert locate(text, "said it is closely monitoring") is None
    assert locate(text, "SAID it was") is None


def test_every_located_quote_is_the_article_text(release) -> None:
    """Offsets in the published graph point at exactly the quoted text of the article file."""
    from kzkg.namespaces import PREFIXES
    from kzkg.store import open_read_only

    store = open_read_only(release)
    rows = store.query(
        """SELECT ?file ?exact ?start ?end WHERE {
             ?anno oa:hasTarget ?t . ?t oa:hasSource ?article ; oa:hasSelector ?q, ?p .
             ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end . ?article dcterms:identifier ?file }""",
        prefixes=PREFIXES,
    )
    checked = 0
    texts: dict[str, str] = {}
    for row in rows:
        name = row["file"].value
        text = texts.setdefault(name, (ROOT / "data" / "articles" / name).read_text(encoding="utf-8"))
        assert text[int(row["start"].value) : int(row["end"].value)] == row["exact"].value
        checked += 1
    assert checked > 100
