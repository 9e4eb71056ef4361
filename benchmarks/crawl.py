"""Crawl benchmarks: throughput against baselines, incremental cost, memory.

One generated site (:mod:`benchmarks.site`) is served by :mod:`benchmarks.server` in a
subprocess. Every crawl is the real thing: ``newswatch crawl`` in a subprocess (the
CLI, the runner and a ``crawler.crawl_process`` child with the full pipeline: fetch,
extract, normalise, classify, dedupe when available, store), pointed at the server
with ``--mirror``, with politeness delays off and per-domain concurrency raised to the
baselines' (this benchmark's configuration only). The baselines fetch exactly the
paths a full crawl fetches (the server lists them), with the same concurrency.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Scale,
    Section,
    as_float,
    clean_env,
    fmt_mb,
    python,
    verdict_at_least,
    verdict_at_most,
)
from benchmarks.site import SOURCE_ID

CONCURRENCY = 8
HOST = "vnexpress.net"
THROUGHPUT_TARGET = 0.6  # of the fetch-and-parse baseline
MEMORY_TARGET_MB = 300


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[str]

    def call(self, path: str, method: str = "GET") -> Any:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(self.base_url + path, method=method)
        with opener.open(request, timeout=120) as reply:
            return json.loads(reply.read())

    def visible(self, count: int) -> None:
        self.call(f"/_bench/visible?n={count}", "POST")

    def reset(self) -> None:
        self.call("/_bench/reset", "POST")

    def log(self) -> dict[str, Any]:
        return dict(self.call("/_bench/log"))


@contextmanager
def start_server(size: int, padding: float, workdir: Path) -> Iterator[Server]:
    stderr = (workdir / "server.stderr").open("w")
    proc = subprocess.Popen(
        [python(), "-m", "benchmarks.server", "--size", str(size), "--padding", str(padding)],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=clean_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        yield Server(line.split()[1], proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        stderr.close()


# --------------------------------------------------------------------------- running


def write_config(workdir: Path, listing_pages: int, parse_workers: int = 0) -> Path:
    """A newswatch configuration for one generated source, politeness off."""
    from crawler.config import packaged_default

    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "topics.toml").write_text(
        packaged_default("topics.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (workdir / "sources.toml").write_text(
        f"""[sources.{SOURCE_ID}]
name = "Generated site"
home = "https://{HOST}/"
parser = "vnexpress"
feeds = ["https://{HOST}/rss/tin-moi-nhat.rss"]
listings = ["https://{HOST}/tin-moi-nhat"]
article_pattern = '-\\d{{7}}\\.html$'
max_listing_pages = {listing_pages + 5}
""",
        encoding="utf-8",
    )
    config = workdir / "newswatch.toml"
    config.write_text(
        f"""[storage]
path = "{workdir / "newswatch.db"}"
[crawl]
download_delay = 0.0
concurrency_per_domain = {CONCURRENCY}
download_timeout = 60.0
timeout = 3600.0
parallel_sources = 1
retries = 0
max_pages_per_source = 0
max_articles_per_source = 0
max_errors_per_source = 0
parse_workers = {parse_workers}
log_dir = "{workdir / "logs"}"
""",
        encoding="utf-8",
    )
    return config


def watched(command: list[str], out: Path, match: str) -> dict[str, Any]:
    """Run ``command`` under :mod:`benchmarks.procwatch`; its report."""
    subprocess.run(
        [python(), "-m", "benchmarks.procwatch", str(out), match, "--", *command],
        env=clean_env(),
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return dict(json.loads(out.read_text(encoding="utf-8")))


def newswatch_crawl(server: Server, workdir: Path, name: str) -> dict[str, Any]:
    """One ``newswatch crawl`` of the site; process figures and the crawl's own stats."""
    config = workdir / "newswatch.toml"
    command = [
        python(), "-m", "crawler", "--config", str(config), "crawl",
        "--mirror", f"{HOST}={server.base_url}",
    ]  # fmt: skip
    report = watched(command, workdir / f"{name}.procwatch.json", "")
    from storage import connect

    db = connect(workdir / "newswatch.db")
    try:
        row = next(iter(db.query("SELECT * FROM run_sources ORDER BY id DESC LIMIT 1")), {})
        report["articles_stored"] = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        db.close()
    raw = json.loads(row.get("stats") or "{}")
    report.update(
        status=row.get("status"),
        requests=int(raw.get("downloader/request_count", 0)),
        responses=int(raw.get("downloader/response_count", 0)),
        elapsed_s=as_float(raw.get("elapsed_time_seconds")),
        articles_new=row.get("articles_new", 0),
        parse_failures=row.get("parse_failures", 0),
        error_count=row.get("error_count", 0),
        last_error=row.get("last_error"),
    )
    if report["returncode"] != 0 or report["status"] != "ok":
        log_tail = (workdir / "logs").rglob("*.log")
        raise RuntimeError(
            f"newswatch crawl {name} failed ({report['status']}): {row.get('last_error')}; "
            f"logs: {[str(p) for p in log_tail]}"
        )
    return report


