"""The UI in a real headless browser, against `kzkg serve` (the live_server fixture).

Needs Debian's chromium and chromium-driver (``apt-get install -y chromium chromium-driver``) and
the editor's npm files (``npm ci --prefix server/static --ignore-scripts``). Without chromium the
tests skip on a developer's machine; in CI (CI=true) a missing browser or editor is a failure,
because the setup script installs both.
"""

from __future__ import annotations

import itertools
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
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1300,1600",
    ):
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
        assert str(ID) + href[len(live_server.url) + len("/id/") :] in expected_claims
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
    count = select_rows(
        store,
        f"""SELECT (COUNT(DISTINCT ?ann) AS ?n) WHERE {{
        ?ann oa:hasTarget ?t . ?t oa:hasSource <{article}> }}""",
    )[0]["n"]
    evidence = select_rows(
        store,
        f"""SELECT ?claim ?ann ?exact ?label WHERE {{
        ?claim a kz:Claim ; kz:reportedIn <{article}> ; kz:evidence ?ann ; rdfs:label ?label .
        ?ann oa:hasTarget ?t . ?t oa:hasSource <{article}> ; oa:hasSelector ?q . ?q oa:exact ?exact }}
        ORDER BY ?claim ?ann""",
    )
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
    top = browser.execute_script("return document.getElementById(arguments[0]).getBoundingClientRect().top", anchor)
    assert 0 <= top < browser.execute_script("return window.innerHeight")
    # following a highlight of that quote leads to a claim it proves (runs shared with a shorter
    # overlapping quote link to that quote's claim, so pick a run that links to one of ours)
    claims_of_quote = {row["claim"] for row in evidence if row["ann"] == wanted["ann"]}
    ours = [el for el in lit if str(ID) + el.get_attribute("href").split("/id/", 1)[1] in claims_of_quote]
    assert ours
    ours[0].click()
    wait_for(browser, lambda d: "/id/claim/" in d.current_url)
    assert str(ID) + browser.current_url.split("/id/", 1)[1].split("#")[0] in claims_of_quote
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading in {row["label"] for row in evidence if row["claim"] in claims_of_quote}


# --- the query UI of issue #14: links that always work, the layout, and the result views -----------


