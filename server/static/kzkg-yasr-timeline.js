// The timeline view: one mark per row at its date, in SVG. The first date column is the start; a
// second date column is the end, so the row is drawn as a range. A vague date (xsd:gYear,
// xsd:gYearMonth) is drawn as the whole year or month it names, not as a point. Marks are packed
// into lanes so their labels do not overlap; each links to the row's first resource.
(function () {
  "use strict";
  if (typeof KzkgViews === "undefined") return;
  var V = KzkgViews;
  var LANE = 24;

  function Timeline(yasr) { this.yasr = yasr; }
  Timeline.prototype.priority = 5;
  Timeline.prototype.label = "Timeline";
  Timeline.prototype.getIcon = function () { return undefined; };

  /** Something to draw: a date column. */
  Timeline.prototype.canHandleResults = function () {
    var table = V.analyse(this.yasr);
    return !!table && !table.graph && table.of("date").length > 0;
  };

  /** Chosen automatically when the result leads with its dates (the first column is a date). */
  Timeline.prototype.fits = function () {
    var table = V.analyse(this.yasr);
    return !!table && table.rows.length > 0 && table.kinds[table.vars[0]] === "date";
  };

  /** The [start, end) of a row in ms, or null when its start is unbound. */
  function span(row, dates) {
    var first = row[dates[0]] && V.parseDate(row[dates[0]]);
    if (!first) return null;
    var last = dates[1] && row[dates[1]] && V.parseDate(row[dates[1]]);
    var end = last ? Math.max(last[1], first[1]) : first[1];
    return [first[0], end];
  }

  Timeline.prototype.draw = function () {
    var table = V.analyse(this.yasr);
    var dates = table.of("date");
    var wrap = document.createElement("div");
    wrap.className = "kzkg-view kzkg-timeline";
    this.yasr.resultsEl.appendChild(wrap);

    var items = [];
    table.rows.forEach(function (row) {
      var s = span(row, dates);
      if (s) items.push({ row: row, start: s[0], end: s[1], label: V.rowLabel(table, row) });
    });
    var left = table.rows.length - items.length;
    V.note(wrap, "?" + dates[0] + (dates[1] ? " to ?" + dates[1] : "") + " · " + items.length + " mark(s)" +
      (left ? " · " + left + " row(s) without a date not drawn" : ""));
    if (!items.length) return;

    items.sort(function (a, b) { return a.start - b.start || a.end - b.end; });
    var t0 = Math.min.apply(null, items.map(function (i) { return i.start; }));
    var t1 = Math.max.apply(null, items.map(function (i) { return i.end; }));
    var pad = Math.max((t1 - t0) * 0.03, 3600000);
    t0 -= pad; t1 += pad;

    var width = Math.max(320, Math.min(1400, wrap.clientWidth || 900));
    var margin = { top: 34, left: 12, right: 12 };
    var plotW = width - margin.left - margin.right;
    var x = function (t) { return margin.left + (t - t0) / (t1 - t0) * plotW; };

    // pack: each lane holds marks whose label ends before the next mark starts
    var laneEnds = [];
    items.forEach(function (item) {
      var x0 = x(item.start), x1 = Math.max(x(item.end), x0 + 8);
      var textEnd = x1 + 6 + Math.min(item.label.length, 40) * 6.6;
      var lane = laneEnds.findIndex(function (end) { return end < x0; });
      if (lane < 0) { lane = laneEnds.length; laneEnds.push(0); }
      laneEnds[lane] = textEnd;
      item.lane = lane; item.x0 = x0; item.x1 = x1;
    });
    var height = margin.top + laneEnds.length * LANE + 12;
    var root = V.svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
      role: "img", "aria-label": "Timeline of " + items.length + " rows" }, wrap);

    var axis = V.svg("g", { "class": "axis" }, root);
    V.timeTicks(t0, t1, Math.max(2, Math.floor(plotW / 110))).forEach(function (tick) {
      var tx = x(tick[0]);
      V.svg("line", { x1: tx, x2: tx, y1: margin.top - 8, y2: height, "class": "grid" }, axis);
      V.svgText(tick[1], { x: tx + 3, y: margin.top - 14 }, axis);
    });

    var marks = V.svg("g", { "class": "marks" }, root);
    items.forEach(function (item) {
      var group = V.markGroup(marks, table, item.row, "item");
      group.setAttribute("data-start", new Date(item.start).toISOString());
      group.setAttribute("data-end", new Date(item.end).toISOString());
      group.setAttribute("data-label", item.label);
      var y = margin.top + item.lane * LANE;
      V.svg("rect", { x: item.x0, y: y + 3, width: item.x1 - item.x0, height: LANE - 8, rx: 3,
        "class": item.end - item.start > 86400000 ? "range" : "day" }, group);
      // a label that would run off the right edge goes to the left of its mark
      var text = item.label.length > 40 ? item.label.slice(0, 39) + "…" : item.label;
      var before = item.x1 + 5 + text.length * 6.6 > width && item.x0 - 5 - text.length * 6.6 > 0;
      V.svgText(text, { x: before ? item.x0 - 5 : item.x1 + 5, y: y + LANE / 2 + 4,
        "text-anchor": before ? "end" : "start" }, group);
    });
  };

  V.register("kzkgTimeline", Timeline);
})();
