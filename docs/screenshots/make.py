"""Take one PNG per view (docs/screenshots/*.png) in headless Chromium, for the README.

Not a test: run it by hand after a build, when a view changes::

    .venv/bin/python docs/screenshots/make.py [--build-dir build] [--width 1300]

Serves the build with the Flask app on a free loopback port (in this process) and needs Debian's
chromium and chromium-driver, as the browser tests do.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from kzkg_server import create_app

HERE = Path(__file__).resolve().parent
VIEWS = {
    "timeline": "/timeline",
    "network": "/network?topic=deaths",
    "figures": "/figures?kind=Deaths",
    "map": "/map",
    "search": "/search?q=airport",
    "browse": "/browse",
    "ontology": "/ontology",
    # resource pages (issue #14): claims grouped by claimant, folded, paginated; each pair once
    "page-person": "/id/tokayev",
    "page-article": "/id/article/001#claims",
    "page-event": "/id/event/bloody-january",
    # /disagreements (issue #14): by subject, each side's first claim, the agreeing ones folded
    "page-disagreements": "/disagreements",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--width", default=1300, type=int)
    parser.add_argument("--height", default=1100, type=int)
    parser.add_argument("--suffix", default="", help="added to each file name, e.g. -400 for a phone-width set")
    parser.add_argument("--only", nargs="*", choices=sorted(VIEWS), help="retake only these pictures")
    args = parser.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    server = make_server("127.0.0.1", 0, create_app({"BUILD_DIR": str(args.build_dir)}), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    profile = tempfile.mkdtemp(prefix="kzkg-shots-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={args.width},{args.height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for name, path in VIEWS.items():
            if args.only and name not in args.only:
                continue
            driver.get(base + path)
            target = HERE / f"{name}{args.suffix}.png"
            driver.save_screenshot(str(target))
            print(f"{target.relative_to(HERE.parent.parent)}  {path}")
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