def open_fresh(driver, url: str) -> None:
    """Load ``url`` with no tabs left in localStorage by earlier tests, and wait for the editor."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    driver.get(base)
    driver.execute_script("localStorage.clear()")
    driver.get("about:blank")
    driver.get(url)
    wait_for(driver, lambda d: d.execute_script("return !!(window.kzkgYasgui && document.querySelector('.yasqe'))"))


def page_errors(driver) -> list[str]:
    """Uncaught errors the page logged since the last call (the browser console's SEVERE entries)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def active(driver, script: str):
    """Evaluate ``script`` with ``tab`` (the active YASGUI tab) and ``yasr`` (its results) bound."""
    return driver.execute_script("const tab = window.kzkgYasgui.getTab(); const yasr = tab.getYasr();" + script)


def wait_for_view(driver, view: str) -> None:
    wait_for(driver, lambda d: active(d, "return yasr.results ? yasr.getSelectedPluginName() : null") is not None)
    wait_for(driver, lambda d: d.find_elements("css selector", f".tabPanel.active .kzkg-{view}"))


VIEW_FILES = (
    "node_modules/cytoscape/dist/cytoscape.min.js",
    "node_modules/topojson-client/dist/topojson-client.min.js",
    "node_modules/world-atlas/countries-50m.json",
)


def require_editor() -> None:
    """The editor and the views' npm files must be installed (a missing input is a failure)."""
    if not pages.yasgui_installed():
        pytest.fail(f"the query editor is not installed: run `{pages.NPM_INSTALL}`")
    missing = [name for name in VIEW_FILES if not (pages.STATIC_DIR / name).is_file()]
    if missing:
        pytest.fail(f"the result views' npm files are missing ({', '.join(missing)}): run `{pages.NPM_INSTALL}`")


def result_count(driver) -> int:
    return active(driver, "return yasr.results.getBindings().length")


@pytest.mark.parametrize("address", ["/?example=03-almaty-timeline#query", "/#query"])
def test_anchor_links_open_the_editor_without_crashing(browser, live_server, store, address):
    """`/?example=NN#query` (every example card's link) crashed YASGUI and left an empty tab."""
    require_editor()
    examples = {e.slug: e for e in load_examples()}
    browser.get(live_server.url + "/")
    page_errors(browser)
    open_fresh(browser, live_server.url + address)
    assert page_errors(browser) == []
    assert browser.find_elements("css selector", ".tabPanel.active .CodeMirror")
    assert browser.current_url.endswith("#query")  # the anchor stays, and the editor is on screen
    top = browser.execute_script("return document.getElementById('query').getBoundingClientRect().top")
    assert 0 <= top < browser.execute_script("return window.innerHeight")
    if "example=" in address:
        example = examples["03-almaty-timeline"]
        assert active(browser, "return tab.getName()") == example.title
        assert active(browser, "return tab.getQuery()") == example.sparql
        # the example runs, so the results shown are its own
        wait_for(browser, lambda d: active(d, "return !!yasr.results"))
        assert result_count(browser) == len(select_rows(store, example.sparql))
        # a reload shows the same again (it crashed before)
        browser.refresh()
        wait_for(
            browser, lambda d: d.execute_script("return !!(window.kzkgYasgui && document.querySelector('.yasqe'))")
        )
        wait_for(browser, lambda d: active(d, "return !!yasr.results"))
        assert page_errors(browser) == []
        assert active(browser, "return tab.getQuery()") == example.sparql
        assert result_count(browser) == len(select_rows(store, example.sparql))


def test_a_shared_query_in_the_fragment_wins_over_the_example(browser, live_server, store):
    """`/?example=01-death-tolls#query=<other>`: the editor and the results are both the fragment's."""
    from urllib.parse import quote

    require_editor()
    other = "SELECT ?event WHERE { ?event a kz:Event } ORDER BY ?event LIMIT 7"
    full = "PREFIX kz: <https://w3id.org/kzkg/ontology#>\n" + other
    open_fresh(browser, live_server.url + "/?example=01-death-tolls#query=" + quote(full, safe=""))
    wait_for(browser, lambda d: active(d, "return !!yasr.results"))
    assert active(browser, "return tab.getQuery()") == full
    assert active(browser, "return yasr.results.getVariables()") == ["event"]
    assert result_count(browser) == len(select_rows(store, full)) == 7
    assert page_errors(browser) == []
    # the example is dropped from the address, so a reload cannot switch to it
    assert "example=" not in browser.current_url


def test_an_unknown_example_is_named_not_replaced(browser, live_server):
    require_editor()
    open_fresh(browser, live_server.url + "/?example=no-such-example#query")
    notice = browser.find_element("css selector", "#example-missing")
    assert notice.is_displayed() and "no-such-example" in notice.text
    assert page_errors(browser) == []
    titles = {e.title for e in load_examples()}
    assert active(browser, "return tab.getName()") not in titles


def test_a_shared_link_shows_the_view_it_was_shared_with(browser, live_server):
    """YASGUI's share link names the view (outputFormat); it wins over the automatic choice."""
    from urllib.parse import quote

    require_editor()
    example = next(e for e in load_examples() if e.slug == "01-death-tolls")
    open_fresh(browser, live_server.url + "/#query=" + quote(example.sparql, safe="") + "&outputFormat=kzkgChart")
    wait_for_view(browser, "chart")
    assert active(browser, "return yasr.getSelectedPluginName()") == "kzkgChart"
    assert browser.find_elements("css selector", ".tabPanel.active .kzkg-chart .mark[data-value='164']")
    # and the share link of what is shown names the view again
    link = active(browser, "return tab.getShareableLink()")
    assert "outputFormat=kzkgChart" in link


def test_editor_comes_first_and_the_examples_are_searchable(browser, live_server):
    require_editor()
    examples = load_examples()
    try:
        for width, height in ((1300, 900), (400, 800)):
            # a real window cannot be narrower than 500 px in headless Chromium: emulate the phone
            browser.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
            )
            open_fresh(browser, live_server.url + "/")
            assert browser.execute_script("return window.innerWidth") == width
            editor = browser.execute_script("return document.querySelector('.yasqe').getBoundingClientRect().toJSON()")
            # the editor starts on the first screen (it was 1,470 px down below 14 example cards)
            assert editor["top"] < browser.execute_script("return window.innerHeight") - 150, (width, editor)
            # nothing is wider than the window
            assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), width
            box = browser.find_element("css selector", "#examples-box")
            if width < 800:  # on a phone the list starts folded above the editor, one tap away
                assert box.get_attribute("open") is None
                box.find_element("css selector", "summary").click()
            search = browser.find_element("css selector", "#example-filter")
            assert search.is_displayed()
            search.clear()
            search.send_keys("CSTO")
            shown = [
                a.get_attribute("data-example")
                for a in browser.find_elements("css selector", ".example-list a.example")
                if a.is_displayed()
            ]
            expected = [e.slug for e in examples if "csto" in (e.title + " " + e.description).lower()]
            assert expected and shown == expected, width
            search.send_keys(" nosuchword")
            wait_for(browser, lambda d: d.find_element("css selector", "#example-none").is_displayed())
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# what Chromium sends when it follows a link or posts a form
NAVIGATION_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


