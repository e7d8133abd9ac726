"""Geography: the locator map on a place's page and the ``/map`` view of every place.

On a resource page: names, descriptions and coordinates from the enrichment graph, and an inline
SVG locator map of the place among the other linked places. The ``/map`` view (registered by
:mod:`.views`) draws every place with events on Natural Earth's country outlines and, from
:mod:`.regions`, the outlines of the regions around Kazakhstan.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Response, abort

from kzkg.enrich import ENRICHMENT_GRAPH
from kzkg.wikidata import WDT

from . import regions
from .backend import GraphReader
from .enrichment import external_facts, parse_point
from .labels import page_reader, plain
from .view_common import int_of, local_url, page_response, text_of


@dataclass
class LocatorMap:
    """An inline SVG map (no tiles, so it works offline): this place among the other linked places."""

    width: int
    height: int
    here: list[tuple[float, float]]
    others: list[tuple[float, float]]


# Central Asia around Kazakhstan; a point outside it is drawn on a world frame instead.
REGION = (44.0, 90.0, 36.0, 58.0)  # lon min, lon max, lat min, lat max
WORLD = (-180.0, 180.0, -60.0, 80.0)


def _project(
    points: Iterable[tuple[float, float]], frame: tuple[float, float, float, float], width: int, height: int
) -> list[tuple[float, float]]:
    lon0, lon1, lat0, lat1 = frame
    return [
        (round((lon - lon0) / (lon1 - lon0) * width, 1), round((lat1 - lat) / (lat1 - lat0) * height, 1))
        for lat, lon in points
        if lon0 <= lon <= lon1 and lat0 <= lat <= lat1
    ]


def external_panel(store: GraphReader, node: ox.NamedNode) -> dict[str, object] | None:
    """Names in other languages, descriptions and coordinates from the enrichment graph (kzkg enrich)."""
    facts = external_facts(store.select, node.value)
    if not facts["items"]:
        return None
    here = facts["coordinates"]
    if here:
        points = f"SELECT ?p WHERE {{ GRAPH <{ENRICHMENT_GRAPH}> {{ ?i <{WDT}P625> ?p }} }}"
        rows = plain(store.select(points))
        everywhere = {point for row in rows if (point := parse_point(row["p"].value))}
        inside = all(REGION[2] <= lat <= REGION[3] and REGION[0] <= lon <= REGION[1] for lat, lon in here)
        frame, width, height = (REGION, 460, 230) if inside else (WORLD, 480, 187)
        facts["map"] = LocatorMap(
            width,
            height,
            _project(here, frame, width, height),
            _project(sorted(everywhere - set(here)), frame, width, height),
        )
    languages = ("en", "ru", "kk")
    facts["languages"] = [
        lang for lang in languages if lang in facts["names"] or lang in facts["descriptions"]
    ] + sorted(lang for lang in set(facts["names"]) | set(facts["descriptions"]) if lang not in languages)
    return facts


STATIC_DIR = Path(__file__).resolve().parent / "static"
WORLD_ATLAS = STATIC_DIR / "node_modules" / "world-atlas" / "countries-50m.json"

# --------------------------------------------------------------------------------------------
# /map


@lru_cache(maxsize=1)
def _countries() -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """Natural Earth's country rings (lon, lat) from world-atlas's TopoJSON, decoded once per process."""
    if not WORLD_ATLAS.is_file():
        raise FileNotFoundError(
            f"{WORLD_ATLAS}: the map's outlines are missing; run `npm ci --prefix server/static --ignore-scripts`"
        )
    topology = json.loads(WORLD_ATLAS.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:  # delta-encoded, quantized
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for index in indexes:
            points = arcs[index] if index >= 0 else arcs[~index][::-1]
            out.extend(points[1:] if out else points)
        return out

    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        elif geometry.get("type") != "MultiPolygon":
            continue
        rings = [ring(r) for polygon in polygons for r in polygon]
        countries.append((geometry.get("properties", {}).get("name", ""), rings))
    return countries


MAP_QUERY = """
SELECT ?p (SAMPLE(?l) AS ?label) (SAMPLE(?wkt) AS ?point) (COUNT(DISTINCT ?e) AS ?events)
       (COUNT(DISTINCT ?c) AS ?claims) WHERE {
  ?p a kz:Place ; rdfs:label ?l ; skos:exactMatch ?item .
  GRAPH kzgraph:enrichment { ?item <http://www.wikidata.org/prop/direct/P625> ?wkt }
  OPTIONAL { ?e kz:place ?p }  OPTIONAL { ?c kz:about ?p }
} GROUP BY ?p"""


@dataclass
class MapPlace:
    """A place with coordinates as the map draws it; x, y and r (the dot) are set once the view is known."""

    iri: str
    label: str
    lat: float
    lon: float
    events: int
    claims: int
    x: float = 0.0
    y: float = 0.0
    r: float = 0.0


def _projection(
    box: tuple[float, float, float, float],
) -> tuple[float, float, Callable[[float, float], tuple[float, float]]]:
    """Width, height and the (lon, lat) -> (x, y) projection of /map for a box: equirectangular,
    x scaled by the cosine of the middle latitude, 1000 px wide."""
    lon_min, lat_min, lon_max, lat_max = box
    k = math.cos(math.radians((lat_min + lat_max) / 2))
    width = 1000.0
    scale = width / ((lon_max - lon_min) * k)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (lon - lon_min) * k * scale, (lat_max - lat) * scale

    return width, (lat_max - lat_min) * scale, project


@lru_cache(maxsize=4)
def _layers(
    box: tuple[float, float, float, float], located: tuple[tuple[float, float, str, float], ...]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Country outlines and names, region outlines and names for a box and its places (lon, lat,
    label, dot radius). Cached: they depend on nothing else, placing the names takes a few hundred
    milliseconds, and the box and places change only with a new build."""
    lon_min, lat_min, lon_max, lat_max = box
    width, height, project = _projection(box)
    countries = _countries()
    # region outlines, and the names of those holding a place, clear of the dots (server/regions.py)
    region_outlines, region_labels = regions.layers(project, box, located, [name for name, _ in countries])
    # Country names go where they are readable: well inside the visible part of the country's largest
    # ring, clear of the places, their names and the regions' names; the largest countries first.
    avoid = regions.place_boxes(project, located)
    avoid += [regions.label_box(r["x"], r["y"], r["name"]) for r in region_labels]
    outlines, labels, candidates = [], [], []
    for name, rings in countries:
        inside_rings = [
            r
            for r in rings
            if any(lon_min - 5 <= lo <= lon_max + 5 and lat_min - 5 <= la <= lat_max + 5 for lo, la in r)
        ]
        if not inside_rings:
            continue
        paths = []
        for r in inside_rings:
            points = [project(lo, la) for lo, la in r]
            paths.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
        outlines.append({"name": name, "d": "".join(paths)})
        seen = {
            len([1 for lo, la in r if lon_min <= lo <= lon_max and lat_min <= la <= lat_max]): r for r in inside_rings
        }
        if max(seen) > 20:
            candidates.append((max(seen), name, seen[max(seen)]))
    for _, name, ring in sorted(candidates, key=lambda c: (-c[0], c[1])):
        outline = regions.simplify([project(lo, la) for lo, la in ring], 3.0)[:-1]
        at = regions.label_point(outline, name, avoid, steps=12, size=15, em=0.75, clip=(0.0, 0.0, width, height))
        if at:
            labels.append({"name": name, "x": at[0], "y": at[1]})
            avoid.append(regions.label_box(at[0], at[1], name, 15, 0.75))
    return outlines, labels, region_outlines, region_labels


def place_map() -> Response:
    """The places with coordinates over Natural Earth's country outlines, sized by their events."""
    served, reader = page_reader()
    places: list[MapPlace] = []
    for row in reader.select(MAP_QUERY):
        point = parse_point(text_of(row, "point"))
        if point:
            places.append(
                MapPlace(
                    text_of(row, "p"),
                    text_of(row, "label"),
                    point[0],
                    point[1],
                    int_of(row, "events"),
                    int_of(row, "claims"),
                )
            )
    # The view: Kazakhstan and its neighbours, widened to every place with coordinates.
    lon_min, lon_max, lat_min, lat_max = 45.0, 88.0, 38.0, 56.5
    for place in places:
        lon_min, lon_max = min(lon_min, place.lon - 2), max(lon_max, place.lon + 2)
        lat_min, lat_max = min(lat_min, place.lat - 2), max(lat_max, place.lat + 2)
    box = (lon_min, lat_min, lon_max, lat_max)
    width, height, project = _projection(box)
    for place in places:
        place.x, place.y = project(place.lon, place.lat)
        place.r = 4 + 2.2 * math.sqrt(place.events)
    try:
        outlines, labels, region_outlines, region_labels = _layers(
            box, tuple((p.lon, p.lat, p.label, p.r) for p in places)
        )
    except FileNotFoundError as missing:  # an install without the npm packages: say which command
        abort(503, description=str(missing))
    except regions.GeometryError as missing:
        abort(503, description=str(missing))
    places.sort(key=lambda p: (-p.events, p.label))
    return page_response(
        "views/map.html",
        served=served,
        places=places,
        outlines=outlines,
        labels=labels,
        regions=region_outlines,
        region_labels=region_labels,
        width=width,
        height=height,
        local_url=local_url,
    )
