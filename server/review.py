"""The review page for `kzkg extract`'s drafts (issue #13): accept, edit or reject each draft.

Registered only when the ``REVIEW`` setting names a data folder (``kzkg serve --review``, loopback
only); the public endpoint never has it. It writes to that folder: every save rewrites the YAML
atomically (only if the file is unchanged since it was read) and re-runs the corpus checks, whose
lines for this article come back to the page. Posts must be ``application/json``: a cross-site
form cannot send that without a CORS preflight, which this blueprint never grants.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from kzkg.atomic import FileChangedError, atomic_write_text
from kzkg.corpus import CLAIM_STATUSES, ENTITY_TYPES, QUALIFIERS, QUANTITY_KINDS, SLUG
from kzkg.ingest import IngestError, load_corpus, ordered_claim
from kzkg.map import locate, map_corpus
from kzkg.pipeline import default_ontology_dir
from kzkg.validate import check_references, load_turtle

bp = Blueprint("review", __name__, url_prefix="/review")

HEADER = (
    "# Annotations of article {article}. Entries with `draft: true` were proposed by `kzkg extract` and\n"
    "# are refused by validate and build until a reviewer accepts them (`kzkg serve --review`).\n"
)
LIST_FIELDS = ("claimed_by", "via", "about", "contradicts", "corroborates")
TEXT_FIELDS = (
    "label",
    "date",
    "date_text",
    "stated_in",
    "quantity_kind",
    "qualifier",
    "quantity_text",
    "unit",
    "status",
    "polarity",
    "kind",
)


def _dump(data: Any) -> str:
    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data) -> bool:
            return True

    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=110)


def data_dir() -> Path:
    return Path(current_app.config["REVIEW"])


@bp.before_request
def loopback_only() -> None:
    """Review writes the curated data: only a person at this machine may use it."""
    try:
        if not ipaddress.ip_address(request.remote_addr or "").is_loopback:
            abort(403)
    except ValueError:
        abort(403)
    if request.method == "POST" and not request.is_json:
        abort(415)


def _article_id(article: str) -> str:
    if not re.fullmatch(r"[0-9]{3,}", article):
        abort(404)
    return article


def _read(path: Path) -> tuple[Any, str | None]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        return yaml.safe_load(text) if text else None, hashlib.sha256(
            text.encode("utf-8")
        ).hexdigest() if text else None
    except yaml.YAMLError as broken:
        abort(Response(f"{path}: not valid YAML: {broken}\n", status=409, mimetype="text/plain"))


def _annotations(article: str) -> tuple[Path, dict, str | None]:
    path = data_dir() / "annotations" / f"{article}.yaml"
    if not path.is_file():
        abort(404)
    content, digest = _read(path)
    if not isinstance(content, dict):
        abort(Response(f"{path}: not an annotation file\n", status=409, mimetype="text/plain"))
    content.setdefault("claims", [])
    return path, content, digest


def _proposals(article: str) -> tuple[Path, dict, str | None]:
    path = data_dir() / "drafts" / f"{article}.yaml"
    content, digest = _read(path)
    content = content if isinstance(content, dict) else {"article": article, "entities": []}
    content.setdefault("entities", [])
    return path, content, digest


def _write(path: Path, text: str, digest: str | None) -> None:
    try:
        atomic_write_text(path, text, digest)
    except FileChangedError as changed:
        abort(Response(f"{changed}\n", status=409, mimetype="text/plain"))


def problems_for(article: str) -> list[str]:
    """The corpus checks (ingest, references, quotes located) as lines about this article.

    The SHACL shapes are left to `kzkg validate` / `kzkg build`: they check the whole graph and
    take longer than a save should wait; everything a reviewer edits is checked here.
    """
    folder = data_dir()
    try:
        corpus = load_corpus(folder)
        _, mapping = map_corpus(corpus, load_turtle(default_ontology_dir(folder) / "kzkg.ttl"))
    except IngestError as unreadable:
        return [str(unreadable)]
    lines = [str(p) for p in corpus.problems + check_references(corpus) + mapping]
    mine = (f"annotations/{article}.yaml", f"entities/{article}.yaml", f"article {article}")
    return [line for line in lines if any(m in line for m in mine)]


def _state(article: str, problems: list[str] | None = None) -> dict:
    corpus_text = _text(article)
    _, content, _ = _annotations(article)
    claims = []
    for claim in content["claims"]:
        # the annotation format's evidence: `quote: text`, or `quotes:` of texts and {quote, occurrence} maps
        items = [claim["quote"]] if isinstance(claim.get("quote"), str) else list(claim.get("quotes") or [])
        first = next((q for q in items if isinstance(q, str | dict)), None)
        if isinstance(first, dict):
            quote, occurrence = first.get("quote"), int(first.get("occurrence", 1))
        else:
            quote, occurrence = first, 1
        span = locate(corpus_text, quote, occurrence) if isinstance(quote, str) else None
        claims.append({"claim": claim, "start": span[0] if span else None, "end": span[1] if span else None})
    _, proposals, _ = _proposals(article)
    return {
        "article": article,
        "text": corpus_text,
        "claims": claims,
        "entities": proposals["entities"],
        "problems": problems_for(article) if problems is None else problems,
        "drafts": sum(1 for c in content["claims"] if c.get("draft")),
        "choices": {
            "status": CLAIM_STATUSES,
            "quantity_kind": QUANTITY_KINDS,
            "qualifier": QUALIFIERS,
            "type": ENTITY_TYPES,
        },
    }


def _text(article: str) -> str:
    index, _ = _read(data_dir() / "articles.yaml")
    for entry in (index or {}).get("articles", []):
        if str(entry.get("id")) == article:
            with (data_dir() / entry["file"]).open(encoding="utf-8", newline="") as handle:
                return handle.read()
    abort(404)


@bp.get("/")
def listing() -> str:
    folder = data_dir() / "annotations"
    articles = []
    for path in sorted(folder.glob("*.yaml")):
        content, _ = _read(path)
        drafts = sum(1 for c in (content or {}).get("claims") or [] if isinstance(c, dict) and c.get("draft"))
        articles.append((path.stem, drafts))
    return render_template("review_index.html", articles=articles)


@bp.get("/<article>")
def page(article: str) -> str:
    return render_template("review.html", article=_article_id(article))


@bp.get("/api/<article>")
def state(article: str) -> Response:
    return jsonify(_state(_article_id(article)))


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,\s]+", str(value or ""))
    return [item.strip() for item in items if str(item).strip()]


def _apply(claim: dict, fields: dict) -> None:
    """Reviewer's edits: lists of ids, plain fields, a figure; empty removes the key."""
    for key in LIST_FIELDS:
        if key in fields:
            ids = _ids(fields[key])
            if ids:
                claim[key] = ids
            else:
                claim.pop(key, None)
    for key in TEXT_FIELDS:
        if key in fields:
            value = str(fields[key] or "").strip()
            if value:
                claim[key] = value
            else:
                claim.pop(key, None)
    if "quantity" in fields:
        raw = str(fields["quantity"] or "").strip().replace(",", "")
        if not raw:
            claim.pop("quantity", None)
        else:
            try:
                number = float(raw)
            except ValueError:
                abort(Response(f"quantity {raw!r} is not a number\n", status=400, mimetype="text/plain"))
            claim["quantity"] = int(number) if number.is_integer() else number