@pytest.mark.parametrize(
    "query, expected_types",
    [
        ("CONSTRUCT { ?c a kz:Claim } WHERE { ?c a kz:Claim } LIMIT 3", {"text/turtle", "text/html"}),
        ("DESCRIBE ?c WHERE { ?c a kz:Claim } LIMIT 1", {"text/turtle", "text/html"}),
        ("SELECT ?c WHERE { ?c a kz:Claim } LIMIT 3", {"application/sparql-results+xml", "text/html"}),
        ("ASK { ?c a kz:Claim }", {"application/sparql-results+xml", "text/html"}),
    ],
)
def test_plain_form_default_format_suits_every_query_form(browser, live_server, query, expected_types):
    """The no-JS form defaulted to CSV, so a CONSTRUCT got a 406; its default now sends no format,
    so the endpoint picks one the query's form has (for a browser, the HTML results page)."""
    from selenium.webdriver.support.ui import Select

    browser.get(live_server.url + "/")
    form = browser.find_element("css selector", "form.plain")
    assert Select(form.find_element("name", "format")).first_selected_option.get_attribute("value") == ""
    text = "PREFIX kz: <https://w3id.org/kzkg/ontology#>\n" + query
    browser.execute_script("arguments[0].value = arguments[1]", form.find_element("name", "query"), text)
    # the form's own fields, posted as the browser posts them
    status, content_type = browser.execute_async_script(
        """
        const [form, accept, done] = arguments;
        fetch(form.action, {method: 'POST', headers: {Accept: accept}, body: new URLSearchParams(new FormData(form))})
          .then(r => done([r.status, r.headers.get('Content-Type')]));""",
        form,
        NAVIGATION_ACCEPT,
    )
    assert status == 200
    assert content_type.split(";")[0] in expected_types
    if "text/turtle" in expected_types:  # and a real submit shows the graph's triples
        form.find_element("css selector", "button[type=submit]").click()
        wait_for(browser, lambda d: "/sparql" in d.current_url)
        assert "/id/claim/" in browser.page_source


def test_chart_view_draws_the_death_tolls(browser, live_server, store, tmp_path):
    """Death tolls as bars: one per figure, 164 among them drawn as retracted, heights to scale."""
    require_editor()
    example = next(e for e in load_examples() if e.slug == "01-death-tolls")
    rows = [row for row in select_rows(store, example.sparql) if "figure" in row]
    assert any(float(row["figure"]) == 164 for row in rows)
    open_fresh(browser, live_server.url + "/")
    browser.find_element("css selector", 'a.example[data-example="01-death-tolls"]').click()
    wait_for(browser, lambda d: d.find_elements("css selector", ".tabPanel.active .yasr .dt-info"))
    # the death tolls have many columns, so the table stays the automatic choice; the chart is offered
    assert active(browser, "return yasr.getSelectedPluginName()") == "table"
    browser.find_element("css selector", ".tabPanel.active .yasr .select_kzkgChart").click()
    wait_for_view(browser, "chart")
    browser.save_screenshot(str(tmp_path / "chart.png"))
    marks = browser.execute_script("""
        return Array.from(document.querySelectorAll('.tabPanel.active .kzkg-chart .mark')).map(m => {
          const shape = m.querySelector('rect, circle').getBBox();
          return {value: +m.dataset.value, retracted: m.classList.contains('retracted'),
                  top: shape.y, bottom: shape.y + shape.height, href: m.getAttribute('href')};
        })""")
    assert sorted(m["value"] for m in marks) == sorted(float(row["figure"]) for row in rows)
    by_claim = {row["claim"]: row for row in rows}
    for mark in marks:
        claim = str(ID) + mark["href"].split("/id/", 1)[1]
        assert float(by_claim[claim]["figure"]) == mark["value"]
        assert mark["retracted"] == (by_claim[claim].get("status") == "retracted")
    peak = next(m for m in marks if m["value"] == 164)
    assert peak["retracted"]
    # heights are to scale: 164 against the largest figure
    largest = max(marks, key=lambda m: m["value"])
    ratio = (peak["bottom"] - peak["top"]) / (largest["bottom"] - largest["top"])
    assert abs(ratio - 164 / largest["value"]) < 0.02
    # the user can switch to dots; the point at 164 is there
    browser.execute_script("""const s = document.querySelector('.tabPanel.active .kzkg-chart-type');
        s.value = 'dot'; s.dispatchEvent(new Event('change'));""")
    wait_for(
        browser,
        lambda d: d.find_elements(
            "css selector", ".tabPanel.active .kzkg-chart[data-type=dot] .mark[data-value='164'] circle"
        ),
    )


