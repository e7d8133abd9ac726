"""The review page of `kzkg serve --review` (issue #13): a person turns drafts into curated claims.

Flask's test client checks the API's rules; a headless Chromium (as in tests/test_browser.py)
reviews a whole small article end to end against `kzkg serve --review`, then `kzkg build`
publishes it. The article is a passage of a corpus article (real text, nothing invented).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import LiveServer
from test_browser import browser  # noqa: F401 (the chromium fixture)

from kzkg.extract.write import extract
from kzkg.ingest import load_corpus
from kzkg_server import create_app

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30


def passage(article: str, paragraphs: list[int]) -> str:
    text = next((ROOT / "data" / "articles").glob(f"{article}_*.txt")).read_text(encoding="utf-8")
    parts = [p for p in text.split("\n\n") if p.strip()]
    return "\n\n".join(parts[i] for i in paragraphs) + "\n"


@pytest.fixture()
def drafted(data_copy: Path) -> Path:
    """The data copy with article 005 extracted: drafts and proposals waiting for review."""
    source = data_copy.parent / "new.txt"
    # Tokayev's tweets, the Health Ministry's count, Magnum's stores and the Kazakh official's troops
    source.write_text(passage("001", [10, 11, 21, 24, 25]), encoding="utf-8")
    extract(
        source,
        data_copy,
        {
            "date": "2022-01-09",
            "publisher": "eurasianet",
            "byline": "Peter Leonard",
            "title": "A passage of article 001",
        },
    )
    return data_copy


def review_client(data: Path, remote: str = "127.0.0.1"):
    app = create_app({"TESTING": True, "BUILD_DIR": str(data.parent / "no-build"), "REVIEW": str(data)})
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    return client


def test_no_review_page_unless_asked(drafted: Path) -> None:
    app = create_app({"TESTING": True, "BUILD_DIR": str(drafted.parent / "no-build")})
    assert app.test_client().get("/review/").status_code == 404


def test_only_loopback_clients_and_json_posts(drafted: Path) -> None:
    assert review_client(drafted, "10.1.2.3").get("/review/api/005").status_code == 403
    client = review_client(drafted)
    claim = yaml.safe_load((drafted / "annotations" / "005.yaml").read_text(encoding="utf-8"))["claims"][0]["id"]
    refused = client.post(f"/review/api/005/claim/{claim}", data={"action": "accept"})
    assert refused.status_code == 415
    assert "draft: true" in (drafted / "annotations" / "005.yaml").read_text(encoding="utf-8")


def test_accept_edit_reject_and_add_write_the_yaml_and_report_problems(drafted: Path) -> None:
    client = review_client(drafted)
    state = client.get("/review/api/005").get_json()
    text = state["text"]
    assert state["drafts"] == len(state["claims"]) >= 4
    assert all(text[c["start"] : c["end"]] for c in state["claims"])  # every draft is highlighted
    first, second = state["claims"][0]["claim"], state["claims"][1]["claim"]

    edited = client.post(
        f"/review/api/005/claim/{first['id']}",
        json={"action": "accept", "fields": {"status": "Disputed", "about": "attackers, no-such-entity"}},
    ).get_json()
    saved = yaml.safe_load((drafted / "annotations" / "005.yaml").read_text(encoding="utf-8"))["claims"]
    accepted = next(c for c in saved if c["id"] == first["id"])
    assert "draft" not in accepted and accepted["status"] == "Disputed"
    assert accepted["about"] == ["attackers", "no-such-entity"]
    assert any(f"claim {first['id']}" in line and "no-such-entity" in line for line in edited["problems"])

    client.post(f"/review/api/005/claim/{second['id']}", json={"action": "reject"})
    start = text.index("Some of them")
    added = client.post(
        "/review/api/005/claim", json={"start": start, "end": start + 39, "fields": {"claimed_by": "tokayev"}}
    ).get_json()
    new = added["claims"][-1]["claim"]
    assert new["quote"] == text[start : start + 39] and new["claimed_by"] == ["tokayev"] and new["draft"] is True
    assert second["id"] not in {c["claim"]["id"] for c in added["claims"]}
    assert client.post("/review/api/005/claim", json={"start": 5, "end": 5}).status_code == 400


def test_approving_a_proposal_puts_it_in_the_registry_and_renames_it_in_claims(drafted: Path) -> None:
    client = review_client(drafted)
    state = client.get("/review/api/005").get_json()
    assert state["entities"], "the passage names someone the registry lacks"
    proposal = state["entities"][0]
    after = client.post(
        f"/review/api/005/entity/{proposal['id']}",
        json={
            "action": "approve",
            "fields": {"id": "reviewed-" + proposal["id"], "type": "Group", "label": proposal["label"]},
        },
    ).get_json()
    assert proposal["id"] not in {e["id"] for e in after["entities"]}
    corpus = load_corpus(drafted)
    assert corpus.entities["reviewed-" + proposal["id"]].label == proposal["label"]
    named = [c for c in after["claims"] if "reviewed-" + proposal["id"] in str(c["claim"])]
    used = [c for c in state["claims"] if proposal["id"] in str(c["claim"])]
    assert len(named) == len(used)


def test_a_whole_article_is_reviewed_in_the_browser_and_then_published(
    drafted: Path,
    build_dir: Path,
    browser,  # noqa: F811 (test_browser's chromium fixture)
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    server = LiveServer(build_dir, ["--review", "--data-dir", str(drafted), "--workers", "1"])
    try:
        browser.get(server.url + "/review/")
        browser.find_element(By.LINK_TEXT, "article 005").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#review-claims form"))
        assert browser.find_elements(By.CSS_SELECTOR, "#review-text mark.draft")

        def settle(expected_drafts: int | None = None) -> None:
            wait.until(lambda d: d.find_element(By.ID, "review-status").text in ("saved", ""))
            if expected_drafts is not None:
                wait.until(
                    lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-drafts") == str(expected_drafts)
                )

        # proposals first: approving them is what makes the claims that name them valid
        while browser.find_elements(By.CSS_SELECTOR, "#review-entities form"):
            count = len(browser.find_elements(By.CSS_SELECTOR, "#review-entities form"))
            form = browser.find_element(By.CSS_SELECTOR, "#review-entities form")
            form.find_element(By.NAME, "approve").click()
            wait.until(
                lambda d, count=count: len(d.find_elements(By.CSS_SELECTOR, "#review-entities form")) == count - 1
            )

        # reject the first draft, add a claim from a selected passage, then accept everything
        drafts = int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-drafts"))
        browser.find_element(By.CSS_SELECTOR, "#review-claims form.draft button[name=reject]").click()
        settle(drafts - 1)
        browser.execute_script("""
            const node = [...document.querySelectorAll('#review-text [data-start]')]
              .map((e) => e.firstChild).find((t) => t && t.textContent.includes('Some of them'));
            const at = node.textContent.indexOf('Some of them');
            const range = document.createRange();
            range.setStart(node, at); range.setEnd(node, at + 49);
            window.getSelection().removeAllRanges(); window.getSelection().addRange(range);""")
        browser.find_element(By.ID, "review-add").click()
        settle(drafts)
        card = browser.find_elements(By.CSS_SELECTOR, "#review-claims form.draft")[-1]
        field = card.find_element(By.NAME, "claimed_by")
        field.clear()
        field.send_keys("tokayev")
        card.find_element(By.NAME, "accept").click()
        settle(drafts - 1)
        while browser.find_elements(By.CSS_SELECTOR, "#review-claims form.draft"):
            left = int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-drafts"))
            browser.find_element(By.CSS_SELECTOR, "#review-claims form.draft button[name=accept]").click()
            settle(left - 1)
        problems = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#review-problems li")]
        assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-problems") == "0", problems
    finally:
        server.stop()

    saved = yaml.safe_load((drafted / "annotations" / "005.yaml").read_text(encoding="utf-8"))["claims"]
    assert saved and not any(c.get("draft") for c in saved)
    assert any(c["quote"].startswith("“Some of them") or c["quote"].startswith("Some of them") for c in saved)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "kzkg.cli",
            "build",
            "--data-dir",
            str(drafted),
            "--build-dir",
            str(tmp_path / "published"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "kzkg.cli",
            "query",
            "--build-dir",
            str(tmp_path / "published"),
            "--format",
            "csv",
            (
                "SELECT (COUNT(?c) AS ?n) WHERE { ?c a <https://w3id.org/kzkg/ontology#Claim> ; "
                "<https://w3id.org/kzkg/ontology#reportedIn> <https://w3id.org/kzkg/id/article/005> }"
            ),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    assert int(found.stdout.split()[-1]) == len(saved)


def test_a_claim_added_on_a_later_occurrence_of_its_words_validates_and_is_highlighted_there(drafted: Path) -> None:
    client = review_client(drafted)
    text = client.get("/review/api/005").get_json()["text"]
    words = "Kazakhstan"
    second = text.index(words, text.index(words) + 1)  # the same words, later in the article
    added = client.post("/review/api/005/claim", json={"start": second, "end": second + len(words)}).get_json()
    new = added["claims"][-1]
    assert (new["start"], new["end"]) == (second, second + len(words))
    accepted = client.post(f"/review/api/005/claim/{new['claim']['id']}", json={"action": "accept"}).get_json()
    mine = [line for line in accepted["problems"] if new["claim"]["id"] in line]
    assert not [line for line in mine if "unknown key" in line or "occurrence" in line], mine
    saved = yaml.safe_load((drafted / "annotations" / "005.yaml").read_text(encoding="utf-8"))["claims"]
    assert next(c for c in saved if c["id"] == new["claim"]["id"])["quotes"] == [{"quote": words, "occurrence": 2}]
