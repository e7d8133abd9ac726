"""The ``kzkg`` command: a click group whose commands each call one library function.

Exit codes (a contract, as pyshacl's are): 0 success / data conforms; 1 the data has
violations (nothing was published); 2 the command could not run (unreadable input, no build yet,
bad arguments, a malformed query).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from kzkg.ingest import IngestError
from kzkg.validate import EXIT_ERROR, EXIT_VIOLATIONS

EXIT_CODES_HELP = "Exit codes: 0 success, 1 data violations (nothing published), 2 could not run."


def data_dir_option(command):
    return click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data"), show_default=True,
        envvar="KZKG_DATA_DIR", help="Folder with articles.yaml, articles/, entities/, events/, annotations/.",
    )(command)


def build_dir_option(command):
    return click.option(
        "--build-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("build"), show_default=True,
        envvar="KZKG_BUILD_DIR", help="Where releases are published; the served one is <build-dir>/current.",
    )(command)


def fails_cleanly(command):
    """Turn the library's expected failures into a message and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from kzkg.store import NoReleaseError

        try:
            return command(*args, **kwargs)
        except (IngestError, NoReleaseError) as problem:
            click.echo(f"error: {problem}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"


def sparql_client_options(command):
    """The remote endpoint and how politely to use it (shared by `kzkg link` and `kzkg enrich`)."""
    options = [
        click.option("--endpoint", default=WIKIDATA_SPARQL, show_default=True, envvar="KZKG_LINK_ENDPOINT",
                     help="SPARQL 1.1 endpoint with Wikidata-shaped data (wd:, wdt:, rdfs:label)."),
        click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for an answer."),
        click.option("--retries", type=int, default=4, show_default=True,
                     help="Retries on 429, 5xx, timeouts and malformed answers (with back-off)."),
        click.option("--rate", "min_interval", type=float, default=1.0, show_default=True,
                     help="Minimum seconds between two requests."),
        click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Where answers are cached (default: ~/.cache/kzkg/sparql)."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the answer cache."),
        click.option("--contact", envvar="KZKG_CONTACT",
                     help="Contact (URL or e-mail) for the User-Agent, as Wikimedia's policy asks."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _client(endpoint: str, timeout: float, retries: int, min_interval: float, cache_dir: Path | None,
            no_cache: bool, contact: str | None):
    from kzkg.link import SparqlClient, default_cache_dir

    return SparqlClient(endpoint, timeout=timeout, retries=retries, min_interval=min_interval, contact=contact,
                        cache_dir=None if no_cache else (cache_dir or default_cache_dir()), log=_progress)


def _build_or_exit(data_dir: Path, build_dir: Path):
    """Build and publish, or list the data's problems and exit 1 with the old build untouched."""
    from kzkg.pipeline import BuildFailed, ValidationCrashed, build as run_build

    try:
        return run_build(data_dir, build_dir, progress=_progress)
    except BuildFailed as failed:
        for line in failed.report.lines():
            click.echo(line, err=True)
        click.echo(f"build failed: {failed}", err=True)
        sys.exit(EXIT_VIOLATIONS)
    except ValidationCrashed as crashed:
        click.echo(f"error: {crashed}", err=True)
        sys.exit(EXIT_ERROR)


@click.group(epilog=EXIT_CODES_HELP)
@click.version_option(package_name="kzkg")
def main() -> None:
    """kzkg: who claimed what, on what evidence, in Kazakhstan's January 2022 unrest."""


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@build_dir_option
@fails_cleanly
def build(data_dir: Path, build_dir: Path) -> None:
    """Map, validate, reason and export the corpus, then publish it atomically."""
    release = _build_or_exit(data_dir, build_dir)
    click.echo(f"published release {release.build_id}")
    click.echo(f"store: {release.store_path}")
    click.echo(f"dumps: {release.dumps_path}")


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@click.option("--report", "review", is_flag=True,
              help="Also list curated kz:contradicts no assertion explains and computed conflicts no curator "
                   "linked (a review list: it does not change the exit code).")
@fails_cleanly
def validate(data_dir: Path, review: bool) -> None:
    """Check the curated data: quotes found, ids resolve, dates valid, SHACL shapes pass."""
    from kzkg.assertions import review_lines
    from kzkg.pipeline import prepare

    prepared = prepare(data_dir, progress=_progress)
    report = prepared.report
    for line in report.lines():
        click.echo(line)
    if review:
        findings = review_lines(prepared.corpus)
        for line in findings:
            click.echo(line)
        click.echo(f"review: {len(findings)} finding(s) between curated contradictions and computed conflicts",
                   err=True)
    if report.conforms:
        click.echo(f"ok: {report.checked_files} files conform")
    else:
        click.echo(f"{len(report.lines())} problem(s) in {report.checked_files} files", err=True)
    sys.exit(report.exit_code)


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--engine", type=click.Choice(["reasonable", "owlrl"]), default="reasonable", show_default=True,
              help="reasonable (fast, what builds use) or owlrl (the reference); both give the same filtered closure.")
@fails_cleanly
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
@click.option("--format", "format_name", default="turtle", show_default=True,
              help="turtle, ntriples, nquads, trig or jsonld (N-Quads, TriG and JSON-LD keep named graphs).")
@click.option("--scope", type=click.Choice(["all", "asserted", "inferred"]), default="all", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--claims", "claims_format", type=click.Choice(["csv", "jsonld"]),
              help="Instead of a dump: one record per claim for fact-checkers (JSON-LD as schema.org Claim).")
@fails_cleanly
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
@click.option("--format", "format_name", type=click.Choice(["table", "json", "csv", "tsv"]), default="table", show_default=True)
@click.option("--endpoint", help="Run against this remote SPARQL endpoint (with SPARQLWrapper) instead of the build.")
@fails_cleanly
def query(build_dir: Path, query: str, format_name: str, endpoint: str | None) -> None:
    """Run a SPARQL query (text, or a path to a .rq file) and print the results."""
    from kzkg.query import QueryError, run_query

    text = Path(query).read_text(encoding="utf-8") if query.endswith(".rq") and Path(query).is_file() else query
    try:
        click.echo(run_query(text, build_dir=build_dir, endpoint=endpoint, format_name=format_name), nl=False)
    except QueryError as problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_ERROR)


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@sparql_client_options
@click.option("--candidates", type=click.Path(dir_okay=False, path_type=Path), default=Path("link-candidates.yaml"),
              show_default=True, help="The reviewable candidates file: written by a search, read by --apply.")
