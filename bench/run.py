"""`python -m bench`: measure kzkg against its references in one run and write the table.

Every figure that is compared is compared with a reference measured in the same run on the same
machine (owlrl for reasoning, rdflib for loading and querying, and — when ``--virtuoso URL`` is
given — Virtuoso for the endpoint), because absolute seconds on a shared 2-core machine say little
on their own. Each measured task runs in its own process (bench/worker.py) for honest peak memory.

Default sizes are the real corpus plus synthetic 10k and 100k triples (a few minutes on 2 cores);
``--sizes 10000,100000,1000000`` adds 1M. owlrl is skipped above ``--owlrl-max`` (default 100k:
it takes ~7 minutes at 1M on this machine) and the table cites the anchor measured for it instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import load as loadgen
from bench.synth import generate, top_share
from bench.worker import LOAD
from kzkg.namespaces import ID

ROOT = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
# Measured on this machine (2 cores) when the issue was written; cited where a run skips owlrl.
OWLRL_ANCHORS = {100_000: 44.6, 1_000_000: 425.0}
STAGES = ("ingest", "map", "validate", "reason", "store", "export")
REBUILD_STAGES = ("map", "validate", "reason", "export")


def rebuild_seconds(timings: dict[str, float]) -> float:
    """Wall time of map → export. Validation runs in a child beside reason/store/export, so the
    build records this span itself ('rebuild', store included, waiting for validation included);
    summing the stages would count the overlapped validation twice. Older builds: the sum."""
    return timings.get("rebuild", sum(timings[s] for s in REBUILD_STAGES))


@dataclass
class Corpus:
    """One corpus measured: its name, its data, and everything measured on it."""

    name: str
    data_dir: Path
    target: int | None = None
    skew: float | None = None
    build: dict = field(default_factory=dict)
    builds: list[dict] = field(default_factory=list)
    reason: dict[str, dict] = field(default_factory=dict)
    load: dict[str, dict] = field(default_factory=dict)
    queries: dict[str, dict[str, dict]] = field(default_factory=dict)
    endpoint: dict[str, dict] = field(default_factory=dict)
    server_memory: dict = field(default_factory=dict)
    virtuoso: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def release(self) -> Path:
        return Path(self.build["release"])


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def worker(*args: str, timeout: float, env: dict | None = None) -> list[dict]:
    """Run one bench.worker task; its JSON lines (the last is the result)."""
    command = [sys.executable, "-m", "bench.worker", *args]
    completed = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )  # the failure below carries the child's stderr
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]


# --- measurements ---------------------------------------------------------------------------------


def measure_build(corpus: Corpus, workdir: Path, repeats: int) -> None:
    """Full builds in fresh processes; per stage the fastest run (the least disturbed by others)."""
    if corpus.target and corpus.target >= 1_000_000:
        repeats = 1  # minutes per build; one fresh-process build is measurement enough
    for attempt in range(repeats):
        build_dir = workdir / f"build-{corpus.name}-{attempt}"
        result = worker(
            "build",
            "--data",
            str(corpus.data_dir),
            "--build-dir",
            str(build_dir),
            "--ontology",
            str(ROOT / "ontology"),
            timeout=3600,
        )[-1]
        corpus.builds.append(result)
        log(f"{corpus.name}: build {attempt + 1}/{repeats} {result['wall']:.2f} s, {result['quads']} quads")
    best = dict(corpus.builds[0])
    best["timings"] = {
        stage: min(b["timings"].get(stage, float("nan")) for b in corpus.builds) for stage in (*STAGES, "rebuild")
    }
    best["wall"] = min(b["wall"] for b in corpus.builds)
    heaviest = max(corpus.builds, key=lambda b: b["peak_rss_mb"])
    for key in ("peak_rss_mb", "build_rss_mb", "validation_rss_mb"):
        if key in heaviest:
            best[key] = heaviest[key]
    corpus.build = best


def measure_reasoning(corpus: Corpus, workdir: Path, owlrl_max: int) -> None:
    """owlrl (reference) and reasonable on the build's own reasoning input; closures must match."""
    release = str(corpus.release)
    cold_cache = workdir / f"schema-cache-{corpus.name}"
    shutil.rmtree(cold_cache, ignore_errors=True)
    env = {"KZKG_CACHE_DIR": str(cold_cache)}
    corpus.reason["reasonable (cold)"] = worker(
        "reason", "--release", release, "--engine", "reasonable", timeout=3600, env=env
    )[-1]
    corpus.reason["reasonable"] = worker(
        "reason", "--release", release, "--engine", "reasonable", timeout=3600, env=env
    )[-1]
    triples = corpus.reason["reasonable"]["input_triples"]
    if triples <= owlrl_max:
        log(f"{corpus.name}: owlrl on {triples} triples (the reference; slow)")
        corpus.reason["owlrl"] = worker("reason", "--release", release, "--engine", "owlrl", timeout=7200)[-1]
    log(f"{corpus.name}: reasoning " + ", ".join(f"{k} {v['seconds']:.2f} s" for k, v in corpus.reason.items()))


