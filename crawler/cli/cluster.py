"""Crawling on Scrapyd nodes: ``cluster deploy`` and ``cluster status``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from crawler.cli import EXIT_ERROR, App, UserError, cli, pass_app
from crawler.cli.output import render_table


@cli.group()
def cluster() -> None:
    """Crawl on a cluster of Scrapyd nodes (see `cluster.nodes` in newswatch.toml).

    With nodes configured, `newswatch run`, `crawl` and the scheduler send each source's
    crawl to a node as a Scrapyd job and store the items here: one writer. Deploy the
    code to every node first, and again after each upgrade.
    """


def _nodes(app: App, urls: tuple[str, ...]) -> list[Any]:
    from urllib.parse import urlsplit

    from crawler.cluster.scrapyd import ScrapydNode

    config = app.settings.cluster
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(
                f"--node expects a Scrapyd base URL such as http://10.0.0.5:6800, got {url!r}"
            )
    chosen = list(urls) or list(config.nodes)
    if not chosen:
        raise UserError(
            "no Scrapyd nodes configured: set cluster.nodes in newswatch.toml "
            '(e.g. nodes = ["http://10.0.0.5:6800"]) or pass --node URL'
        )
    return [ScrapydNode(u, username=config.username, password=config.password) for u in chosen]


@cluster.command()
@click.option(
    "--node",
    "node_urls",
    multiple=True,
    metavar="URL",
    help="Deploy to this Scrapyd node only (repeatable) [default: every cluster.nodes entry].",
)
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Only write the egg to this file (for scrapyd-deploy --egg FILE); deploy nothing.",
)
@pass_app
def deploy(app: App, node_urls: tuple[str, ...], output: Path | None) -> None:
    """Build the Scrapyd egg of this newswatch and upload it to every node.

    The egg holds the crawler, spiders and storage packages and names
    crawler.scrapy_settings as the Scrapy settings; its version carries a hash of the
    code, and jobs ask for exactly that version, so the nodes always run the code of
    the machine that stores the results. Exits 1 if any node could not be deployed.
    """
    from crawler.cluster.egg import build_egg
    from crawler.cluster.scrapyd import NodeError

    egg = build_egg()
    if output is not None:
        output.write_bytes(egg.data)
        click.echo(f"Wrote {output} (version {egg.version}, {len(egg.data) // 1024} KiB)")
        return
    project = app.settings.cluster.project
    failed = 0
    for node in _nodes(app, node_urls):
        try:
            answer = node.add_version(project, egg.version, egg.data)
        except NodeError as exc:
            failed += 1
            click.echo(f"✗ {exc}", err=True)
            continue
        click.echo(
            f"✓ {node.name}: project {project} version {egg.version} "
            f"({answer.get('spiders', '?')} spider)"
        )
    if failed:
        raise UserError(f"{failed} node(s) not deployed; fix them and deploy again", EXIT_ERROR)


@cluster.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_app
def status(app: App, fmt: str) -> None:
    """Each node: reachable?, this code's version deployed?, jobs pending/running/finished.

    Also lists jobs newswatch dispatched that are not ingested yet (the next run
    ingests finished ones left by a run that stopped). Exits 1 when a node is unreachable.
    """
    from crawler.cluster.egg import build_egg
    from crawler.cluster.scrapyd import NodeError
    from storage import cluster as cluster_store

    version = build_egg().version
    project = app.settings.cluster.project
    rows: list[dict[str, Any]] = []
    for node in _nodes(app, ()):
        row: dict[str, Any] = {"node": node.name}
        try:
            daemon = node.daemon_status()
            versions = node.versions(project) if project in node.projects() else []
        except NodeError as exc:
            row.update(reachable=False, error=str(exc))
            rows.append(row)
            continue
        row.update(
            reachable=True,
            deployed="yes" if version in versions else "no: run `newswatch cluster deploy`",
            pending=daemon.get("pending"),
            running=daemon.get("running"),
            finished=daemon.get("finished"),
        )
        rows.append(row)
    open_jobs = [
        {k: j[k] for k in ("job_id", "node", "source", "state", "dispatched_at")}
        for j in cluster_store.open_jobs(app.db)
    ]
    if fmt == "json":
        json.dump(
            {"version": version, "nodes": rows, "open_jobs": open_jobs},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        click.echo()
    else:
        _print_status(project, version, rows, open_jobs)
    if not all(r.get("reachable") for r in rows):
        sys.exit(EXIT_ERROR)


def _print_status(
    project: str, version: str, rows: list[dict[str, Any]], open_jobs: list[dict[str, Any]]
) -> None:
    click.echo(f"Project {project}, this code is version {version}\n")
    columns = ["node", "reachable", "deployed", "pending", "running", "finished", "error"]
    click.echo(render_table(rows, [c for c in columns if any(c in r for r in rows)]))
    if open_jobs:
        click.echo("\nJobs not ingested yet:")
        click.echo(render_table(open_jobs, list(open_jobs[0])))