def test_timeline_view_is_chosen_for_results_that_lead_with_dates(browser, live_server, store, tmp_path):
    require_editor()
    example = next(e for e in load_examples() if e.slug == "03-almaty-timeline")
    rows = select_rows(store, example.sparql)
    dated = [row for row in rows if "start" in row]
    assert dated
    open_fresh(browser, live_server.url + "/?example=03-almaty-timeline")
    wait_for_view(browser, "timeline")
    assert active(browser, "return yasr.getSelectedPluginName()") == "kzkgTimeline"
    browser.save_screenshot(str(tmp_path / "timeline.png"))
    items = browser.execute_script("""
        return Array.from(document.querySelectorAll('.tabPanel.active .kzkg-timeline .item')).map(m => ({
          start: m.dataset.start, label: m.dataset.label, x: m.querySelector('rect').getBBox().x}))""")
    assert len(items) == len(dated)
    assert sorted(i["start"][:10] for i in items) == sorted(row["start"][:10] for row in dated)
    assert {i["label"] for i in items} == {row["label"] for row in dated}
    # later dates are drawn further right
    items.sort(key=lambda i: i["start"])
    assert all(a["x"] <= b["x"] for a, b in itertools.pairwise(items))
    assert items[0]["x"] < items[-1]["x"]
    airport = [i for i in items if "airport" in i["label"].lower()]
    assert airport and all(i["start"].startswith("2022-01-0") for i in airport)


def test_map_view_draws_places_on_country_outlines(browser, live_server, store, tmp_path):
    """Points from WKT coordinates, over Natural Earth outlines served by this server."""
    require_editor()
    example = next(e for e in load_examples() if e.slug == "93-enrichment-names")
    located = {row["entity"]: row for row in select_rows(store, example.sparql) if "coordinates" in row}
    assert f"{ID}almaty" in located
    requested_urls(browser)
    open_fresh(browser, live_server.url + "/?example=93-enrichment-names")
    wait_for_view(browser, "map")
    wait_for(browser, lambda d: d.find_elements("css selector", ".tabPanel.active .kzkg-map path.country"))
    browser.save_screenshot(str(tmp_path / "map.png"))
    assert active(browser, "return yasr.getSelectedPluginName()") == "kzkgMap"
    places = browser.execute_script("""
        const kz = document.querySelector('.tabPanel.active .kzkg-map path.country[data-name="Kazakhstan"]');
        return Array.from(document.querySelectorAll('.tabPanel.active .kzkg-map .place')).map(p => {
          const c = p.querySelector('circle');
          const at = new DOMPoint(+c.getAttribute('cx'), +c.getAttribute('cy'));
          return {href: p.getAttribute('href'), inKazakhstan: kz.isPointInFill(at)};
        })""")
    assert len(places) == len({row["entity"] for row in located.values()})
    inside = {str(ID) + p["href"].split("/id/", 1)[1]: p["inKazakhstan"] for p in places}
    assert set(inside) == set(located)
    # what is drawn agrees with the geometry: Almaty and Aktobe lie inside Kazakhstan's outline,
    # Armenia and Belarus outside it
    assert inside[f"{ID}almaty"] and inside[f"{ID}aktobe"]
    assert not inside[f"{ID}armenia"] and not inside[f"{ID}belarus"]
    outside = [u for u in requested_urls(browser) if leaves_the_machine(u, live_server.url)]
    assert outside == []


