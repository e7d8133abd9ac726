// Links into long lists (issue #14). The pages fold long groups in <details> and page long lists;
// a link to a row inside a fold (#claim-…, #group-…, a position on /disagreements) should show
// that row, and one to a row on a later page (#claim-… on /id/tokayev, whose claim is on page 2)
// should get that page. Without this script the pages work as before: folds open by hand, and a
// ?claim=<id> link picks the right page on the server (kzkg_server.page_layout.page_at).
(function () {
  "use strict";

  function openFoldsAround(target) {
    var opened = false;
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS" && !el.open) {
        el.open = true;
        opened = true;
      }
    }
    return opened;
  }

  // A #claim-<id> this page does not hold: ask the server for the page of the list that does
  // (?claim=<id>; the list's own page number is dropped so the claim decides). Only where a list
  // is paged, and never twice, so a claim that is in no list ends at the server's 400 saying so.
  function askForPage(id) {
    var match = /^claim-(.+)$/.exec(id);
    var pagers = document.querySelectorAll("nav.pager[data-param]");
    var params = new URLSearchParams(location.search);
    if (!match || !pagers.length || params.has("claim")) return;
    pagers.forEach(function (pager) { params.delete(pager.dataset.param); });
    params.set("claim", match[1]);
    location.replace(location.pathname + "?" + params.toString() + location.hash);
  }

  function reveal() {
    var id;
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch (error) {
      return; // not an element's id (the query page keeps a query in its fragment, % and all)
    }
    if (!id || id.length > 300) return;
    var target = document.getElementById(id);
    if (!target) {
      askForPage(id);
      return;
    }
    if (openFoldsAround(target)) {
      // the browser scrolled (or did not) while the row was hidden: scroll now that it shows
      (target.tagName === "SPAN" && target.parentElement ? target.parentElement : target).scrollIntoView({ block: "start" });
    }
  }

  window.addEventListener("hashchange", reveal);
  // a click on a link to the fragment already in the address fires no hashchange
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[href^='#']") : null;
    if (link && link.getAttribute("href") === location.hash) setTimeout(reveal, 0);
  });
  reveal();
})();