def baseline(server: Server, mode: str, workdir: Path) -> dict[str, Any]:
    stats_path = workdir / f"baseline-{mode}.stats.json"
    command = [
        python(), "-m", "benchmarks.baselines", mode, server.base_url, str(stats_path),
        str(CONCURRENCY),
    ]  # fmt: skip
    report = watched(command, workdir / f"baseline-{mode}.procwatch.json", "benchmarks.baselines")
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    report.update(
        requests=int(stats.get("downloader/request_count", 0)),
        responses=int(stats.get("downloader/response_count", 0)),
        elapsed_s=as_float(stats.get("elapsed_time_seconds")),
        bytes=int(stats.get("downloader/response_bytes", 0)),
    )
    if report["returncode"] != 0:
        raise RuntimeError(f"baseline {mode} failed: see {stats_path.with_suffix('.log')}")
    return report


def rate(report: dict[str, Any]) -> float:
    return report["responses"] / report["elapsed_s"] if report["elapsed_s"] else 0.0


# --------------------------------------------------------------------------- server capacity


async def _client(base: str, paths: list[str], out: list[int]) -> None:
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    for path in paths:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        out.append(length)
    writer.close()


def measure_capacity(server: Server, paths: list[str], connections: int) -> tuple[float, float]:
    """(pages/s, MB/s) that a minimal keep-alive client gets from the server."""
    sizes: list[int] = []
    shares = [paths[i::connections] for i in range(connections)]

    async def run() -> None:
        await asyncio.gather(*(_client(server.base_url, share, sizes) for share in shares))

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    return len(sizes) / elapsed, sum(sizes) / elapsed / 1e6


# --------------------------------------------------------------------------- benchmarks


def per_page_budget(server: Server, count: int) -> dict[str, float]:
    """CPU ms per article page for extraction and for storing, measured in this process
    on pages of the same site (what the crawl adds on top of fetching)."""
    from datetime import UTC, datetime

    from crawler.config import DedupeSettings, packaged_default
    from crawler.store import build_storer
    from spiders.parsers import parse_article
    from storage import connect

    paths = [p for p in server.call("/_bench/paths") if p.endswith(".html")][:count]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    pages = [(p, opener.open(server.base_url + p, timeout=60).read()) for p in paths]
    started = time.process_time()
    articles = [
        parse_article(body, f"https://{HOST}{p}", parser="vnexpress", fetched_at=datetime.now(UTC))
        for p, body in pages
    ]
    extract = (time.process_time() - started) / max(1, len(pages))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "budget.db")
        # As the pipeline builds it: classifier and story grouping (dedupe).
        storer = build_storer(db, str(packaged_default("topics.toml")), DedupeSettings())
        started = time.process_time()
        for i in range(0, len(articles), 20):
            storer.store(articles[i : i + 20])
        store = (time.process_time() - started) / max(1, len(articles))
        db.close()
    return {"extract_ms": extract * 1000, "store_ms": store * 1000}