def test_graph_view_draws_the_contradictions(browser, live_server, store, tmp_path):
    require_editor()
    query = (
        "PREFIX kz: <https://w3id.org/kzkg/ontology#>\n"
        "CONSTRUCT { ?a kz:contradicts ?b } WHERE { ?a kz:contradicts ?b }"
    )
    pairs = {(t.subject.value, t.object.value) for t in store.query(query)}
    peak = f"{ID}claim/001-health-ministry-164-dead"
    assert any(peak in pair for pair in pairs)
    open_fresh(browser, live_server.url + "/")
    browser.execute_script(
        """const tab = window.kzkgYasgui.addTab(true, {name: 'contradictions'});
        tab.setQuery(arguments[0]); tab.query();""",
        query,
    )
    wait_for_view(browser, "graph")
    assert active(browser, "return yasr.getSelectedPluginName()") == "kzkgGraph"
    browser.save_screenshot(str(tmp_path / "graph.png"))
    drawn = browser.execute_script("""
        const cy = document.querySelector('.tabPanel.active .kzkg-graph-canvas').kzkgCy;
        return {edges: cy.edges().map(e => [e.source().id(), e.target().id(), e.data('label')]),
                positions: cy.nodes().map(n => [n.position('x'), n.position('y')])}""")
    assert {(a, b) for a, b, _ in drawn["edges"]} == pairs
    assert {label for _, _, label in drawn["edges"]} == {"kz:contradicts"}
    # the layout spread the nodes out
    assert len({(round(x), round(y)) for x, y in drawn["positions"]}) == len(drawn["positions"])


@pytest.mark.parametrize(
    "query, view, chart_type",
    [
        # resources linking resources: the graph
        ("SELECT ?a ?b WHERE { ?a kz:contradicts ?b }", "kzkgGraph", None),
        # a label and numbers: the chart, as bars
        (
            "SELECT ?name (COUNT(?c) AS ?claims) WHERE { ?c kz:claimedBy/rdfs:label ?name } GROUP BY ?name",
            "kzkgChart",
            "bar",
        ),
        # the query's own #defaultView wins over the fit (Wikidata's convention)
        (
            (
                "#defaultView:LineChart\nSELECT ?c ?f ?s WHERE { ?c kz:quantityKind kz:Deaths ; kz:quantity ?f ; "
                "kz:status/rdfs:label ?s }"
            ),
            "kzkgChart",
            "line",
        ),
        ("#defaultView:Table\nSELECT ?a ?b WHERE { ?a kz:contradicts ?b }", "table", None),
        # nothing a view fits: the table
        ("SELECT ?c ?label ?s WHERE { ?c a kz:Claim ; rdfs:label ?label ; kz:status/rdfs:label ?s }", "table", None),
    ],
)
def test_the_view_is_chosen_by_what_the_result_holds(browser, live_server, query, view, chart_type):
    require_editor()
    text = (
        "PREFIX kz: <https://w3id.org/kzkg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + query
    )
    open_fresh(browser, live_server.url + "/")
    browser.execute_script(
        """const tab = window.kzkgYasgui.addTab(true, {name: 'choice'});
        tab.setQuery(arguments[0]); tab.query();""",
        text,
    )
    wait_for(browser, lambda d: active(d, "return !!yasr.results && !!yasr.resultsEl.firstChild"))
    assert active(browser, "return yasr.getSelectedPluginName()") == view
    if chart_type:
        wait_for(
            browser,
            lambda d: d.find_elements("css selector", f".tabPanel.active .kzkg-chart[data-type={chart_type}] .mark"),
        )
    # the choice is only a default: every other view that can draw the result stays one click away
    if view != "table":
        browser.find_element("css selector", ".tabPanel.active .yasr .select_table").click()
        wait_for(browser, lambda d: d.find_elements("css selector", ".tabPanel.active .yasr .dt-info"))


# --- the views (server/views.py): what each draws, at desktop and phone widths -----------------------

VIEWS = (
    "/timeline",
    "/network?topic=deaths",
    "/figures?kind=Deaths",
    "/map",
    "/search?q=airport",
    "/browse",
    "/ontology",
)


@pytest.fixture()
def phone(browser) -> Iterator[object]:
    """The module's browser at 400 px wide, restored afterwards for the other tests."""
    browser.set_window_size(400, 900)
    try:
        yield browser
    finally:
        browser.set_window_size(1300, 1600)


