// The review page of `kzkg serve --review`: the article with every draft highlighted, one card per
// claim (accept / save / reject), proposals to approve, a passage selection to add a claim.
// Every change is a JSON post; the answer is the new state, re-rendered whole.
(function () {
  "use strict";
  const cfg = window.KZKG_REVIEW;
  const $ = (id) => document.getElementById(id);
  const FIELDS = ["label", "claimed_by", "via", "date", "date_text", "stated_in", "about", "quantity", "quantity_kind",
    "qualifier", "quantity_text", "unit", "status", "polarity", "kind", "contradicts", "corroborates"];
  const IDS = new Set(["claimed_by", "via", "about", "contradicts", "corroborates"]);
  let state = null;
  let lastIdField = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value; else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) node.append(child);
    return node;
  }

  async function call(url, body) {
    $("review-status").textContent = "saving…";
    const response = await fetch(url, body ? {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)} : {});
    if (!response.ok) {
      $("review-status").textContent = "error: " + (await response.text());
      return;
    }
    render(await response.json());
    $("review-status").textContent = body ? "saved" : "";
  }

  function renderText() {
    const text = state.text;
    const spans = state.claims.filter((c) => c.start !== null).sort((a, b) => a.start - b.start);
    const box = $("review-text");
    box.replaceChildren();
    let at = 0;
    for (const item of spans) {
      if (item.start < at) continue; // overlapping quotes: the first one is highlighted
      if (item.start > at) box.append(el("span", {"data-start": at}, text.slice(at, item.start)));
      const mark = el("mark", {class: item.claim.draft ? "draft" : "accepted", "data-start": item.start,
        "data-claim": item.claim.id, title: item.claim.id}, text.slice(item.start, item.end));
      mark.addEventListener("click", () => document.getElementById("card-" + item.claim.id).scrollIntoView());
      box.append(mark);
      at = item.end;
    }
    if (at < text.length) box.append(el("span", {"data-start": at}, text.slice(at)));
  }

  function input(name, value) {
    const choices = state.choices[name];
    let field;
    if (choices) {
      field = el("select", {name});
      field.append(el("option", {value: ""}, ""));
      for (const choice of choices) field.append(el("option", {value: choice, selected: choice === value}, choice));
    } else {
      field = el("input", {name, value: Array.isArray(value) ? value.join(", ") : (value ?? "")});
    }
    if (IDS.has(name)) field.addEventListener("focus", () => { lastIdField = field; });
    return el("label", {}, name, field);
  }

  function fieldsOf(form) {
    const fields = {};
    for (const name of FIELDS) if (form.elements[name]) fields[name] = form.elements[name].value;
    return fields;
  }

  function renderClaims() {
    const box = $("review-claims");
    box.replaceChildren();
    for (const item of state.claims) {
      const claim = item.claim;
      const form = el("form", {class: "card" + (claim.draft ? " draft" : " accepted"), id: "card-" + claim.id});
      form.append(el("strong", {}, claim.id + (claim.draft ? " (draft)" : " (accepted)")),
        el("blockquote", {}, claim.quote || (claim.quotes || []).join(" … ")));
      for (const name of FIELDS) form.append(input(name, claim[name]));
      if (claim.asserts) form.append(el("pre", {}, "asserts: " + JSON.stringify(claim.asserts)));
      const post = (action) => (event) => {
        event.preventDefault();
        call(cfg.api + "/claim/" + encodeURIComponent(claim.id), {action, fields: fieldsOf(form)});
      };
      form.append(el("button", {type: "submit", name: "accept", onclick: post("accept")}, "Accept"), " ",
        el("button", {type: "button", name: "save", onclick: post("save")}, "Save"), " ",
        el("button", {type: "button", name: "reject", onclick: post("reject")}, "Reject"));
      box.append(form);
    }
  }

  function renderEntities() {
    const box = $("review-entities");
    box.replaceChildren();
    if (!state.entities.length) box.append(el("p", {}, "none"));
    for (const entity of state.entities) {
      const form = el("form", {class: "card", id: "entity-" + entity.id});
      form.append(el("strong", {}, entity.id), input("id", entity.id), input("type", entity.type),
        input("label", entity.label), input("aliases", ""));
      const post = (action) => (event) => {
        event.preventDefault();
        const fields = {};
        for (const name of ["id", "type", "label", "aliases"]) fields[name] = form.elements[name].value;
        call(cfg.api + "/entity/" + encodeURIComponent(entity.id), {action, fields});
      };
      form.append(el("button", {type: "submit", name: "approve", onclick: post("approve")}, "Approve"), " ",
        el("button", {type: "button", name: "reject", onclick: post("reject")}, "Reject"));
      box.append(form);
    }
  }

  function render(next) {
    state = next;
    renderText();
    renderClaims();
    renderEntities();
    const problems = $("review-problems");
    problems.replaceChildren(...(state.problems.length ? state.problems.map((p) => el("li", {}, p))
      : [el("li", {class: "ok", style: "color:#080"}, "no problems")]));
    document.body.dataset.drafts = String(state.drafts);
    document.body.dataset.problems = String(state.problems.length);
  }

  function offsetOf(node, offset) {
    // the character offset in the article of a point inside the rendered text
    const holder = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    const start = holder.closest("[data-start]");
    return start ? Number(start.dataset.start) + (node.nodeType === Node.TEXT_NODE ? offset : 0) : null;
  }

  $("review-add").addEventListener("click", () => {
    const selection = window.getSelection();
    if (!selection.rangeCount) return;
    const range = selection.getRangeAt(0);
    const start = offsetOf(range.startContainer, range.startOffset);
    const end = offsetOf(range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) {
      $("review-status").textContent = "select a passage of the article first";
      return;
    }
    call(cfg.api + "/claim", {start, end});
  });

  let timer = null;
  $("review-search").addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch(cfg.search + "?q=" + encodeURIComponent(event.target.value));
      const results = await response.json();
      $("review-search-results").replaceChildren(...(Array.isArray(results) ? results : []).map((r) => {
        const item = el("li", {"data-id": r.id}, `${r.id} — ${r.label} (${r.kind})`);
        item.addEventListener("click", () => {
          if (!lastIdField) return;
          const ids = lastIdField.value.split(/[,\s]+/).filter(Boolean);
          if (!ids.includes(r.id)) ids.push(r.id);
          lastIdField.value = ids.join(", ");
        });
        return item;
      }));
    }, 200);
  });

  call(cfg.api);
})();
