"""The ``kzkg`` command: a click group whose commands each call one library function.

Exit codes (a contract, as pyshacl's are): 0 success / data conforms; 1 the data has
violations (nothing was published); 2 the command could not run (unreadable input, no build yet,
another build running, a full disk, bad arguments, a malformed query, a crashed query engine).

Errors are turned into that contract in one place, :class:`KzkgGroup`: the library raises
:mod:`kzkg.errors` (each knows its file, entry, line and column), the group prints it as one line
on stderr and exits with the code for its kind. No command has its own try/except.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kzkg.errors import DataViolations, KzkgError

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2

EXIT_CODES_HELP = (
    "Exit codes: 0 success, 1 data violations (nothing published), 2 could not run "
    "(unreadable or missing input, no build yet, a build already running, a full disk, "
    "a malformed query or a crashed query engine)."
)

FAILURE_NOTE = "kzkg.failure_note"  # ctx.meta key: what a command wants said after its error line


def exit_code_for(error: BaseException) -> int:
    """The documented exit code of an expected failure: 1 for violations, 2 for everything else."""
    return EXIT_VIOLATIONS if isinstance(error, DataViolations) else EXIT_ERROR


def _expected_errors() -> tuple[type[BaseException], ...]:
    """What a command may fail with and still owe the user one line, not a traceback.

    Every library failure is a :class:`KzkgError` (link, publish and atomic-write errors
    included); OSError covers what no library call could foresee (``-o`` into a missing folder,
    a full disk while writing a dump to stdout's file).
    """
    return KzkgError, OSError


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and not isinstance(error, KzkgError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror}"
    return " ".join(str(error).split()) or type(error).__name__


class KzkgGroup(click.Group):
    """The one place where library errors become a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _expected_errors() as error:
            for line in getattr(error, "details", ()):
                click.echo(line, err=True)
            note = ctx.meta.get(FAILURE_NOTE)
            click.echo(f"error: {_one_line(error)}" + (f" ({note})" if note else ""), err=True)
            ctx.exit(exit_code_for(error))


def data_dir_option(command):
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("data"),
        show_default=True,
        envvar="KZKG_DATA_DIR",
        help="Folder with articles.yaml, articles/, entities/, events/, annotations/.",
    )(command)


def build_dir_option(command):
    return click.option(
        "--build-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("build"),
        show_default=True,
        envvar="KZKG_BUILD_DIR",
        help="Where releases are published; the served one is <build-dir>/current.",
    )(command)


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"