def throughput(scale: Scale, server: Server, workdir: Path) -> tuple[Section, Path, dict[str, Any]]:
    section = Section("throughput", f"Crawl throughput ({scale.crawl_size:,} articles)")
    server.visible(scale.crawl_size)
    info = server.call("/_bench/info")
    paths = server.call("/_bench/paths")
    pages, mbps = measure_capacity(server, paths, CONCURRENCY)
    section.add(
        "server alone (minimal keep-alive client, 8 connections)",
        f"{pages:,.0f} pages/s ({mbps:,.0f} MB/s)",
    )
    fetch = baseline(server, "fetch", workdir)
    parse = baseline(server, "parse", workdir)
    run_dir = workdir / f"crawl-{scale.crawl_size}"
    shutil.rmtree(run_dir, ignore_errors=True)
    write_config(run_dir, info["listing_pages"])
    ours = newswatch_crawl(server, run_dir, "first")
    pool_dir = workdir / f"crawl-{scale.crawl_size}-workers"
    shutil.rmtree(pool_dir, ignore_errors=True)
    write_config(pool_dir, info["listing_pages"], parse_workers=1)
    pooled = newswatch_crawl(server, pool_dir, "first")
    shutil.rmtree(pool_dir, ignore_errors=True)
    fetch_rate, parse_rate = rate(fetch), rate(parse)
    our_rate, pooled_rate = rate(ours), rate(pooled)
    section.add("Scrapy fetch-only baseline", f"{fetch_rate:,.0f} pages/s")
    section.add("Scrapy fetch + lxml parse baseline", f"{parse_rate:,.0f} pages/s")
    section.add(
        "newswatch crawl (fetch, extract, normalise, classify, dedupe, store), defaults",
        f"{our_rate:,.0f} pages/s",
    )
    section.add("newswatch / fetch-only", f"{our_rate / fetch_rate:.2f}x")
    ratio = our_rate / parse_rate
    section.add(
        "newswatch / fetch-and-parse",
        f"{ratio:.2f}x",
        f">= {THROUGHPUT_TARGET}x",
        verdict_at_least(ratio, THROUGHPUT_TARGET, "x"),
    )
    pooled_ratio = pooled_rate / parse_rate
    section.add(
        "newswatch with crawl.parse_workers = 1 / fetch-and-parse",
        f"{pooled_ratio:.2f}x ({pooled_rate:,.0f} pages/s)",
        f">= {THROUGHPUT_TARGET}x",
        verdict_at_least(pooled_ratio, THROUGHPUT_TARGET, "x"),
    )
    cpu = {
        name: r["cpu_s"] * 1000 / r["responses"]
        for name, r in (("fetch", fetch), ("parse", parse), ("ours", ours), ("pooled", pooled))
    }
    section.add(
        "CPU per page: fetch-only / fetch+parse / newswatch / with a parse worker",
        f"{cpu['fetch']:.1f} / {cpu['parse']:.1f} / {cpu['ours']:.1f} / {cpu['pooled']:.1f} ms",
    )
    budget = per_page_budget(server, min(200, scale.crawl_size))
    fetch_ms = 1000 / fetch_rate
    section.add(
        "per page: fetch (Scrapy) / extract / store (CPU)",
        f"{fetch_ms:.1f} / {budget['extract_ms']:.1f} / {budget['store_ms']:.1f} ms",
    )
    kb = {k: info[f"article_bytes_{k}"] / 1024 for k in ("mean", "min", "max")}
    section.notes.append(
        f"The site: {info['visible']:,} article pages of {kb['mean']:.0f} KB on average "
        f"({kb['min']:.0f}-{kb['max']:.0f} KB), "
        f"{info['listing_pages']} listing pages, a feed and robots.txt: {len(paths):,} fetches, "
        f"the same list for every crawler. newswatch made {ours['requests']:,} requests and stored "
        f"{ours['articles_stored']:,} articles ({ours['parse_failures']} parse failures, "
        f"{ours['error_count']} errors). Rates are responses / Scrapy's elapsed time; "
        f"wall times with process start-up: fetch {fetch['wall_s']:.0f} s, parse "
        f"{parse['wall_s']:.0f} s, newswatch {ours['wall_s']:.0f} s (with a parse worker "
        f"{pooled['wall_s']:.0f} s). CPU per page is the user + system time of each command's "
        "whole process tree (newswatch: CLI, crawl process, parse worker) per response: a "
        "figure a busy machine disturbs less than wall time."
    )
    section.notes.append(
        "Per-page costs: fetch is 1 / the fetch-only rate; extract (parse_article) and store "
        "(classify, upsert and story grouping in batches of 20, as the pipeline does) are CPU "
        "time measured in the "
        "benchmark process on pages of the same site. One crawl process uses one core: their sum "
        f"predicts about {1000 / (fetch_ms + budget['extract_ms'] + budget['store_ms']):,.0f} "
        "pages/s."
    )
    return section, run_dir, pooled