def _save_claims(article: str, path: Path, content: dict, digest: str | None) -> Response:
    content["claims"] = [ordered_claim(c) for c in content["claims"]]
    _write(path, HEADER.format(article=article) + _dump(content), digest)
    return jsonify(_state(article))


@bp.post("/api/<article>/claim/<claim_id>")
def edit_claim(article: str, claim_id: str) -> Response:
    article = _article_id(article)
    path, content, digest = _annotations(article)
    body = request.get_json(silent=True) or {}
    action = body.get("action")
    index = next((i for i, c in enumerate(content["claims"]) if c.get("id") == claim_id), None)
    if index is None:
        abort(404)
    if action == "reject":
        del content["claims"][index]
    elif action in ("save", "accept"):
        claim = content["claims"][index]
        _apply(claim, body.get("fields") or {})
        if action == "accept":
            claim.pop("draft", None)
    else:
        abort(Response("action must be accept, save or reject\n", status=400, mimetype="text/plain"))
    return _save_claims(article, path, content, digest)


@bp.post("/api/<article>/claim")
def add_claim(article: str) -> Response:
    """A claim the extractor missed, from a passage the reviewer selected: quoted by offsets."""
    article = _article_id(article)
    text = _text(article)
    body = request.get_json(silent=True) or {}
    try:
        start, end = int(body["start"]), int(body["end"])
    except (KeyError, TypeError, ValueError):
        abort(Response("start and end (character offsets) are required\n", status=400, mimetype="text/plain"))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not 0 <= start < end <= len(text):
        abort(Response("the selection is empty or outside the article\n", status=400, mimetype="text/plain"))
    quote = text[start:end]
    path, content, digest = _annotations(article)
    words = re.findall(r"[a-z0-9]+", quote.lower())[:5]
    base = f"{article}-added-{'-'.join(words)}".strip("-")
    claim_id, n = base, 2
    while any(c.get("id") == claim_id for c in content["claims"]):
        claim_id, n = f"{base}-{n}", n + 1
    occurrence = 1 + sum(
        1 for m in re.finditer(r"\s+".join(re.escape(w) for w in quote.split()), text) if m.start() < start
    )
    claim = {
        "id": claim_id,
        "draft": True,
        "label": re.sub(r"\s+", " ", quote)[:160],
        "date": "unknown",
        # a later occurrence of the same words is named as the annotation format names it
        "quotes": [{"quote": quote, "occurrence": occurrence}] if occurrence > 1 else None,
        "quote": quote if occurrence == 1 else None,
    }
    claim = {key: value for key, value in claim.items() if value is not None}
    _apply(claim, body.get("fields") or {})
    content["claims"].append(claim)
    return _save_claims(article, path, content, digest)


