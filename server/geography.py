"""Geography on a resource page: names, descriptions and coordinates from the enrichment graph,
and an inline SVG locator map of the place among the other linked places."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kzkg.enrich import ENRICHMENT_GRAPH

from .backend import GraphReader
from .enrichment import external_facts, parse_point
from .labels import plain


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
        points = (
            f"SELECT ?p WHERE {{ GRAPH <{ENRICHMENT_GRAPH}> {{ ?i <http://www.wikidata.org/prop/direct/P625> ?p }} }}"
        )
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