@click.option("--apply", "apply_chosen", is_flag=True,
              help="Record the accepted or reviewer-chosen candidates in data/entities (queries nothing).")
@click.option("--only", multiple=True, help="Search only these entity ids (repeatable).")
@click.option("--batch-size", type=int, default=8, show_default=True, help="Entities per query (VALUES batch).")
@click.option("--languages", default="en,mul,ru,kk", show_default=True, help="Label languages to match.")
@fails_cleanly
def link(data_dir: Path, endpoint: str, timeout: float, retries: int, min_interval: float, cache_dir: Path | None,
         no_cache: bool, contact: str | None, candidates: Path, apply_chosen: bool, only: tuple[str, ...],
         batch_size: int, languages: str) -> None:
    """Find Wikidata items for unlinked entities and write scored candidates to review; --apply records them."""
    from kzkg.ingest import load_corpus
    from kzkg.link import LinkError, apply_candidates, reconcile, utc_now, write_candidates

    try:
        if apply_chosen:
            report = apply_candidates(candidates, data_dir)
            for entity, qid, file in report.applied:
                click.echo(f"linked {entity} -> wd:{qid} ({file})")
            for entity, why in report.skipped:
                click.echo(f"skipped {entity}: {why}", err=True)
            click.echo(f"{len(report.applied)} link(s) recorded, {len(report.skipped)} skipped")
            return
        client = _client(endpoint, timeout, retries, min_interval, cache_dir, no_cache, contact)
        results, queries = reconcile(load_corpus(data_dir), client, only=only, batch_size=batch_size,
                                     languages=[lang.strip() for lang in languages.split(",") if lang.strip()],
                                     progress=_progress)
        write_candidates(candidates, results, queries, endpoint, utc_now())
    except LinkError as problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_ERROR)
    counts = {d: sum(1 for r in results if r.decision == d) for d in ("accept", "review", "no-candidates")}
    for result in results:
        if result.candidates:
            click.echo(f"{result.decision:13} {result.entity}: {result.reason}")
    click.echo(f"{counts['accept']} to accept, {counts['review']} to review, {counts['no-candidates']} without "
               f"candidates; written to {candidates} (review it, then `kzkg link --apply`)")


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@sparql_client_options
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Default: <data-dir>/enrichment/wikidata.ttl.")
@click.option("--licence", help="Licence IRI of the endpoint's data, if it does not say (Wikidata's: CC0).")
@fails_cleanly
def enrich(data_dir: Path, endpoint: str, timeout: float, retries: int, min_interval: float, cache_dir: Path | None,
           no_cache: bool, contact: str | None, output: Path | None, licence: str | None) -> None:
    """Fetch names (en/kk/ru), descriptions, coordinates and key facts of linked entities into data/enrichment."""
    from kzkg.link import LinkError, enrich as run_enrich

    client = _client(endpoint, timeout, retries, min_interval, cache_dir, no_cache, contact)
    try:
        report = run_enrich(data_dir, client, output=output, licence=licence, progress=_progress)
    except LinkError as problem:
        click.echo(f"error: {problem} (the enrichment graph was not changed)", err=True)
        sys.exit(EXIT_ERROR)
    labels = ", ".join(f"{lang} {n}" for lang, n in report.labels.items())
    click.echo(f"{report.items} items, {report.triples} triples ({labels} labelled; {report.coordinates} with "
               f"coordinates) written to {report.path} with {report.queries} queries")
    if report.missing:
        click.echo(f"not found at {endpoint}: {', '.join(report.missing)}", err=True)