@bp.post("/api/<article>/entity/<entity_id>")
def review_entity(article: str, entity_id: str) -> Response:
    """Approve a proposed entity into entities/NNN.yaml (as edited), or reject it."""
    article = _article_id(article)
    path, proposals, digest = _proposals(article)
    body = request.get_json(silent=True) or {}
    index = next((i for i, e in enumerate(proposals["entities"]) if e.get("id") == entity_id), None)
    if index is None:
        abort(404)
    entity = proposals["entities"].pop(index)
    if body.get("action") == "approve":
        fields = body.get("fields") or {}
        new_id = str(fields.get("id") or entity["id"]).strip()
        kind = str(fields.get("type") or entity["type"]).strip()
        if not SLUG.match(new_id) or kind not in ENTITY_TYPES:
            abort(
                Response(
                    f"entity {new_id!r} of type {kind!r}: the id must be a lowercase slug and the type one of "
                    f"{', '.join(ENTITY_TYPES)}\n",
                    status=400,
                    mimetype="text/plain",
                )
            )
        approved: dict[str, str | list[str]] = {
            "id": new_id,
            "type": kind,
            "label": str(fields.get("label") or entity["label"]).strip(),
        }
        aliases = [a.strip() for a in str(fields.get("aliases") or "").split(";") if a.strip()]
        if aliases:
            approved["aliases"] = aliases
        approved["note"] = f"proposed by kzkg extract for article {article}; approved in review"
        registry = data_dir() / "entities" / f"{article}.yaml"
        existing, registry_digest = _read(registry)
        entities = existing if isinstance(existing, list) else []
        entities.append(approved)
        _write(registry, f"# Entities introduced by article {article}.\n" + _dump(entities), registry_digest)
        if new_id != entity_id:
            _rename(article, entity_id, new_id)
    elif body.get("action") != "reject":
        abort(Response("action must be approve or reject\n", status=400, mimetype="text/plain"))
    _write(path, _dump(proposals), digest)
    return jsonify(_state(article))


def _rename(article: str, old: str, new: str) -> None:
    """Claims of the article that named the proposal by its proposed id now name the approved one."""
    path, content, digest = _annotations(article)
    for claim in content["claims"]:
        for key in (*LIST_FIELDS,):
            if isinstance(claim.get(key), list):
                claim[key] = [new if item == old else item for item in claim[key]]
        if claim.get("stated_in") == old:
            claim["stated_in"] = new
    content["claims"] = [ordered_claim(c) for c in content["claims"]]
    _write(path, HEADER.format(article=article) + _dump(content), digest)


@bp.get("/api/search")
def search() -> Response:
    """Label search over the registry and the claims, for about / contradicts / corroborates."""
    words = [w for w in re.findall(r"\w+", request.args.get("q", "").lower()) if w]
    if not words:
        return jsonify([])
    try:
        corpus = load_corpus(data_dir())
    except IngestError as unreadable:
        return jsonify({"error": str(unreadable)})
    found = []
    for kind, items in (
        ("entity", corpus.entities.values()),
        ("event", corpus.events.values()),
        ("claim", corpus.claims.values()),
    ):
        for item in items:
            names = " ".join([item.id, item.label, *getattr(item, "aliases", [])]).lower()
            if all(w in names for w in words):
                found.append({"id": item.id, "label": item.label, "kind": kind})
    return jsonify(found[:30])