@pytest.mark.parametrize("path", VIEWS)
def test_each_view_fits_a_phone_and_stays_on_this_server(phone, live_server, path, tmp_path):
    requested_urls(phone)
    phone.get(live_server.url + path)
    wait_for(phone, lambda d: d.execute_script("return document.readyState") == "complete")
    phone.save_screenshot(str(tmp_path / "view.png"))
    width = phone.execute_script("return window.innerWidth")
    assert width <= 420
    # a picture, if any, fills the width (that nothing sticks out sideways, on every page and not
    # only the views, is test_every_page_fits_a_400_px_phone's)
    drawn = phone.execute_script("""return Array.from(document.querySelectorAll('main svg'))
        .map(s => s.getBoundingClientRect().width)""")
    assert all(w > width * 0.7 for w in drawn), drawn
    outside = [u for u in requested_urls(phone) if leaves_the_machine(u, live_server.url)]
    assert outside == []


# --- every page on a 400 px phone (issue #14) -----------------------------------------------------

PHONE_WIDTH = 400


def _sparql_page() -> str:
    """The endpoint's HTML results page for a wide result (many columns, long literals)."""
    from urllib.parse import quote

    example = next(e for e in load_examples() if e.slug == "01-death-tolls")
    return "/sparql?query=" + quote(example.sparql, safe="")


# Every page a reader reaches; /review/ is loopback-only and left out. The two examples are the
# widest results the UI draws: many columns (01), and the longest tab name with a map and a graph (93).
PHONE_PAGES = (
    "/",
    "/?example=01-death-tolls#query",
    "/?example=93-enrichment-names#query",
    _sparql_page(),
    "/timeline",
    "/network",
    "/figures",
    "/map",
    "/search?q=almaty",
    "/browse",
    "/browse?type=actor",
    "/browse?type=event",
    "/browse?type=place",
    "/browse?type=article",
    "/ontology",
    "/dumps",
    "/disagreements",
    "/id/claim/001-health-ministry-164-dead",
    "/id/article/001",
    "/id/tokayev",
    "/id/event/almaty-airport-seizure",
    "/id/kazakhstan",  # a place: its names in four languages and a locator map
)

# What sticks out of the screen, and what is cut off or blank. An element inside a box that scrolls
# or clips on its own (a wide table in an overflow:auto box, an ellipsis) is that box's business; a
# closed <details> hides its content on purpose (one tap away).
PHONE_DEFECTS = """
const W = arguments[0];
const own = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true;
    if (p.tagName === 'DETAILS' && !p.open && el.closest('summary') === null) return true; } return false; };
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
    getComputedStyle(el).visibility !== 'hidden'; };
const out = [], blank = [];
for (const el of document.body.querySelectorAll('*')) {
  if (!shown(el) || own(el)) continue;
  const r = el.getBoundingClientRect();
  if (r.left < -1 || r.right > W + 1) out.push(`${name(el)} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
}
for (const el of document.body.querySelectorAll('button, a[href], summary, select')) {
  if (el instanceof SVGElement || !shown(el) || el.closest('details:not([open]) > :not(summary)')) continue;
  const icon = Array.from(el.querySelectorAll('svg, img')).some(shown);
  if (!el.innerText.trim() && !icon) blank.push(name(el) + ' ' + (el.getAttribute('title') || ''));
}
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        out: out.slice(0, 10), blank: blank.slice(0, 10)};
"""


