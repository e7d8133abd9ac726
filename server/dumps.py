"""The release's dump files: listed at /dumps, downloaded from /dumps/<name>.

The files are whatever the build's export wrote into ``release.dumps_path`` (kzkg.ttl, .nt, .nq,
.trig, .jsonld, void.ttl); nothing is generated here. A release never changes once published, so
its build id is a correct ETag for every file in it, and clients revalidate cheaply (304) after a
short max-age instead of re-downloading a dump that a rebuild did not change.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from kzkg.store import NoReleaseError, Release

from .media import BY_NAME

bp = Blueprint("dumps", __name__)

VOID_FILE = "void.ttl"
# (The VoID description is also served, negotiated, by the SPARQL blueprint at /.well-known/void.)
# Seconds a client may reuse a dump or the listing before revalidating with the ETag: short,
# because the same URL gets new content when a rebuild is published.
MAX_AGE = 300
# Formats whose names in media.py differ from their file extensions.
EXTENSION_NAMES = {"jsonld": "jsonld", "json": "jsonld", "rdf": "rdfxml", "owl": "rdfxml", "xml": "rdfxml"}
SCOPES = {
    "asserted": "curated statements only",
    "inferred": "OWL 2 RL inferences only",
}
FORMAT_LABELS = {
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/n-quads": "N-Quads (named graphs kept)",
    "application/trig": "TriG (named graphs kept)",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF/XML",
}


@dataclass(frozen=True)
class DumpFile:
    """One downloadable file: its name, size and the media type it is served with."""

    name: str
    size: int
    media_type: str

    @property
    def label(self) -> str:
        if self.name == VOID_FILE:
            return "VoID description of the dataset (Turtle)"
        return FORMAT_LABELS.get(self.media_type, self.media_type)

    @property
    def contents(self) -> str:
        """What part of the graph the file holds, from the export's naming (kzkg[-asserted|-inferred].*)."""
        if self.name == VOID_FILE:
            return "dataset description"
        stem = self.name.split(".", 1)[0]
        return SCOPES.get(stem.rsplit("-", 1)[-1] if "-" in stem else "", "the whole graph")

    @property
    def order(self) -> tuple[int, str]:
        """Whole-graph dumps first, then asserted, inferred, anything else, and the VoID last."""
        ranks = {"the whole graph": 0, SCOPES["asserted"]: 1, SCOPES["inferred"]: 2, "dataset description": 9}
        return (ranks.get(self.contents, 5), self.name)


def media_type_for(name: str) -> str:
    """The media type of a dump, from the shared table (by extension), else from Python's guess.

    A compressed dump (``kzkg.nt.gz``) is served as the archive it is, not as what it holds: no
    Content-Encoding is set, so a client saves it rather than decoding it on the fly.
    """
    guessed, encoding = mimetypes.guess_type(name)
    if encoding is not None:
        return {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}.get(
            encoding, "application/octet-stream"
        )
    suffix = Path(name).suffix.lstrip(".").lower()
    media = BY_NAME.get(EXTENSION_NAMES.get(suffix, suffix))
    if media is not None and media.rdf is not None:
        return media.media_type
    return guessed or "application/octet-stream"


def _release() -> Release:
    """The local release of the served build: 503 before the first build; 404 on a server in front
    of a remote store that has no local copy of the build the store holds (the files are where
    that build was made, or one `kzkg build` away)."""
    try:
        served = current_app.extensions["kzkg"].served()
    except NoReleaseError as missing:
        abort(503, description=str(missing))
    if served.release is None:
        abort(
            404,
            description=f"This server answers from a remote SPARQL store (build {served.build_id or 'unknown'}) "
            f"and has no local copy of that build, so it offers no dump files.",
        )
    return served.release


def list_dumps(release: Release) -> list[DumpFile]:
    """The regular, visible files of the release's dump folder, whole graph first (none before export)."""
    folder = release.dumps_path
    if not folder.is_dir():
        return []
    files = [
        DumpFile(p.name, p.stat().st_size, media_type_for(p.name))
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".")
    ]
    return sorted(files, key=lambda f: f.order)


def _cacheable(response: Response, release: Release) -> Response:
    response.set_etag(release.build_id)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.make_conditional(request)  # updates the response in place (and returns it, typed as werkzeug's)
    return response


@bp.get("/dumps", strict_slashes=False)
def listing() -> Response:
    """The dump files with sizes and media types; JSON for clients that ask for it."""
    release = _release()
    files = list_dumps(release)
    wants_json = request.args.get("format") == "json" or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )
    if wants_json:
        response = jsonify(
            build_id=release.build_id,
            files=[
                {
                    "name": f.name,
                    "size": f.size,
                    "media_type": f.media_type,
                    "contents": f.contents,
                    "url": url_for("dumps.download", name=f.name, _external=True),
                }
                for f in files
            ],
        )
    else:
        response = Response(
            render_template(
                "dumps.html",
                files=files,
                build_id=release.build_id,
                void_present=any(f.name == VOID_FILE for f in files),
            ),
            mimetype="text/html",
        )
    response.vary.add("Accept")
    return _cacheable(response, release)


@bp.get("/dumps/<name>")
def download(name: str) -> Response:
    """One dump file, with its media type, the build id as ETag, and Range support for big files."""
    release = _release()
    known = {f.name: f for f in list_dumps(release)}
    dump = known.get(name)
    if dump is None:
        abort(404, description=f"No dump named {name!r} in release {release.build_id}.")
    response = send_from_directory(
        release.dumps_path,
        name,
        mimetype=dump.media_type,
        etag=release.build_id,
        max_age=MAX_AGE,
        conditional=True,
        as_attachment=request.args.get("download") is not None,
    )
    response.cache_control.public = True
    return response
