"""Take the README's screenshots of the query UI's views in headless Chromium.

Usage: ``.venv/bin/python docs/screenshots/take.py [--build-dir DIR]``. Builds the corpus into a
temporary directory unless ``--build-dir`` names a published build, serves it with ``kzkg serve``
on a free loopback port, and writes one PNG per view beside this file. Not a test: the browser
tests check what each view draws; this only keeps the pictures in the README current.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CONTRADICTIONS = """PREFIX kz: <https://w3id.org/kzkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
# The claims that contradict a death-toll claim, and what those contradict in turn
CONSTRUCT { ?a kz:contradicts ?b . ?a rdfs:label ?la . ?b rdfs:label ?lb }
WHERE { ?a kz:contradicts ?b . ?a rdfs:label ?la . ?b rdfs:label ?lb .
        { ?a kz:quantityKind kz:Deaths } UNION { ?b kz:quantityKind kz:Deaths } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(build_dir: Path) -> tuple[subprocess.Popen, str]:
    """`kzkg serve` on loopback, once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kzkg.cli",
            "serve",
            "--build-dir",
            str(build_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-build",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/sparql", timeout=5)
            return process, url
        except requests.RequestException:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"kzkg serve did not answer on {url}")


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1300,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(driver, script: str) -> None:
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(script))


def shoot_results(driver, name: str) -> None:
    """The active tab's results (and the editor's bottom edge above them) as ``name``.png."""
    driver.execute_script("document.querySelector('.tabPanel.active .yasr').scrollIntoView()")
    driver.execute_script("window.scrollBy(0, -60)")
    time.sleep(0.5)
    driver.save_screenshot(str(HERE / f"{name}.png"))
    print(HERE / f"{name}.png")


def take(url: str) -> None:
    driver = browser()
    ready = "return !!(window.kzkgYasgui && document.querySelector('.yasqe'))"
    try:
        driver.get(url + "/")
        driver.execute_script("localStorage.clear()")

        def example(slug: str, view: str, select: bool = False) -> None:
            driver.get("about:blank")
            driver.get(f"{url}/?example={slug}")
            wait(driver, ready)
            wait(driver, "return !!window.kzkgYasgui.getTab().getYasr().results")
            if select:
                driver.find_element("css selector", f".tabPanel.active .select_{view}").click()
            wait(driver, f"return !!document.querySelector('.tabPanel.active .kzkg-{view[4:].lower()} svg')")

        driver.get(url + "/")
        wait(driver, ready)
        driver.save_screenshot(str(HERE / "query-page.png"))
        print(HERE / "query-page.png")
        example("01-death-tolls", "kzkgChart", select=True)
        shoot_results(driver, "view-chart")
        example("03-almaty-timeline", "kzkgTimeline")
        shoot_results(driver, "view-timeline")
        example("93-enrichment-names", "kzkgMap")
        wait(driver, "return !!document.querySelector('.tabPanel.active .kzkg-map path.country')")
        shoot_results(driver, "view-map")
        driver.execute_script(
            """const tab = window.kzkgYasgui.addTab(true, {name: 'Death-toll contradictions'});
            tab.setQuery(arguments[0]); tab.query();""",
            CONTRADICTIONS,
        )
        wait(driver, "return !!document.querySelector('.tabPanel.active .kzkg-graph-canvas')")
        time.sleep(1)
        shoot_results(driver, "view-graph")
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": True}
        )
        driver.execute_script("localStorage.clear()")
        # on a phone: an example run, from its tab down to the first rows, so the picture shows
        # what must fit (the view buttons with their names, the table scrolling in its own box)
        driver.get("about:blank")
        driver.get(url + "/?example=01-death-tolls")
        wait(driver, ready)
        wait(driver, "return !!document.querySelector('.tabPanel.active .yasr .dt-info')")
        driver.execute_script("document.querySelector('#query').scrollIntoView()")
        time.sleep(0.5)
        driver.save_screenshot(str(HERE / "query-page-phone.png"))
        print(HERE / "query-page-phone.png")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, help="a published build (default: build one now)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        build_dir = args.build_dir
        if build_dir is None:
            build_dir = Path(scratch) / "build"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "kzkg.cli",
                    "build",
                    "--data-dir",
                    str(ROOT / "data"),
                    "--build-dir",
                    str(build_dir),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        process, url = serve(build_dir)
        try:
            take(url)
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
