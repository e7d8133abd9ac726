"""The views a reader expects to *see*: timeline, claim network, figures, map, search, browse, ontology.

Why drawn on the server (SVG and HTML with CSS positions) rather than by a charting library in the
browser: every view then works without JavaScript and without internet, a citation (the URL with
its filters in the query string) always shows the same picture, the tests can parse what is drawn
(each mark carries its data in ``data-*`` attributes), and a 400 px phone gets the same marks,
scaled by the SVG's viewBox, with a readable list beside each picture. The only geometry is
Natural Earth's country outlines from the npm package ``world-atlas`` (public domain data),
installed into ``static/node_modules`` like YASGUI and read from there.

Every query goes through the served backend's reader (``GraphReader.select``), so the views work
on the embedded store and in front of a remote store alike. Claims-as-data (issue #12) is read
where it exists: the timeline shows the dates that claims' assertion graphs give for an event
(``?claim kz:asserts ?g . GRAPH ?g { ?event kz:startDate ?d }``) and the network draws computed
``kz:conflictsWith`` edges; both are empty until the build writes them.

This module holds the blueprint and its URLs; the views are drawn in :mod:`.charts` (timeline,
figures, network), :mod:`.geography` (the map) and :mod:`.catalogue` (search, browse, ontology),
with what they share in :mod:`.view_common`.
"""

from __future__ import annotations

from flask import Blueprint

from .catalogue import browse, ontology, search
from .charts import figures, network, timeline
from .geography import place_map

bp = Blueprint("views", __name__)
# One blueprint for all views (their endpoints are views.<function>, as templates' url_for name
# them); each is drawn in the module of its concern.
bp.add_url_rule("/timeline", view_func=timeline)
bp.add_url_rule("/figures", view_func=figures)
bp.add_url_rule("/network", view_func=network)
bp.add_url_rule("/map", view_func=place_map)
bp.add_url_rule("/search", view_func=search)
bp.add_url_rule("/browse", view_func=browse)
bp.add_url_rule("/ontology", view_func=ontology)