def sparql_client_options(command):
    """The remote endpoint and how politely to use it (shared by `kzkg link` and `kzkg enrich`)."""
    options = [
        click.option(
            "--endpoint",
            default=WIKIDATA_SPARQL,
            show_default=True,
            envvar="KZKG_LINK_ENDPOINT",
            help="SPARQL 1.1 endpoint with Wikidata-shaped data (wd:, wdt:, rdfs:label).",
        ),
        click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for an answer."),
        click.option(
            "--retries",
            type=int,
            default=4,
            show_default=True,
            help="Retries on 429, 5xx, timeouts and malformed answers (with back-off).",
        ),
        click.option(
            "--rate",
            "min_interval",
            type=float,
            default=1.0,
            show_default=True,
            help="Minimum seconds between two requests.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Where answers are cached (default: ~/.cache/kzkg/sparql).",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the answer cache."),
        click.option(
            "--contact",
            envvar="KZKG_CONTACT",
            help="Contact (URL or e-mail) for the User-Agent, as Wikimedia's policy asks.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _client(
    endpoint: str,
    timeout: float,
    retries: int,
    min_interval: float,
    cache_dir: Path | None,
    no_cache: bool,
    contact: str | None,
):
    from kzkg.sparql_client import SparqlClient, default_cache_dir

    return SparqlClient(
        endpoint,
        timeout=timeout,
        retries=retries,
        min_interval=min_interval,
        contact=contact,
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        log=_progress,
    )


def _build(data_dir: Path, build_dir: Path):
    """Build and publish (BuildFailed lists the data's problems; the group prints them, exit 1)."""
    from kzkg.pipeline import build as run_build

    return run_build(data_dir, build_dir, progress=_progress)


@click.group(cls=KzkgGroup, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="kzkg")
def main() -> None:
    """kzkg: who claimed what, on what evidence, in Kazakhstan's January 2022 unrest."""


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@build_dir_option
def build(data_dir: Path, build_dir: Path) -> None:
    """Map, validate, reason and export the corpus, then publish it atomically."""
    release = _build(data_dir, build_dir)
    click.echo(f"published release {release.build_id}")
    click.echo(f"store: {release.store_path}")
    click.echo(f"dumps: {release.dumps_path}")


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@click.option(
    "--report",
    "review",
    is_flag=True,
    help="Also list curated kz:contradicts no assertion explains and computed conflicts no curator "
    "linked (a review list: it does not change the exit code).",
)
def validate(data_dir: Path, review: bool) -> None:
    """Check the curated data: quotes found, ids resolve, dates valid, SHACL shapes pass."""
    from kzkg.disagreements import review_lines
    from kzkg.pipeline import prepare

    prepared = prepare(data_dir, progress=_progress)
    report = prepared.report
    for line in report.lines():
        click.echo(line)
    if review:
        findings = review_lines(prepared.corpus)
        for line in findings:
            click.echo(line)
        click.echo(
            f"review: {len(findings)} finding(s) between curated contradictions and computed conflicts", err=True
        )
    if report.conforms:
        click.echo(f"ok: {report.checked_files} files conform")
    else:
        click.echo(f"{len(report.lines())} problem(s) in {report.checked_files} files", err=True)
    sys.exit(report.exit_code)


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option(
    "--engine",
    type=click.Choice(["reasonable", "owlrl"]),
    default="reasonable",
    show_default=True,
    help="reasonable (fast, what builds use) or owlrl (the reference); both give the same filtered closure.",
)
def reason(data_dir: Path, output: Path | None, engine: str) -> None:
    """Print the OWL-RL inferences (noise filtered) as Turtle, without publishing anything."""
    from kzkg.pipeline import prepare, reasoning_input
    from kzkg.reason import infer

    inferred = infer(reasoning_input(prepare(data_dir, progress=_progress).dataset), engine=engine)
    text = inferred.serialize(format="turtle")
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(inferred)} inferred triples written to {output}", err=True)
    else:
        click.echo(text)


@main.command(epilog=EXIT_CODES_HELP)
@build_dir_option
@click.option(
    "--format",
    "format_name",
    default="turtle",
    show_default=True,
    help="turtle, ntriples, nquads, trig or jsonld (N-Quads, TriG and JSON-LD keep named graphs).",
)
@click.option("--scope", type=click.Choice(["all", "asserted", "inferred"]), default="all", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option(
    "--claims",
    "claims_format",
    type=click.Choice(["csv", "jsonld"]),
    help="Instead of a dump: one record per claim for fact-checkers (JSON-LD as schema.org Claim).",
)
def export(build_dir: Path, format_name: str, scope: str, output: Path | None, claims_format: str | None) -> None:
    """Write a dump of the published graph (byte-identical for the same build)."""
    from kzkg.export import release_dump, resolve_format
    from kzkg.store import current_release

    if claims_format:  # claims as data (issue #12)
        from kzkg.export import claim_records, claims_csv, claims_jsonld
        from kzkg.store import open_read_only

        records = claim_records(open_read_only(current_release(build_dir)))
        data = claims_csv(records) if claims_format == "csv" else claims_jsonld(records)
    else:
        try:
            fmt = resolve_format(format_name)
        except ValueError as unknown:
            raise click.BadParameter(str(unknown), param_hint="--format") from unknown
        data = release_dump(current_release(build_dir).path, fmt, scope)
    if output:
        output.write_bytes(data)
        click.echo(f"{len(data)} bytes written to {output}", err=True)
    else:
        sys.stdout.buffer.write(data)


@main.command(epilog=EXIT_CODES_HELP)
@build_dir_option
@click.argument("query")
@click.option(
    "--format", "format_name", type=click.Choice(["table", "json", "csv", "tsv"]), default="table", show_default=True
)
@click.option("--endpoint", help="Run against this remote SPARQL endpoint (SPARQL 1.1 Protocol) instead of the build.")
def query(build_dir: Path, query: str, format_name: str, endpoint: str | None) -> None:
    """Run a SPARQL query (text, or a path to a .rq file) and print the results."""
    from kzkg.query import query_text, stream_query

    stream_query(
        query_text(query),
        build_dir=build_dir,
        endpoint=endpoint,
        format_name=format_name,
        write=sys.stdout.buffer.write,
    )


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@sparql_client_options
@click.option(
    "--candidates",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("link-candidates.yaml"),
    show_default=True,
    help="The reviewable candidates file: written by a search, read by --apply.",
)
@click.option(
    "--apply",
    "apply_chosen",
    is_flag=True,
    help="Record the accepted or reviewer-chosen candidates in data/entities (queries nothing).",
)
@click.option("--only", multiple=True, help="Search only these entity ids (repeatable).")
@click.option("--batch-size", type=int, default=8, show_default=True, help="Entities per query (VALUES batch).")
@click.option("--languages", default="en,mul,ru,kk", show_default=True, help="Label languages to match.")
def link(
    data_dir: Path,
    endpoint: str,
    timeout: float,
    retries: int,
    min_interval: float,
    cache_dir: Path | None,
    no_cache: bool,
    contact: str | None,
    candidates: Path,
    apply_chosen: bool,
    only: tuple[str, ...],
    batch_size: int,
    languages: str,
) -> None:
    """Find Wikidata items for unlinked entities and write scored candidates to review; --apply records them."""
    from kzkg.ingest import load_corpus
    from kzkg.link import reconcile, write_candidates
    from kzkg.link_apply import apply_candidates
    from kzkg.sparql_client import utc_now

    if apply_chosen:
        report = apply_candidates(candidates, data_dir)
        for entity, qid, file in report.applied:
            click.echo(f"linked {entity} -> wd:{qid} ({file})")
        for entity, why in report.skipped:
            click.echo(f"skipped {entity}: {why}", err=True)
        click.echo(f"{len(report.applied)} link(s) recorded, {len(report.skipped)} skipped")
        return
    client = _client(endpoint, timeout, retries, min_interval, cache_dir, no_cache, contact)
    results, queries = reconcile(
        load_corpus(data_dir),
        client,
        only=only,
        batch_size=batch_size,
        languages=[lang.strip() for lang in languages.split(",") if lang.strip()],
        progress=_progress,
    )
    write_candidates(candidates, results, queries, endpoint, utc_now())
    counts = {d: sum(1 for r in results if r.decision == d) for d in ("accept", "review", "no-candidates")}
    for result in results:
        if result.candidates:
            click.echo(f"{result.decision:13} {result.entity}: {result.reason}")
    click.echo(
        f"{counts['accept']} to accept, {counts['review']} to review, {counts['no-candidates']} without "
        f"candidates; written to {candidates} (review it, then `kzkg link --apply`)"
    )


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@sparql_client_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: <data-dir>/enrichment/wikidata.ttl.",
)
@click.option("--licence", help="Licence IRI of the endpoint's data, if it does not say (Wikidata's: CC0).")
def enrich(
    data_dir: Path,
    endpoint: str,
    timeout: float,
    retries: int,
    min_interval: float,
    cache_dir: Path | None,
    no_cache: bool,
    contact: str | None,
    output: Path | None,
    licence: str | None,
) -> None:
    """Fetch names (en/kk/ru), descriptions, coordinates and key facts of linked entities into data/enrichment."""
    from kzkg.enrich import enrich as run_enrich

    click.get_current_context().meta[FAILURE_NOTE] = "the enrichment graph was not changed"
    client = _client(endpoint, timeout, retries, min_interval, cache_dir, no_cache, contact)
    report = run_enrich(data_dir, client, output=output, licence=licence, progress=_progress)
    labels = ", ".join(f"{lang} {n}" for lang, n in report.labels.items())
    click.echo(
        f"{report.items} items, {report.triples} triples ({labels} labelled; {report.coordinates} with "
        f"coordinates) written to {report.path} with {report.queries} queries"
    )
    if report.missing:
        click.echo(f"not found at {endpoint}: {', '.join(report.missing)}", err=True)


@main.command(epilog=EXIT_CODES_HELP)
@build_dir_option
def stats(build_dir: Path) -> None:
    """Summarise the published build: triples per graph, claims, events, entities, timings."""
    import json

    from kzkg.store import current_release

    release = current_release(build_dir)
    click.echo(json.dumps(release.manifest, indent=2, sort_keys=True))


@main.command(epilog=EXIT_CODES_HELP)
@build_dir_option
@click.option("--query-url", required=True, help="The target store's SPARQL query endpoint (used to verify counts).")
@click.option("--gsp-url", help="Graph Store Protocol endpoint (Fuseki: /ds/data; Virtuoso: /sparql-graph-crud-auth).")
@click.option("--graph-param", default="graph", show_default=True, help="GSP graph parameter (Virtuoso: graph-uri).")
@click.option("--update-url", help="SPARQL Update endpoint, for stores without the Graph Store Protocol.")
@click.option("--user", envvar="KZKG_STORE_USER", help="User name (or KZKG_STORE_USER).")
@click.option("--password", envvar="KZKG_STORE_PASSWORD", help="Password (better: KZKG_STORE_PASSWORD).")
@click.option("--auth", "auth_scheme", type=click.Choice(["basic", "digest"]), default="basic", show_default=True)
@click.option("--batch", default=50_000, show_default=True, help="Triples per request.")
def publish(
    build_dir: Path,
    query_url: str,
    gsp_url: str | None,
    graph_param: str,
    update_url: str | None,
    user: str | None,
    password: str | None,
    auth_scheme: str,
    batch: int,
) -> None:
    """Load every named graph of the published build into a SPARQL 1.1 store, then verify it."""
    from kzkg.publish import Target
    from kzkg.publish import publish as run_publish
    from kzkg.store import current_release

    target = Target(
        query_url=query_url,
        gsp_url=gsp_url,
        update_url=update_url,
        graph_param=graph_param,
        user=user,
        password=password,
        auth_scheme=auth_scheme,
    )
    report = run_publish(current_release(build_dir), target, batch=batch, progress=_progress)
    total = sum(report.graphs.values())
    click.echo(
        f"published {total} triples in {len(report.graphs)} graphs ({report.requests} requests, "
        f"{report.seconds:.1f} s); counts verified on {query_url}"
    )


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@build_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option(
    "--build/--no-build",
    "rebuild",
    default=None,
    help="Build the graph before serving [default: build, unless --store is given].",
)
@click.option("--timeout", "query_timeout", type=float, help="Per-query time limit in seconds (KZKG_QUERY_TIMEOUT).")
@click.option(
    "--store",
    "store_url",
    envvar="KZKG_STORE_URL",
    help="Answer from the SPARQL 1.1 store at this query URL (loaded with `kzkg publish`) instead of "
    "the embedded one; implies --no-build.",
)
@click.option("--store-user", envvar="KZKG_STORE_USER", help="User name for --store (or KZKG_STORE_USER).")
@click.option(
    "--store-password",
    envvar="KZKG_STORE_PASSWORD",
    help="Password for --store (better: KZKG_STORE_PASSWORD, which `ps` does not show).",
)
@click.option(
    "--store-auth",
    type=click.Choice(["basic", "digest"]),
    envvar="KZKG_STORE_AUTH",
    help="HTTP authentication scheme for --store [default: basic; Virtuoso's /sparql-auth: digest].",
)
@click.option(
    "--store-max-rows",
    type=int,
    envvar="KZKG_STORE_MAX_ROWS",
    help="The store's silent result cap (Virtuoso's ResultSetMaxRows) [default: 10000; 0: none].",
)
@click.option(
    "--review",
    is_flag=True,
    help="Also serve /review, where a person reviews `kzkg extract` drafts in --data-dir (loopback hosts only; "
    "implies --no-build unless --build is given).",
)
def serve(
    data_dir: Path,
    build_dir: Path,
    host: str,
    port: int,
    workers: int,
    rebuild: bool | None,
    query_timeout: float | None,
    store_url: str | None,
    store_user: str | None,
    store_password: str | None,
    store_auth: str | None,
    store_max_rows: int | None,
    review: bool,
) -> None:
    """Build the graph (unless --no-build) and serve the SPARQL endpoint, UI and dumps.

    With --store the graph comes from a remote store that `kzkg publish` loaded: nothing is built
    (a local build in --build-dir, if it is the one the store holds, still provides the dumps).
    """
    from kzkg_server.run import serve as run_server

    if review and host not in ("127.0.0.1", "localhost", "::1"):
        raise click.UsageError(f"--review writes to {data_dir}: serve it on a loopback host, not {host}")
    # with --review the data holds drafts, which a build refuses by design: serve the last build
    if rebuild if rebuild is not None else not (store_url or review):
        release = _build(data_dir, build_dir)
        click.echo(f"published release {release.build_id}", err=True)
    settings: dict[str, object] = {}
    if query_timeout is not None:
        settings["QUERY_TIMEOUT"] = query_timeout
    if review:
        settings["REVIEW"] = str(data_dir.resolve())
        click.echo(f"review page: http://{host}:{port}/review/ (edits {data_dir})", err=True)
    if store_url:
        if not store_url.startswith(("http://", "https://")):
            raise click.BadParameter(
                f"must be the http(s) URL of a SPARQL query endpoint, not {store_url!r}", param_hint="--store"
            )
        settings.update(
            STORE_URL=store_url,
            STORE_USER=store_user,
            STORE_PASSWORD=store_password,
            STORE_AUTH=store_auth,
            STORE_MAX_ROWS=store_max_rows,
        )
        click.echo(f"answering from the SPARQL store at {store_url}", err=True)
    click.echo(f"serving on http://{host}:{port}/ (SPARQL endpoint: http://{host}:{port}/sparql)", err=True)
    run_server(build_dir=build_dir.resolve(), host=host, port=port, workers=workers, settings=settings)


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@click.argument("article", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--meta",
    multiple=True,
    metavar="KEY=VALUE",
    help="Article metadata as stated: title=, publisher= (a registry id), byline=, date= (YYYY-MM-DD).",
)
@click.option("--no-model", is_flag=True, help="Rules only, without the statistical English model.")
def extract(data_dir: Path, article: Path, meta: tuple[str, ...], no_model: bool) -> None:
    """Add a plain-text article and draft its annotations for review (issue #13; drafts never publish)."""
    from kzkg.extract import extractor

    write = extractor(article, meta)  # refuses unusable input before spaCy is imported
    result = write.extract(
        article,
        data_dir,
        write.parse_meta(meta),
        use_model=not no_model,
        warn=lambda message: click.echo(f"warning: {message}", err=True),
    )
    click.echo(
        f"article {result.article}: {result.claims} draft claims in {result.annotations_path}, "
        f"{result.entities} proposed entities in {result.drafts_path} ({result.seconds:.1f} s"
        f"{'' if result.model else ', rules only'}); review them with `kzkg serve --review`"
    )


if __name__ == "__main__":
    main()