def incremental(scale: Scale, server: Server, run_dir: Path) -> Section:
    """Requests of a second crawl of the unchanged site and of one after k new articles."""
    k = scale.new_articles
    section = Section("incremental", f"Incremental cost ({scale.crawl_size:,} articles stored)")
    server.reset()
    newswatch_crawl(server, run_dir, "unchanged")
    log = server.log()
    kinds = log["by_kind"]
    entry = kinds.get("robots", 0) + kinds.get("feed", 0) + int(log["paths"].count("/tin-moi-nhat"))
    section.add(
        "second crawl, site unchanged: requests",
        f"{log['count']} ({_kinds(kinds)})",
        "entry points only (3: robots.txt, feed, listing page 1)",
        "met" if log["count"] == entry == 3 else f"missed: {log['count'] - 3} more requests",
    )
    server.visible(scale.crawl_size + k)
    server.reset()
    newswatch_crawl(server, run_dir, "new")
    log = server.log()
    kinds = log["by_kind"]
    articles = kinds.get("article", 0)
    extra_listing = kinds.get("listing", 0) - 1
    section.add(
        f"crawl after {k} new articles: requests",
        f"{log['count']} ({_kinds(kinds)})",
        f"entry points + {k} = {3 + k}",
        "met"
        if log["count"] == 3 + k
        else f"missed by {log['count'] - 3 - k} request(s)"
        + (f": {extra_listing} more listing page(s)" if extra_listing else ""),
    )
    section.add(
        "new article pages fetched",
        f"{articles} of {k}",
        f"{k}",
        "met" if articles == k else "missed",
    )
    server.visible(scale.crawl_size)
    section.notes.append(
        "Entry points: robots.txt, the feed (30 newest) and the first listing page; the feed and "
        "the first listing page are conditional requests (ETag) and answer 304 when unchanged. "
        "After new articles, the spider follows the listing to the first page that holds nothing "
        "new, so it reads one more listing page than the minimum: the price of never missing an "
        "article when more appeared than one page shows."
    )
    return section


def _kinds(kinds: dict[str, int]) -> str:
    order = ("robots", "feed", "listing", "article", "other")
    return ", ".join(f"{kinds[k]} {k}" for k in order if kinds.get(k))


def memory(
    scale: Scale,
    server: Server,
    workdir: Path,
    known: dict[int, dict[str, Any]],
    pooled: dict[str, Any] | None,
) -> Section:
    section = Section("memory", "Memory of a crawl (peak RSS of the crawl process)")
    peaks: dict[int, float] = {}
    for size in scale.memory_sizes:
        report = known.get(size)
        if report is None:
            server.visible(size)
            info = server.call("/_bench/info")
            run_dir = workdir / f"memory-{size}"
            shutil.rmtree(run_dir, ignore_errors=True)
            write_config(run_dir, info["listing_pages"])
            report = newswatch_crawl(server, run_dir, "memory")
            shutil.rmtree(run_dir, ignore_errors=True)
        peaks[size] = report["matched_peak_kb"]
        largest = size == max(scale.memory_sizes)
        section.add(
            f"{size:,}-article crawl",
            f"{fmt_mb(report['matched_peak_kb'])} (whole command tree: "
            f"{fmt_mb(report['maxrss_children_kb'])})",
            f"< {MEMORY_TARGET_MB} MB" if largest else "",
            verdict_at_most(report["matched_peak_kb"] / 1024, MEMORY_TARGET_MB, "MB")
            if largest
            else "",
        )
    sizes = sorted(peaks)
    if len(sizes) >= 2 and sizes[-1] > sizes[0]:
        slope = (peaks[sizes[-1]] - peaks[sizes[0]]) / (sizes[-1] - sizes[0])
        section.add(
            "growth with N",
            f"{slope:.1f} kB per article ({fmt_mb(peaks[sizes[-1]] - peaks[sizes[0]])} "
            f"from {sizes[0]:,} to {sizes[-1]:,})",
        )
    pooled_extra_kb = (
        pooled["matched_sum_peak_kb"] - pooled["matched_peak_kb"] if pooled else float("nan")
    )
    section.notes.append(
        "Peak RSS is the kernel's VmHWM of the crawl child (python -m crawler.crawl_process, "
        "default settings: no parse worker), sampled every 0.2 s; the command tree figure is "
        "getrusage(RUSAGE_CHILDREN).ru_maxrss (the largest single process: the crawl child or "
        "the newswatch CLI). A parse worker, when configured, adds one process of "
        f"{fmt_mb(pooled_extra_kb)} at {scale.crawl_size:,} articles (sum of the crawl "
        "processes' RSS minus the crawl child's peak)."
    )
    return section


def run(scale: Scale, workdir: Path, wanted: set[str]) -> list[Section]:
    """The crawl benchmarks in ``wanted`` (throughput, incremental, memory)."""
    size = max(scale.crawl_size, *scale.memory_sizes) + scale.new_articles
    sections: list[Section] = []
    with start_server(size, scale.padding, workdir) as server:
        known: dict[int, dict[str, Any]] = {}
        run_dir: Path | None = None
        pooled: dict[str, Any] | None = None
        if wanted & {"throughput", "incremental"}:
            section, run_dir, pooled = throughput(scale, server, workdir)
            report = json.loads((run_dir / "first.procwatch.json").read_text())
            known[scale.crawl_size] = report
            if "throughput" in wanted:
                sections.append(section)
        if "incremental" in wanted and run_dir is not None:
            sections.append(incremental(scale, server, run_dir))
        if "memory" in wanted:
            sections.append(memory(scale, server, workdir, known, pooled))
    return sections