def measure_load(corpus: Corpus) -> None:
    nt = str(corpus.release / "dumps" / "kzkg.nt")
    for lib in ("rdflib", "oxigraph"):
        corpus.load[lib] = worker("load", "--file", nt, "--lib", lib, timeout=3600)[-1]
    log(
        f"{corpus.name}: load rdflib {corpus.load['rdflib']['seconds']:.2f} s, "
        f"pyoxigraph {corpus.load['oxigraph']['seconds']:.2f} s"
    )


def measure_queries(corpus: Corpus, per_query_limit: float) -> None:
    """Example queries on the release store (pyoxigraph) and on rdflib (its own parse of the dump).

    rdflib cannot be interrupted inside a query, so its worker runs under a per-query watchdog: a
    query past the limit is recorded as such, the worker is killed and restarted after it.
    """
    for lib in ("oxigraph", "rdflib"):
        done: dict[str, dict] = {}
        skip: list[str] = []
        deadline = time.perf_counter() + per_query_limit * 12  # each restart re-parses the dump
        while time.perf_counter() < deadline:
            command = [
                sys.executable,
                "-m",
                "bench.worker",
                "queries",
                "--release",
                str(corpus.release),
                "--lib",
                lib,
                "--repeat",
                "5",
                "--budget",
                str(per_query_limit * 20),
            ]
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "BENCH_SKIP": ",".join(skip)},
            )
            killed = _watch_queries(process, done, skip, per_query_limit, load_limit=per_query_limit * 10)
            if not killed:
                break
            if LOAD in skip:  # rdflib could not even load the data in time: nothing to measure
                corpus.notes.append(
                    f"{corpus.name}: rdflib did not load the dump within {per_query_limit * 10:.0f} s; "
                    "its example queries were not run"
                )
                break
        else:
            corpus.notes.append(
                f"{corpus.name}: {lib} example queries stopped after {per_query_limit * 12:.0f} s; {len(done)} measured"
            )
        corpus.queries[lib] = done
    log(f"{corpus.name}: example queries measured ({len(corpus.queries['oxigraph'])} on each store)")


