// The chart view: numbers in the result as bars, a line or dots, in SVG. The x axis is time when
// the result has a date column (e.g. death tolls by claim date), else one bar group per row,
// labelled by the row's first text column. Every numeric column is a series. A row whose text says
// "retracted" is drawn hollow, so a retracted figure is visible as such.
(function () {
  "use strict";
  if (typeof KzkgViews === "undefined") return;
  var V = KzkgViews;
  var TYPES = ["bar", "line", "dot"];

  function Chart(yasr) { this.yasr = yasr; }
  Chart.prototype.priority = 5;  // below the table: never YASR's own fallback choice
  Chart.prototype.label = "Chart";
  Chart.prototype.getIcon = function () { return undefined; };

  /** Something to draw: a numeric column. */
  Chart.prototype.canHandleResults = function () {
    var table = V.analyse(this.yasr);
    return !!table && !table.graph && table.of("number").length > 0;
  };

  /**
   * Chosen automatically when every column has a role: numbers as series, one label column, IRIs
   * as the links of the marks (e.g. a state, its name and its claim count).
   */
  Chart.prototype.fits = function () {
    var table = V.analyse(this.yasr);
    if (!table || table.graph || !table.rows.length) return false;
    var numbers = table.of("number").length, text = table.of("text").length;
    var others = table.vars.filter(function (v) { return ["number", "text", "iri", null].indexOf(table.kinds[v]) < 0; });
    return numbers > 0 && text <= 1 && others.length === 0;
  };

  /**
   * The name of a row's slot on the x axis: the text column right after its first resource
   * (?state ?name), else that resource's local name, else the row's first text.
   */
  function slotLabel(table, row) {
    var iri = table.of("iri")[0];
    if (iri && row[iri]) {
      var next = table.vars[table.vars.indexOf(iri) + 1];
      if (next && table.kinds[next] === "text" && row[next]) return row[next].value;
      var name = V.shortName(row[iri].value);
      return name.slice(name.indexOf(":") + 1);
    }
    return V.rowLabel(table, row);
  }

  Chart.prototype.draw = function (persistent) {
    var self = this;
    var table = V.analyse(this.yasr);
    var el = this.yasr.resultsEl;
    var wrap = document.createElement("div");
    wrap.className = "kzkg-view kzkg-chart";
    el.appendChild(wrap);

    var dates = table.of("date");
    var series = table.of("number");
    // time runs along x when most rows with a number also have a date; else one slot per row
    var numeric = table.rows.filter(function (row) { return series.some(function (s) { return row[s]; }); });
    var dated = dates.length ? numeric.filter(function (row) { return row[dates[0]] && V.parseDate(row[dates[0]]); }) : [];
    var timeAxis = dated.length > 0 && dated.length * 2 >= numeric.length;
    var type = this.yasr.kzkgChartType || (persistent && persistent.type) || (timeAxis ? "dot" : "bar");
    wrap.dataset.type = type;

    var controls = document.createElement("div");
    controls.className = "kzkg-view-controls";
    var picker = document.createElement("select");
    picker.setAttribute("aria-label", "Chart type");
    picker.className = "kzkg-chart-type";
    TYPES.forEach(function (t) {
      var option = document.createElement("option");
      option.value = t; option.textContent = t === "dot" ? "dots" : t;
      option.selected = t === type;
      picker.appendChild(option);
    });
    picker.addEventListener("change", function () {
      self.yasr.kzkgChartType = null;
      self.yasr.storePluginConfig("kzkgChart", { type: picker.value });
      while (el.firstChild) el.firstChild.remove();
      self.draw({ type: picker.value });
    });
    controls.appendChild(document.createTextNode("Draw as "));
    controls.appendChild(picker);
    wrap.appendChild(controls);

    // the marks: one per row and series with a value (and, on a time axis, a date)
    var xOf = timeAxis ? function (row) { var r = row[dates[0]] && V.parseDate(row[dates[0]]); return r ? r[0] : null; } : null;
    var rows = table.rows.filter(function (row) {
      return series.some(function (s) { return row[s]; }) && (!timeAxis || xOf(row) !== null);
    });
    var left = table.rows.length - rows.length;
    V.note(wrap, (timeAxis ? "?" + series.join(", ?") + " by ?" + dates[0] : "?" + series.join(", ?") + " per row") +
      (left ? " · " + left + " row(s) without " + (timeAxis ? "a date or a number" : "a number") + " not drawn" : ""));
    if (!rows.length) return;

    var values = [];
    rows.forEach(function (row) { series.forEach(function (s) { if (row[s]) values.push(parseFloat(row[s].value)); }); });
    var lo = Math.min(0, Math.min.apply(null, values)), hi = Math.max(0, Math.max.apply(null, values));
    hi += (hi - lo) * 0.08;  // room for the value written above the highest mark
    var ticks = V.niceTicks(lo, hi, 6);
    lo = Math.min(lo, ticks[0]); hi = Math.max(hi, ticks[ticks.length - 1]);

    var width = Math.max(320, Math.min(1100, wrap.clientWidth || 800));
    var height = 380;
    var margin = { top: 16, right: 24, bottom: timeAxis ? 40 : 110, left: timeAxis ? 64 : 100 };
    var plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom;
    var root = V.svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": "Chart of " + series.join(", ") }, wrap);
    var y = function (v) { return margin.top + plotH - (v - lo) / (hi - lo) * plotH; };

    var axes = V.svg("g", { "class": "axis" }, root);
    ticks.forEach(function (t) {
      V.svg("line", { x1: margin.left, x2: margin.left + plotW, y1: y(t), y2: y(t), "class": "grid" }, axes);
      V.svgText(String(t), { x: margin.left - 6, y: y(t) + 4, "text-anchor": "end" }, axes);
    });
    V.svg("line", { x1: margin.left, x2: margin.left + plotW, y1: y(0), y2: y(0), "class": "baseline" }, axes);

    var x, band = 0;
    if (timeAxis) {
      var xs = rows.map(xOf);
      var t0 = Math.min.apply(null, xs), t1 = Math.max.apply(null, xs);
      var pad = Math.max((t1 - t0) * 0.05, 86400000 / 2);
      t0 -= pad; t1 += pad;
      x = function (row) { return margin.left + (xOf(row) - t0) / (t1 - t0) * plotW; };
      V.timeTicks(t0, t1, Math.max(2, Math.floor(plotW / 90))).forEach(function (tick) {
        var tx = margin.left + (tick[0] - t0) / (t1 - t0) * plotW;
        V.svg("line", { x1: tx, x2: tx, y1: margin.top + plotH, y2: margin.top + plotH + 5 }, axes);
        V.svgText(tick[1], { x: tx, y: margin.top + plotH + 20, "text-anchor": "middle" }, axes);
      });
    } else {
      band = plotW / rows.length;
      x = function (row, i) { return margin.left + band * (i + 0.5); };
      if (band >= 9) {
        rows.forEach(function (row, i) {
          var label = slotLabel(table, row);
          V.svgText(label.length > 24 ? label.slice(0, 23) + "…" : label, {
            x: 0, y: 0, "text-anchor": "end",
            transform: "translate(" + x(row, i) + "," + (margin.top + plotH + 10) + ") rotate(-40)"
          }, axes);
        });
      }
    }

    var marks = V.svg("g", { "class": "marks" }, root);
    series.forEach(function (s, si) {
      var colour = V.palette[si % V.palette.length];
      var points = [];
      rows.forEach(function (row, i) {
        if (!row[s]) return;
        var value = parseFloat(row[s].value);
        var cx = x(row, i), cy = y(value);
        var retracted = table.vars.some(function (v) { return row[v] && row[v].type !== "uri" && /\bretracted\b/i.test(row[v].value); });
        var group = V.markGroup(marks, table, row, "mark" + (retracted ? " retracted" : ""));
        group.setAttribute("data-series", s);
        group.setAttribute("data-value", String(value));
        if (type === "bar") {
          var bw = Math.max(2, Math.min(60, (band || 24) * 0.8 / series.length));
          var bx = cx - bw * series.length / 2 + bw * si;
          V.svg("rect", { x: bx, y: Math.min(cy, y(0)), width: bw, height: Math.max(1, Math.abs(y(0) - cy)),
            fill: retracted ? "none" : colour, stroke: colour, "class": "bar" }, group);
        } else {
          points.push([cx, cy]);
          V.svg("circle", { cx: cx, cy: cy, r: 5, fill: retracted ? "#fff" : colour, stroke: colour,
            "stroke-width": 2, "class": "point" }, group);
        }
        if (timeAxis ? rows.length <= 40 : band / (type === "bar" ? series.length : 1) >= 16) {
          V.svgText(String(value), { x: cx + (type === "bar" ? 0 : 8), y: cy - 7, "text-anchor": type === "bar" ? "middle" : "start",
            "class": "value" }, group);
        }
      });
      if (type === "line" && points.length > 1) {
        var sorted = points.slice().sort(function (a, b) { return a[0] - b[0]; });
        var line = V.svg("polyline", { points: sorted.map(function (p) { return p.join(","); }).join(" "), fill: "none",
          stroke: colour, "stroke-width": 2, "class": "line" });
        marks.insertBefore(line, marks.firstChild);  // under the points
      }
    });
    if (series.length > 1) {
      var legend = document.createElement("p");
      legend.className = "kzkg-legend";
      series.forEach(function (s, si) {
        var item = document.createElement("span");
        item.innerHTML = "<i style=\"background:" + V.palette[si % V.palette.length] + "\"></i>";
        item.appendChild(document.createTextNode("?" + s));
        legend.appendChild(item);
      });
      wrap.appendChild(legend);
    }
  };

  V.register("kzkgChart", Chart);
})();
