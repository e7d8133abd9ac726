// Article pages: when the address names an annotation (#<annotation>), light up every run of text
// that belongs to that quote (overlapping quotes are cut into runs, so a quote can be several).
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".hl.target").forEach(function (el) { el.classList.remove("target"); });
    var id = decodeURIComponent(location.hash.slice(1));
    var anchor = id && document.getElementById(id);
    if (!anchor || !anchor.dataset.index) return;
    document.querySelectorAll(".hl.q" + anchor.dataset.index).forEach(function (el) { el.classList.add("target"); });
  }
  window.addEventListener("hashchange", mark);
  mark();
})();