def fits_the_phone(driver, what: str) -> None:
    """Nothing is wider than the screen (the page never scrolls sideways), nothing sticks out, and
    no button or link is an empty box."""
    found = driver.execute_script(PHONE_DEFECTS, PHONE_WIDTH)
    assert found["scrollWidth"] <= PHONE_WIDTH, (what, found)
    assert found["innerWidth"] == PHONE_WIDTH, (what, found)
    assert found["out"] == [], (what, found)
    assert found["blank"] == [], (what, found)


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_every_page_fits_a_400_px_phone(browser, live_server, path, tmp_path):
    """A phone's screen (emulated: mobile Chromium widens its layout viewport to fit a too-wide page,
    so the width is checked against 400, not against window.innerWidth)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE_WIDTH, "height": 800, "deviceScaleFactor": 1, "mobile": True},
    )
    requested_urls(browser)  # drop the log of earlier pages
    try:
        if path == "/" or path.startswith("/?"):
            require_editor()
            open_fresh(browser, live_server.url + path)
        else:
            browser.get(live_server.url + path)
            wait_for(browser, lambda d: d.execute_script("return document.readyState") == "complete")
        title = browser.execute_script("const h = document.querySelector('main h1'); return h && h.innerText")
        assert title, f"{path}: the page has no heading in view"
        search = browser.execute_script("""
            const r = document.querySelector('form.site-search input').getBoundingClientRect();
            return [r.left, r.right]""")
        assert search[0] >= 0 and search[1] <= PHONE_WIDTH, (path, search)
        fits_the_phone(browser, path)

        if path.startswith("/?example="):
            # the example ran: each view it can be drawn in fits too, and each has a visible name
            wait_for(browser, lambda d: active(d, "return yasr.results ? yasr.getSelectedPluginName() : null"))
            buttons = browser.find_elements("css selector", ".tabPanel.active .yasr_btnGroup button:not(.disabled)")
            names = [b.get_attribute("class").split()[1] for b in buttons]
            assert len(names) >= 3, names  # table, response, and at least one drawing
            for name in names:
                browser.find_element("css selector", f".tabPanel.active .yasr_btnGroup button.{name}").click()
                plugin = name.split("_", 1)[1]
                wait_for(browser, lambda d, plugin=plugin: active(d, "return yasr.getSelectedPluginName()") == plugin)
                wait_for(
                    browser,
                    lambda d: d.execute_script(
                        "const r = document.querySelector('.tabPanel.active .yasr_results'); "
                        "return r && r.getBoundingClientRect().height > 20"
                    ),
                )
                fits_the_phone(browser, f"{path} {name}")
                browser.save_screenshot(str(tmp_path / f"{name}.png"))
            # the share link's popup opens on the screen (the editor clips it, so it is checked itself)
            browser.find_element("css selector", ".tabPanel.active .yasqe_share").click()
            box = browser.execute_script(
                "const p = document.querySelector('.tabPanel.active .yasqe_sharePopup'); "
                "return p && p.getBoundingClientRect().toJSON()"
            )
            assert box and box["left"] >= 0 and box["right"] <= PHONE_WIDTH, box
        if path == "/":
            # the tab's settings (the gear) open inside the screen
            browser.find_element("css selector", ".tabPanel.active .tabContextButton").click()
            wait_for(browser, lambda d: d.find_elements("css selector", ".tabPanel.active .tabMenu.open"))
            wait_for(
                browser,
                lambda d: d.execute_script(
                    "const r = document.querySelector('.tabPanel.active .tabMenu.open').getBoundingClientRect(); "
                    # it turns in over half a second: wait until it faces the reader, as wide as the editor
                    "return r.left >= 0 && r.right <= arguments[0] && r.width > arguments[0] * 0.8",
                    PHONE_WIDTH,
                ),
            )
            fits_the_phone(browser, "/ settings")
        # what is folded fits too once unfolded (the examples list, "more" lists, the query text)
        browser.execute_script("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        fits_the_phone(browser, f"{path} unfolded")
        browser.save_screenshot(str(tmp_path / "page.png"))
        # and a phone needs no internet for any of it
        assert [u for u in requested_urls(browser) if leaves_the_machine(u, live_server.url)] == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_figures_chart_draws_164_retracted_above_the_other_tolls(browser, live_server):
    browser.get(live_server.url + "/figures?kind=Deaths")
    point = browser.execute_script("""
        const a = document.querySelector('svg.figures-chart a.point[data-value="164"]');
        const dot = a.querySelector('circle').getBoundingClientRect();
        const marks = Array.from(a.querySelectorAll('.retracted-mark')).map(m => m.getBoundingClientRect());
        const ring = getComputedStyle(a.querySelector('circle.retracted-mark')).stroke;
        const others = Array.from(document.querySelectorAll('svg.figures-chart a.point'))
            .filter(p => Number(p.dataset.value) < 164)
            .map(p => p.querySelector('circle').getBoundingClientRect().top);
        const cx = dot.left + dot.width / 2, cy = dot.top + dot.height / 2;
        const hit = document.elementFromPoint(cx, cy);
        return {cls: a.getAttribute('class'), marks: marks.length, ring,
                ringCovers: marks.some(m => m.left <= dot.left && m.right >= dot.right),
                top: dot.top, others, hitInside: a.contains(hit),
                label: a.querySelector('.value-label').textContent};""")
    assert "retracted" in point["cls"].split()
    assert point["marks"] == 2 and point["ringCovers"]
    assert point["ring"] == "rgb(198, 40, 40)", "the ring is painted red, not hidden by the dots' white outline"
    assert point["hitInside"], "the point is painted where it is, not hidden under something"
    assert point["label"] == "164 (retracted)"
    assert point["others"] and all(point["top"] < top for top in point["others"])


def test_timeline_draws_the_airport_events_at_5_january(browser, live_server):
    browser.get(live_server.url + "/timeline")
    found = browser.execute_script("""
        const tick = Array.from(document.querySelectorAll('.tl-tick')).find(t => t.textContent.trim() === '5');
        const t = tick.getBoundingClientRect();
        const rows = Array.from(document.querySelectorAll('li.tl-event'))
            .filter(li => li.querySelector('.tl-label').textContent.toLowerCase().includes('airport'));
        return {tick: t.left, tickWidth: t.width, rows: rows.map(li => {
            const bar = li.querySelector('.tl-bar').getBoundingClientRect();
            return {start: li.dataset.start, at: bar.left,
                    visible: bar.width > 0 && bar.height > 0,
                    day: li.parentElement.previousElementSibling.textContent};
        })};""")
    on_the_fifth = [r for r in found["rows"] if r["start"] == "2022-01-05"]
    assert len(on_the_fifth) >= 2
    for row in on_the_fifth:
        assert row["visible"] and "5 January 2022" in row["day"]
        assert abs(row["at"] - found["tick"]) < 1.5  # under the "5" of the day axis, in pixels
    assert found["tickWidth"] > 5


def test_network_edge_joins_the_two_death_toll_claims_and_a_click_opens_one(browser, live_server):
    from selenium.webdriver.common.by import By

    toll, retraction = f"{ID}claim/001-health-ministry-164-dead", f"{ID}claim/001-health-ministry-retraction"
    browser.get(live_server.url + "/network?topic=deaths")
    ends = browser.execute_script(
        """
        const [a, b] = arguments;
        const edge = Array.from(document.querySelectorAll('svg.network path.edge.contradicts'))
            .find(e => [e.dataset.from, e.dataset.to].sort().join() === [a, b].sort().join());
        if (!edge) return null;
        const centre = iri => { const c = document.querySelector(`circle[data-iri="${iri}"]`);
                                return [c.cx.baseVal.value, c.cy.baseVal.value]; };
        const start = edge.getPointAtLength(0), end = edge.getPointAtLength(edge.getTotalLength());
        return {start: [start.x, start.y], end: [end.x, end.y], from: centre(edge.dataset.from),
                to: centre(edge.dataset.to), colour: getComputedStyle(edge).stroke};""",
        toll,
        retraction,
    )
    assert ends, "no contradiction edge between the 164 toll and its retraction"
    assert all(abs(p - q) < 0.5 for p, q in zip(ends["start"] + ends["end"], ends["from"] + ends["to"], strict=False))
    assert ends["colour"] == "rgb(198, 40, 40)"
    browser.find_element(By.CSS_SELECTOR, f'circle[data-iri="{toll}"]').click()
    wait_for(browser, lambda d: "/id/claim/001-health-ministry-164-dead" in d.current_url)
    assert "164" in browser.find_element(By.TAG_NAME, "h1").text


def test_map_draws_almaty_inside_kazakhstan(browser, live_server):
    browser.get(live_server.url + "/map")
    found = browser.execute_script("""
        const kz = document.querySelector('path.country[data-country="Kazakhstan"]').getBoundingClientRect();
        const dot = document.querySelector('a.place[data-iri$="/id/almaty"] circle').getBoundingClientRect();
        const cx = dot.left + dot.width / 2, cy = dot.top + dot.height / 2;
        return {inside: kz.left < cx && cx < kz.right && kz.top < cy && cy < kz.bottom,
                southEast: cx > kz.left + kz.width / 2 && cy > kz.top + kz.height / 2,
                outlines: document.querySelectorAll('path.country').length,
                labels: Array.from(document.querySelectorAll('text.country-label')).map(t => t.textContent)};""")
    assert found["inside"] and found["southEast"]
    assert found["outlines"] >= 10 and "Kazakhstan" in found["labels"]


def test_search_box_on_a_resource_page_finds_grouped_results(browser, live_server):
    from selenium.webdriver.common.by import By

    browser.get(live_server.url + "/id/tokayev")
    box = browser.find_element(By.CSS_SELECTOR, "form.site-search input[name=q]")
    box.send_keys("almaty airport")
    box.submit()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "section.search-group"))
    assert "/search?q=almaty+airport" in browser.current_url
    kinds = [s.get_attribute("data-kind") for s in browser.find_elements(By.CSS_SELECTOR, "section.search-group")]
    assert "event" in kinds and "claim" in kinds
    first_event = browser.find_element(By.CSS_SELECTOR, 'section.search-group[data-kind="event"] li a')
    first_event.click()
    wait_for(browser, lambda d: "/id/event/" in d.current_url)
