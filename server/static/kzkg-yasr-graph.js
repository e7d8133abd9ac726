// The graph view: resources as nodes and the links between them as edges, laid out by cytoscape
// (npm, served by this server). From a CONSTRUCT or DESCRIBE result every triple whose object is
// a resource is an edge named by its predicate, and rdfs:label / skos:prefLabel name the nodes.
// From a SELECT result the first resource column of each row links to every other resource column
// of the row, the edge named by that column; a text column right after a resource column names it
// (?claim ?claimLabel). Clicking a node opens its page.
(function () {
  "use strict";
  if (typeof KzkgViews === "undefined") return;
  var V = KzkgViews;
  var MAX_NODES = 400;
  var LABELS = ["http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel"];
  var TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

  /** Nodes and edges of the result: {nodes: {iri: label}, edges: [[from, to, name]]}. */
  function network(table) {
    var nodes = {}, edges = [];
    var node = function (term) {
      if (!(term.value in nodes)) nodes[term.value] = term.type === "bnode" ? "_:" + term.value : V.shortName(term.value);
      return term.value;
    };
    if (table.graph) {
      var labels = {};
      table.rows.forEach(function (row) {
        var s = row.subject, p = row.predicate, o = row.object;
        if (!s || !p || !o) return;
        if (o.type === "uri" || o.type === "bnode") {
          if (p.value === TYPE) return;  // classes would be hubs linking everything
          edges.push([node(s), node(o), V.shortName(p.value)]);
        } else if (LABELS.indexOf(p.value) >= 0) {
          labels[s.value] = o.value;
        }
      });
      Object.keys(labels).forEach(function (iri) { if (iri in nodes) nodes[iri] = labels[iri]; });
    } else {
      var iris = table.vars.filter(function (v) { return table.kinds[v] === "iri" || table.kinds[v] === "bnode"; });
      var namer = {};
      iris.forEach(function (v) {
        var next = table.vars[table.vars.indexOf(v) + 1];
        if (next && table.kinds[next] === "text") namer[v] = next;
      });
      table.rows.forEach(function (row) {
        var present = iris.filter(function (v) { return row[v]; });
        present.forEach(function (v) {
          node(row[v]);
          if (namer[v] && row[namer[v]]) nodes[row[v].value] = row[namer[v]].value;
        });
        for (var i = 1; i < present.length; i++) {
          if (row[present[0]].value !== row[present[i]].value) edges.push([row[present[0]].value, row[present[i]].value, present[i]]);
        }
      });
    }
    return { nodes: nodes, edges: edges };
  }

  function Graph(yasr) { this.yasr = yasr; }
  Graph.prototype.priority = 5;
  Graph.prototype.label = "Graph";
  Graph.prototype.getIcon = function () { return undefined; };
  Graph.prototype.canHandleResults = function () {
    var table = V.analyse(this.yasr);
    return !!table && typeof cytoscape !== "undefined" && network(table).edges.length > 0;
  };
  /** Chosen automatically for graphs (CONSTRUCT, DESCRIBE) and for rows of resources only. */
  Graph.prototype.fits = function () {
    var table = V.analyse(this.yasr);
    if (!table) return false;
    return table.graph || table.vars.every(function (v) { return table.kinds[v] === "iri" || table.kinds[v] === null; });
  };

  Graph.prototype.destroy = function () {
    if (this.cy) { this.cy.destroy(); this.cy = null; }
  };

  Graph.prototype.draw = function () {
    this.destroy();
    var table = V.analyse(this.yasr);
    var net = network(table);
    var wrap = document.createElement("div");
    wrap.className = "kzkg-view kzkg-graph";
    this.yasr.resultsEl.appendChild(wrap);
    var ids = Object.keys(net.nodes);
    var kept = ids.slice(0, MAX_NODES);
    var keep = {};
    kept.forEach(function (id) { keep[id] = true; });
    var seen = {};
    var edges = net.edges.filter(function (e) {
      var key = e.join("\u0000");
      if (seen[key] || !keep[e[0]] || !keep[e[1]]) return false;
      seen[key] = true;
      return true;
    });
    V.note(wrap, kept.length + " node(s), " + edges.length + " edge(s)" +
      (ids.length > kept.length ? " · only the first " + MAX_NODES + " of " + ids.length + " nodes drawn" : "") +
      " · click a node to open it");
    var canvas = document.createElement("div");
    canvas.className = "kzkg-graph-canvas";
    wrap.appendChild(canvas);

    var elements = kept.map(function (id) { return { data: { id: id, label: net.nodes[id] } }; });
    edges.forEach(function (e, i) { elements.push({ data: { id: "e" + i, source: e[0], target: e[1], label: e[2] } }); });
    var cy = cytoscape({
      container: canvas,
      elements: elements,
      layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: function () { return 8000; } },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "ellipsis", "text-max-width": 160,
          "background-color": "#1f5fa8", width: 14, height: 14, color: "#1d2430" } },
        { selector: "edge", style: { label: "data(label)", "font-size": 8, color: "#5b6472", width: 1.5, "line-color": "#9aa5b5",
          "target-arrow-color": "#9aa5b5", "target-arrow-shape": "triangle", "curve-style": "bezier",
          "text-rotation": "autorotate" } },
        { selector: "edge[label = 'kz:contradicts']", style: { "line-color": "#c0392b", "target-arrow-color": "#c0392b" } },
        { selector: "edge[label = 'kz:corroborates']", style: { "line-color": "#2e8b57", "target-arrow-color": "#2e8b57" } }
      ]
    });
    cy.on("tap", "node", function (event) {
      var id = event.target.id();
      if (/^https?:/.test(id)) window.location.href = V.localHref(id);
    });
    canvas.kzkgCy = cy;  // for the browser tests and the console
    this.cy = cy;
  };

  V.register("kzkgGraph", Graph);
})();