def _watch_queries(process: subprocess.Popen, done: dict, skip: list, limit: float, load_limit: float) -> bool:
    """Read a queries worker's lines; True if it had to be killed for a step past ``limit``.

    Lines are read by a thread into a queue: select() on the pipe cannot see lines that Python
    has already buffered, so it would miss the start of a query and never time it.
    """
    import queue
    import threading

    lines: queue.Queue = queue.Queue()

    assert process.stdout is not None  # started with stdout=PIPE
    output = process.stdout

    def pump() -> None:
        for line in output:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    current, started = None, time.perf_counter()
    try:
        while True:
            if current and time.perf_counter() - started > (load_limit if current == LOAD else limit):
                process.kill()
                process.wait()
                done[current] = {"seconds": [], "rows": None, "over_limit": load_limit if current == LOAD else limit}
                skip.append(current)
                return True
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                process.wait()
                return False
            record = json.loads(line)
            if record["task"] == "start":
                current, started = record["slug"], time.perf_counter()
            elif record["task"] == "query":
                done[record["slug"]] = record
                current = None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`kzkg serve --no-build` on a bench build, on a free loopback port."""

    def __init__(self, build_dir: Path, workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        command = [
            sys.executable,
            "-m",
            "kzkg.cli",
            "serve",
            "--no-build",
            "--build-dir",
            str(build_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        # The load generator is one client with many connections: lift the per-client fairness
        # limits (server/admission.py), which would otherwise answer most of its queries with 429.
        env = {
            **os.environ,
            "KZKG_SERVER_THREADS": "16",
            "KZKG_QUERY_CLIENT_CONCURRENCY": "1000",
            "KZKG_QUERY_CLIENT_BUDGET": "1e9",
            "KZKG_QUERY_QUEUE_SIZE": "1000",
            "KZKG_QUERY_RESERVED_SLOTS": "0",
        }
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        errors = self.process.stderr
        assert errors is not None  # started with stderr=PIPE
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kzkg serve exited: {errors.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("kzkg serve did not come up within 60 s")

    def memory(self) -> dict:
        """RSS of the server's processes: each gunicorn worker with its query executors."""
        tree = _children_by_parent()
        workers = tree.get(self.process.pid, [])
        per_worker = []
        for pid in workers:
            descendants = _descendants(pid, tree)
            per_worker.append(sum(_rss_mb(p) for p in [pid, *descendants]))
        return {
            "master_mb": _rss_mb(self.process.pid),
            "per_worker_mb": per_worker,
            "total_mb": _rss_mb(self.process.pid) + sum(per_worker),
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the session this class started
                self.process.wait()


def _children_by_parent() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _descendants(pid: int, tree: dict[int, list[int]]) -> list[int]:
    out, stack = [], list(tree.get(pid, []))
    while stack:
        child = stack.pop()
        out.append(child)
        stack.extend(tree.get(child, []))
    return out


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def sample_subjects(release: Path, limit: int = 4000, seed: int = 1) -> list[str]:
    """Distinct kzkg IRIs that have descriptions, sampled reproducibly from the N-Triples dump."""
    subjects: set[str] = set()
    with (release / "dumps" / "kzkg.nt").open(encoding="utf-8") as dump:
        for line in dump:
            if line.startswith(f"<{ID}"):
                subjects.add(line[1 : line.index(">")])
    ordered = sorted(subjects)
    random.Random(seed).shuffle(ordered)
    return ordered[:limit]


def cpu_idle(seconds: float = 1.0) -> float:
    """Fraction of all cores' time spent idle over the next ``seconds`` (Linux /proc/stat)."""

    def sample() -> tuple[int, int]:
        with Path("/proc/stat").open(encoding="ascii") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(what: str, idle: float = 0.85, patience: float = 90.0) -> float:
    """Wait until the machine is mostly idle before a throughput measurement, so that leftovers of
    the previous task (a reference store still checkpointing, page cache writeback) do not count
    against whichever endpoint happens to be measured next; log how quiet it got."""
    deadline = time.monotonic() + patience
    level = cpu_idle()
    while level < idle and time.monotonic() < deadline:
        level = cpu_idle()
    log(f"{what}: CPU {level:.0%} idle before measuring" + ("" if level >= idle else f" (waited {patience:.0f} s)"))
    return level


def measure_endpoint(corpus: Corpus, clients: int, budget: float, workers: int, virtuoso: str | None) -> None:
    build_dir = corpus.release.parent.parent
    subjects = sample_subjects(corpus.release)
    server = Server(build_dir, workers)
    try:
        idle = wait_for_quiet(corpus.name + " endpoint")
        corpus.notes.append(f"{corpus.name}: CPU {idle:.0%} idle before kzkg's endpoint was measured")
        corpus.endpoint = loadgen.summarise(loadgen.measure_endpoint(server.url, subjects, clients, budget))
        corpus.server_memory = server.memory()
    finally:
        server.stop()
    log(f"{corpus.name}: endpoint " + ", ".join(f"{k} {v['throughput']:.0f} req/s" for k, v in corpus.endpoint.items()))
    if virtuoso:
        from bench import virtuoso as reference

        reference.load(virtuoso, corpus.release / "dumps" / "kzkg.nq")
        corpus.notes.append(
            f"{corpus.name}: CPU {wait_for_quiet(corpus.name + ' Virtuoso'):.0%} idle before Virtuoso was measured"
        )
        corpus.virtuoso = loadgen.summarise(loadgen.measure_endpoint(virtuoso, subjects, clients, budget))


# --- the report ---------------------------------------------------------------------------------------


def fmt_s(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def ratio(reference: float | None, candidate: float | None) -> str:
    if not reference or not candidate:
        return "—"
    return f"{reference / candidate:.1f}×"


def rss(build: dict) -> str:
    """Peak RSS of a build: the sum, and its parts when the build forked a validation child."""
    if "validation_rss_mb" in build:
        return f"{build['peak_rss_mb']:.0f} ({build['build_rss_mb']:.0f} + {build['validation_rss_mb']:.0f})"
    return f"{build['peak_rss_mb']:.0f}"


def render(corpora: list[Corpus], args: argparse.Namespace, started: float) -> str:
    lines = [
        (
            f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; `python -m bench {' '.join(args.argv)}`; "
            f"{(time.perf_counter() - started) / 60:.1f} min. Seconds are the fastest of {args.repeats} "
            "fresh-process builds; ratios are reference ÷ kzkg measured in this run (higher is better for kzkg)."
        ),
        "",
    ]

    lines += [
        "### Build stages (seconds, `kzkg build` in a fresh process)",
        "",
        "| corpus | quads | " + " | ".join(STAGES) + " | map → export, wall (validate beside reason/store/export)"
        " | whole build | peak RSS MB (build + validation child's unshared) |",
        "|---|---:|" + "---:|" * (len(STAGES) + 3),
    ]
    for c in corpora:
        t = c.build["timings"]
        rebuild = rebuild_seconds(t)
        lines.append(
            f"| {c.name} | {c.build['quads']:,} | "
            + " | ".join(fmt_s(t[s]) for s in STAGES)
            + f" | **{fmt_s(rebuild)}** | {fmt_s(c.build['wall'])} | {rss(c.build)} |"
        )

    lines += [
        "",
        "### OWL-RL closure: owlrl (reference) vs reasonable + kzkg.reason supplements",
        "",
        (
            "| corpus | input triples | inferred (after noise filter) | owlrl s"
            " | reasonable s (schema cache cold / warm) | speed-up | same closure |"
        ),
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in corpora:
        fast, cold, ref = c.reason["reasonable"], c.reason["reasonable (cold)"], c.reason.get("owlrl")
        if ref:
            owl, same = (
                fmt_s(ref["seconds"]),
                "yes" if ref["digest"] == fast["digest"] and ref["inferred"] == fast["inferred"] else "**NO**",
            )
            speed = ratio(ref["seconds"], fast["seconds"])
        else:
            anchor = min((v for k, v in OWLRL_ANCHORS.items() if k >= fast["input_triples"] * 0.8), default=None)
            owl = f"not run (anchor {fmt_s(anchor)})" if anchor else "not run"
            speed, same = (f"~{ratio(anchor, fast['seconds'])} vs anchor" if anchor else "—"), "not compared"
        lines.append(
            f"| {c.name} | {fast['input_triples']:,} | {fast['inferred']:,} | {owl} | "
            f"{fmt_s(cold['seconds'])} / {fmt_s(fast['seconds'])} | {speed} | {same} |"
        )

    lines += [
        "",
        "### Loading the N-Triples dump into memory: rdflib (reference) vs pyoxigraph",
        "",
        "| corpus | triples | rdflib s | pyoxigraph s | speed-up | rdflib MB | pyoxigraph MB | memory ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in corpora:
        r, o = c.load["rdflib"], c.load["oxigraph"]
        lines.append(
            f"| {c.name} | {o['triples']:,} | {fmt_s(r['seconds'])} | {fmt_s(o['seconds'])} | "
            f"{ratio(r['seconds'], o['seconds'])} | {r['rss_mb']:.0f} | {o['rss_mb']:.0f} | "
            f"{ratio(r['rss_mb'], o['rss_mb'])} |"
        )

    lines += [
        "",
        "### Example queries (kzkg/queries, SERVICE queries left out): median ms, pyoxigraph store vs rdflib",
        "",
    ]
    slugs = sorted({s for c in corpora for s in c.queries.get("oxigraph", {})})
    loads = [c.queries.get("rdflib", {}).get(LOAD, {}) for c in corpora]

    def load_time(load: dict) -> str:
        if load.get("seconds"):
            return fmt_s(load["seconds"][0]) + " s"
        return "over the limit" if load else "not run"

    lines.append(
        "rdflib first parses the N-Quads dump into a Dataset: "
        + ", ".join(f"{c.name} {load_time(load)}" for c, load in zip(corpora, loads, strict=True))
        + "."
    )
    lines.append("")
    lines.append("| query | " + " | ".join(f"{c.name} pyoxigraph | {c.name} rdflib | ×" for c in corpora) + " |")
    lines.append("|---|" + "---:|---:|---:|" * len(corpora))
    for slug in slugs:
        cells = []
        for c in corpora:
            ox_q, rdf_q = c.queries.get("oxigraph", {}).get(slug, {}), c.queries.get("rdflib", {}).get(slug, {})
            ox_ms = loadgen.median(ox_q.get("seconds", [])) * 1000
            if rdf_q.get("error"):
                cells += [f"{ox_ms:.1f}", f"fails ({rdf_q['error'].split(':')[0]})", "—"]
                continue
            if not rdf_q.get("seconds") and not rdf_q.get("over_limit"):
                cells += [f"{ox_ms:.1f}", "not run", "—"]
                continue
            if rdf_q.get("over_limit"):
                cells += [
                    f"{ox_ms:.1f}",
                    f"> {rdf_q['over_limit'] * 1000:.0f}",
                    f"> {rdf_q['over_limit'] * 1000 / ox_ms:.0f}×",
                ]
                continue
            rdf_ms = loadgen.median(rdf_q.get("seconds", [])) * 1000
            mismatch = " (rows differ)" if ox_q.get("rows") != rdf_q.get("rows") else ""
            cells += [f"{ox_ms:.1f}", f"{rdf_ms:.1f}{mismatch}", ratio(rdf_ms, ox_ms)]
        lines.append(f"| {slug} | " + " | ".join(cells) + " |")

    lines += [
        "",
        (
            f"### Endpoint (`kzkg serve --no-build`, {args.workers} gunicorn workers, loopback; "
            f"{args.clients} keep-alive client connections driven by one thread of the bench process, "
            "on the same 2 cores)"
        ),
        "",
        "| corpus | workload | requests | req/s | p50 ms | p99 ms | errors | Virtuoso req/s | kzkg ÷ Virtuoso |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in corpora:
        for name, r in c.endpoint.items():
            v = c.virtuoso.get(name)
            versus = f"{v['throughput']:.0f} | {r['throughput'] / v['throughput']:.2f}" if v else "not run | —"
            failures = ", ".join(f"{n}× {code}" for code, n in r["statuses"].items() if int(code) != 200)
            errors = f"{r['errors']} ({failures})" if failures else str(r["errors"])
            lines.append(
                f"| {c.name} | {name} ({r['clients']} clients) | {r['requests']} | {r['throughput']:.0f} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {errors} | {versus} |"
            )
    lines += ["", "| corpus | server RSS per worker (worker + its query executors) MB | master MB |", "|---|---|---:|"]
    for c in corpora:
        m = c.server_memory
        lines.append(
            f"| {c.name} | {', '.join(f'{x:.0f}' for x in m.get('per_worker_mb', []))} | {m.get('master_mb', 0):.0f} |"
        )

    lines += ["", "### Targets", "", "| target | measured | met? |", "|---|---|---|"]
    lines += targets(corpora)
    notes = [n for c in corpora for n in c.notes]
    if notes:
        lines += ["", "Notes from this run:", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def targets(corpora: list[Corpus]) -> list[str]:
    by_name = {c.name: c for c in corpora}
    rows = []

    def row(target: str, measured: str, ok: bool | None) -> None:
        rows.append(f"| {target} | {measured} | {'yes' if ok else 'not measured' if ok is None else '**no**'} |")

    real = by_name.get("real corpus")
    if real:
        rebuild = rebuild_seconds(real.build["timings"])
        row(
            "real corpus: map+validate+reason+export < 2 s",
            f"{rebuild:.2f} s wall, store included "
            f"({rebuild / 2:.2f}× the budget; validate {real.build['timings']['validate']:.2f} s beside the rest)",
            rebuild < 2,
        )
    big = by_name.get("synthetic 1M")
    if big:
        wall = big.build["wall"]
        row("1M: full build < 45 s", f"{wall:.0f} s (validate {big.build['timings']['validate']:.0f} s)", wall < 45)
        fast, ref = big.reason["reasonable"], big.reason.get("owlrl")
        owl = ref["seconds"] if ref else OWLRL_ANCHORS[1_000_000]
        row(
            "1M: OWL-RL closure ≥ 25× faster than owlrl",
            f"{owl / fast['seconds']:.0f}× ({fast['seconds']:.1f} s vs {owl:.0f} s{'' if ref else ' anchor'})",
            owl / fast["seconds"] >= 25,
        )
        row(
            "1M: peak build memory < 3 GB",
            f"{big.build['peak_rss_mb'] / 1024:.2f} GB ({rss(big.build)} MB)",
            big.build["peak_rss_mb"] < 3072,
        )
        if big.endpoint:
            cached = big.endpoint["cached"]["throughput"]
            row("1M: repeated query from cache > 5,000 req/s", f"{cached:.0f} req/s", cached > 5000)
            per_worker = max(big.server_memory.get("per_worker_mb") or [0])
            row("1M: server memory < 600 MB per worker", f"{per_worker:.0f} MB", per_worker < 600)
            lookup, v = big.endpoint["lookup"]["throughput"], big.virtuoso.get("lookup")
            row(
                "1M: lookups ≥ Virtuoso's throughput",
                f"{lookup:.0f} req/s" + (f" vs {v['throughput']:.0f}" if v else " (Virtuoso not run)"),
                lookup >= v["throughput"] if v else None,
            )
            aggregates = [name for name in big.endpoint if name.startswith("aggregate")]
            if all(name in big.virtuoso for name in aggregates):
                ratios = {name: big.endpoint[name]["p50_ms"] / big.virtuoso[name]["p50_ms"] for name in aggregates}
                row(
                    "1M: cold aggregates within 3× of Virtuoso (p50)",
                    "; ".join(
                        f"{name.split(': ', 1)[-1]} {big.endpoint[name]['p50_ms']:.0f} vs "
                        f"{big.virtuoso[name]['p50_ms']:.0f} ms ({ratios[name]:.1f}×)"
                        for name in aggregates
                    ),
                    all(r <= 3 for r in ratios.values()),
                )
            else:
                row("1M: cold aggregates within 3× of Virtuoso", "Virtuoso not run", None)
    else:
        largest = corpora[-1]
        row(
            "1M targets (build < 45 s, closure ≥ 25×, memory, endpoint)",
            f"not run: add `--sizes 10000,100000,1000000`; largest here: {largest.name}",
            None,
        )
        if largest.endpoint:
            cached = largest.endpoint["cached"]["throughput"]
            row(
                f"{largest.name}: repeated query from cache > 5,000 req/s (1M target)",
                f"{cached:.0f} req/s",
                cached > 5000,
            )
            per_worker = max(largest.server_memory.get("per_worker_mb") or [0])
            row(
                f"{largest.name}: server memory < 600 MB per worker (1M target)",
                f"{per_worker:.0f} MB",
                per_worker < 600,
            )
    for c in corpora:
        ref = c.reason.get("owlrl")
        if ref:
            same = ref["digest"] == c.reason["reasonable"]["digest"]
            row(f"{c.name}: reasonable gives owlrl's filtered closure", "identical" if same else "DIFFERENT", same)
    return rows


def write_readme(table: str) -> None:
    text = README.read_text(encoding="utf-8") if README.exists() else "# kzkg benchmarks\n"
    block = f"{START}\n{table}{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n## Latest results\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="synthetic corpus sizes in triples (comma-separated)")
    parser.add_argument("--owlrl-max", type=int, default=150_000, help="skip owlrl on inputs larger than this")
    parser.add_argument("--repeats", type=int, default=2, help="builds per corpus (fastest stages are kept)")
    parser.add_argument("--no-real", action="store_true", help="skip the real corpus")
    parser.add_argument("--no-endpoint", action="store_true", help="skip the endpoint load test")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads for the endpoint")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for kzkg serve")
    parser.add_argument("--budget", type=float, default=8.0, help="seconds per endpoint workload")
    parser.add_argument("--query-limit", type=float, default=30.0, help="seconds before an rdflib query is abandoned")
    parser.add_argument(
        "--virtuoso",
        default="auto",
        help="reference Virtuoso: 'auto' starts one on loopback (default), "
        "a loopback SPARQL URL uses yours, 'none' skips it",
    )
    parser.add_argument("--workdir", type=Path, help="keep corpora and builds here (default: a temporary dir)")
    parser.add_argument("--no-write", action="store_true", help="print the table only; leave bench/README.md alone")
    parser.add_argument("--json", type=Path, help="also write every raw measurement to this file")
    args = parser.parse_args(argv)
    args.argv = argv
    started = time.perf_counter()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kzkg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    corpora: list[Corpus] = []
    if not args.no_real:
        corpora.append(Corpus("real corpus", ROOT / "data"))
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        label = f"synthetic {size // 1_000_000}M" if size >= 1_000_000 else f"synthetic {size // 1000}k"
        log(f"{label}: generating")
        synth = generate(size, workdir / f"corpus-{size}" / "data", seed=size)
        corpus = Corpus(label, synth.data_dir, target=size, skew=top_share(synth))
        corpus.notes.append(
            f"{label}: {synth.plan.claims:,} claims, {synth.plan.articles} articles, {synth.plan.actors} actors; "
            f"the top 2 actors make {corpus.skew:.0%} of claimant slots (real corpus: 43%)"
        )
        corpora.append(corpus)
    from bench import virtuoso as reference

    if args.virtuoso == "auto":
        args.virtuoso = None if args.no_endpoint else reference.start()
        if args.virtuoso is None and not args.no_endpoint:
            log("virtuoso-t is not installed (./dev bench installs it): no Virtuoso reference in this run")
    elif args.virtuoso == "none":
        args.virtuoso = None
    try:
        for corpus in corpora:
            measure_build(corpus, workdir, args.repeats)
            measure_reasoning(corpus, workdir, args.owlrl_max)
            measure_load(corpus)
            measure_queries(corpus, args.query_limit)
            if not args.no_endpoint:
                measure_endpoint(corpus, args.clients, args.budget, args.workers, args.virtuoso)
    finally:
        reference.stop()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        raw = [{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(c).items()} for c in corpora]
        args.json.write_text(json.dumps(raw, indent=1, default=str), encoding="utf-8")
    table = render(corpora, args, started)
    print(table)
    if not args.no_write:
        write_readme(table)
        log(f"wrote {README}")
