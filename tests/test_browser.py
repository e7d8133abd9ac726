"""The UI in a real headless browser, against `kzkg serve` (the live_server fixture).

Needs Debian's chromium and chromium-driver (``apt-get install -y chromium chromium-driver``) and
the editor's npm files (``npm ci --prefix server/static --ignore-scripts``). Without chromium the
tests skip on a developer's machine; in CI (CI=true) a missing browser or editor is a failure,
because the setup script installs both.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kzkg.examples import load_examples
from kzkg.namespaces import ID, PREFIXES
from kzkg_server import pages

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
IN_CI = os.environ.get("CI", "").lower() == "true"
WAIT = 20  # seconds; the first query also starts a worker's store


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "chromium/chromedriver missing: apt-get update && apt-get install -y chromium chromium-driver"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1300,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver) -> list[str]:
    """Every URL the page asked the network for since the last call (from the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def leaves_the_machine(url: str, server: str) -> bool:
    """A network request to anywhere but the server under test (chrome://, data:, blob: stay inside)."""
    return url.startswith(("http:", "https:", "ws:", "wss:", "ftp:")) and not url.startswith(server + "/")


def wait_for(driver, condition, timeout: float = WAIT):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def select_rows(store: ox.Store, sparql: str) -> list[dict[str, str]]:
    """What the endpoint should answer: the same query on the release's store (union default graph)."""
    solutions = store.query(sparql, prefixes=PREFIXES)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def test_query_page_runs_an_example(browser, live_server, store, tmp_path):
    from selenium.webdriver.common.by import By

    if not pages.yasgui_installed():
        pytest.fail(f"the query editor is not installed: run `{pages.NPM_INSTALL}`")
    examples = {e.slug: e for e in load_examples()}
    example = examples.get("01-death-tolls") or next(iter(examples.values()))
    expected = select_rows(store, example.sparql)
    assert expected, "the example should find something in the corpus"

    requested_urls(browser)  # drop the log of earlier pages
    browser.get(live_server.url + "/")
    wait_for(browser, lambda d: d.execute_script("return !!(window.kzkgYasgui && document.querySelector('.yasqe'))"))
    browser.find_element(By.CSS_SELECTOR, f'a.example[data-example="{example.slug}"]').click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr .dt-info"))
    browser.save_screenshot(str(tmp_path / "query.png"))

    # the tab is named after the example and holds its query
    assert browser.execute_script("return window.kzkgYasgui.getTab().getName()") == example.title
    assert browser.execute_script("return window.kzkgYasgui.getTab().getQuery()") == example.sparql
    # the table holds the rows the store gives
    info = browser.find_element(By.CSS_SELECTOR, ".yasr .dt-info").text
    total = int(re.search(r"of ([\d,]+) entries", info).group(1).replace(",", ""))
    assert total == len(expected)
    shown = browser.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable tbody tr")
    page_size = int(browser.find_element(By.CSS_SELECTOR, ".yasr select.tableSizer").get_attribute("value"))
    assert len(shown) == min(len(expected), page_size)
    # the claims shown are the claims expected, and their links resolve on this server
    expected_claims = {row["claim"] for row in expected if "claim" in row}
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable a.iri")]
    claim_links = [h for h in links if "/id/claim/" in h]
    assert claim_links
    for href in claim_links:
        assert href.startswith(live_server.url + "/id/claim/")
        assert str(ID) + href[len(live_server.url) + len("/id/"):] in expected_claims
    # results can be downloaded
    assert browser.find_elements(By.CSS_SELECTOR, ".yasr .yasr_downloadIcon")
    # nothing was fetched from anywhere but this server
    outside = [u for u in requested_urls(browser) if leaves_the_machine(u, live_server.url)]
    assert outside == []


def test_prefix_completion_declares_our_prefix_locally(browser, live_server):
    """Typing ``kz:`` adds ``PREFIX kz: <…ontology#>`` from our list, with no call to prefix.cc,
    and class names come from our endpoint, with no call to Linked Open Vocabularies."""
    from selenium.webdriver.common.by import By

    if not pages.yasgui_installed():
        pytest.fail(f"the query editor is not installed: run `{pages.NPM_INSTALL}`")
    browser.get(live_server.url + "/")
    wait_for(browser, lambda d: d.execute_script("return !!(window.kzkgYasgui && document.querySelector('.yasqe'))"))
    requested_urls(browser)
    browser.execute_script("""
        const tab = window.kzkgYasgui.addTab(true, {name: 'completion'});
        const yasqe = tab.getYasqe();
        yasqe.setValue('SELECT * WHERE { ?claim a kz');
        yasqe.focus();
        yasqe.getDoc().setCursor(yasqe.getDoc().lastLine(), 1000);
    """)
    textarea = browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .CodeMirror textarea")
    textarea.send_keys(":")
    wait_for(browser, lambda d: "PREFIX kz:" in d.execute_script("return window.kzkgYasgui.getTab().getQuery()"))
    query = browser.execute_script("return window.kzkgYasgui.getTab().getQuery()")
    assert f"PREFIX kz: <{PREFIXES['kz']}>" in query
    # after `a`, classes are offered from our own endpoint (not from the LOV web service)
    textarea.send_keys("C")
    hints_script = "return Array.from(document.querySelectorAll('.CodeMirror-hints li')).map(li => li.textContent)"

    def offered_claim_classes(driver) -> bool:
        hints = driver.execute_script(hints_script)
        return "kz:Claim" in hints and all(h.startswith("kz:C") for h in hints)

    wait_for(browser, offered_claim_classes)
    outside = [u for u in requested_urls(browser) if leaves_the_machine(u, live_server.url)]
    assert outside == []


def test_article_page_highlights_and_scrolls_to_a_quote(browser, live_server, store, tmp_path):
    from selenium.webdriver.common.by import By

    article = f"{ID}article/001"
    count = select_rows(store, f"""SELECT (COUNT(DISTINCT ?ann) AS ?n) WHERE {{
        ?ann oa:hasTarget ?t . ?t oa:hasSource <{article}> }}""")[0]["n"]
    evidence = select_rows(store, f"""SELECT ?claim ?ann ?exact ?label WHERE {{
        ?claim a kz:Claim ; kz:reportedIn <{article}> ; kz:evidence ?ann ; rdfs:label ?label .
        ?ann oa:hasTarget ?t . ?t oa:hasSource <{article}> ; oa:hasSelector ?q . ?q oa:exact ?exact }}
        ORDER BY ?claim ?ann""")
    assert evidence
    wanted = next((row for row in evidence if row["claim"].endswith("/001-health-ministry-164-dead")), evidence[0])
    anchor = wanted["ann"].split("/annotation/", 1)[1]

    browser.get(f"{live_server.url}/id/article/001#{anchor}")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".hl.target"))
    browser.save_screenshot(str(tmp_path / "article.png"))

    anchors = browser.find_elements(By.CSS_SELECTOR, "#article-text span.anchor[data-annotation]")
    assert len(anchors) == int(count)
    # the quote the address names is lit up whole, and is on screen
    lit = browser.find_elements(By.CSS_SELECTOR, ".hl.target")
    lit_text = "".join(browser.execute_script("return arguments[0].textContent", el) for el in lit)
    assert " ".join(lit_text.split()) == " ".join(wanted["exact"].split())
    top = browser.execute_script(
        "return document.getElementById(arguments[0]).getBoundingClientRect().top", anchor)
    assert 0 <= top < browser.execute_script("return window.innerHeight")
    # following a highlight of that quote leads to a claim it proves (runs shared with a shorter
    # overlapping quote link to that quote's claim, so pick a run that links to one of ours)
    claims_of_quote = {row["claim"] for row in evidence if row["ann"] == wanted["ann"]}
    ours = [el for el in lit
            if str(ID) + el.get_attribute("href").split("/id/", 1)[1] in claims_of_quote]
    assert ours
    ours[0].click()
    wait_for(browser, lambda d: "/id/claim/" in d.current_url)
    assert str(ID) + browser.current_url.split("/id/", 1)[1].split("#")[0] in claims_of_quote
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading in {row["label"] for row in evidence if row["claim"] in claims_of_quote}