@main.command(epilog=EXIT_CODES_HELP)
@build_dir_option
@fails_cleanly
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
@fails_cleanly
def publish(build_dir: Path, query_url: str, gsp_url: str | None, graph_param: str, update_url: str | None,
            user: str | None, password: str | None, auth_scheme: str, batch: int) -> None:
    """Load every named graph of the published build into a SPARQL 1.1 store, then verify it."""
    from kzkg.publish import PublishError, Target, publish as run_publish
    from kzkg.store import current_release

    target = Target(query_url=query_url, gsp_url=gsp_url, update_url=update_url, graph_param=graph_param,
                    user=user, password=password, auth_scheme=auth_scheme)
    try:
        report = run_publish(current_release(build_dir), target, batch=batch, progress=_progress)
    except PublishError as failed:
        click.echo(f"error: {failed}", err=True)
        sys.exit(EXIT_ERROR)
    total = sum(report.graphs.values())
    click.echo(f"published {total} triples in {len(report.graphs)} graphs ({report.requests} requests, "
               f"{report.seconds:.1f} s); counts verified on {query_url}")


@main.command(epilog=EXIT_CODES_HELP)
@data_dir_option
@build_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--build/--no-build", "rebuild", default=None,
              help="Build the graph before serving [default: build, unless --store is given].")
@click.option("--timeout", "query_timeout", type=float, help="Per-query time limit in seconds (KZKG_QUERY_TIMEOUT).")
@click.option("--store", "store_url", envvar="KZKG_STORE_URL",
              help="Answer from the SPARQL 1.1 store at this query URL (loaded with `kzkg publish`) instead of "
                   "the embedded one; implies --no-build.")
@click.option("--store-user", envvar="KZKG_STORE_USER", help="User name for --store (or KZKG_STORE_USER).")
@click.option("--store-password", envvar="KZKG_STORE_PASSWORD",
              help="Password for --store (better: KZKG_STORE_PASSWORD, which `ps` does not show).")
@click.option("--store-auth", type=click.Choice(["basic", "digest"]), envvar="KZKG_STORE_AUTH",
              help="HTTP authentication scheme for --store [default: basic; Virtuoso's /sparql-auth: digest].")
@click.option("--store-max-rows", type=int, envvar="KZKG_STORE_MAX_ROWS",
              help="The store's silent result cap (Virtuoso's ResultSetMaxRows) [default: 10000; 0: none].")
@fails_cleanly
def serve(data_dir: Path, build_dir: Path, host: str, port: int, workers: int, rebuild: bool | None,
          query_timeout: float | None, store_url: str | None, store_user: str | None, store_password: str | None,
          store_auth: str | None, store_max_rows: int | None) -> None:
    """Build the graph (unless --no-build) and serve the SPARQL endpoint, UI and dumps.

    With --store the graph comes from a remote store that `kzkg publish` loaded: nothing is built
    (a local build in --build-dir, if it is the one the store holds, still provides the dumps).
    """
    from kzkg_server.run import serve as run_server

    if rebuild if rebuild is not None else not store_url:
        release = _build_or_exit(data_dir, build_dir)
        click.echo(f"published release {release.build_id}", err=True)
    settings: dict[str, object] = {}
    if query_timeout is not None:
        settings["QUERY_TIMEOUT"] = query_timeout
    if store_url:
        if not store_url.startswith(("http://", "https://")):
            click.echo(f"error: --store must be the http(s) URL of a SPARQL query endpoint, not {store_url!r}", err=True)
            sys.exit(EXIT_ERROR)
        settings.update(STORE_URL=store_url, STORE_USER=store_user, STORE_PASSWORD=store_password,
                        STORE_AUTH=store_auth, STORE_MAX_ROWS=store_max_rows)
        click.echo(f"answering from the SPARQL store at {store_url}", err=True)
    click.echo(f"serving on http://{host}:{port}/ (SPARQL endpoint: http://{host}:{port}/sparql)", err=True)
    run_server(build_dir=build_dir.resolve(), host=host, port=port, workers=workers, settings=settings)


if __name__ == "__main__":
    main()
