"""`newswatch cluster` commands and the [cluster] settings, without Scrapyd servers."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cluster_helpers import free_port

from crawler.cli import cli
from crawler.cluster.egg import build_egg
from crawler.cluster.scrapyd import NodeUnreachable, ScrapydNode
from crawler.config import ConfigError, load_settings


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def config_with_nodes(tmp_path: Path, *nodes: str) -> Path:
    path = tmp_path / "newswatch.toml"
    listed = ", ".join(f'"{n}"' for n in nodes)
    path.write_text(
        f'[storage]\npath = "{tmp_path / "nw.db"}"\n[cluster]\nnodes = [{listed}]\n',
        encoding="utf-8",
    )
    return path


def test_deploy_without_nodes_says_how_to_configure_them() -> None:
    result = invoke("cluster", "deploy")
    assert result.exit_code == 2
    assert "no Scrapyd nodes configured" in result.output and "cluster.nodes" in result.output


def test_deploy_to_a_bad_node_url_is_refused() -> None:
    result = invoke("cluster", "deploy", "--node", "ftp://10.0.0.5")
    assert result.exit_code == 2 and "--node expects" in result.output


def test_deploy_to_an_unreachable_node_fails_with_its_name(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    result = invoke("--config", str(config_with_nodes(tmp_path, dead)), "cluster", "deploy")
    assert result.exit_code == 1
    assert f"✗ Scrapyd node {dead}" in result.output and "1 node(s) not deployed" in result.output


def test_egg_written_to_a_file_is_a_scrapy_project(tmp_path: Path) -> None:
    out = tmp_path / "newswatch.egg"
    result = invoke("cluster", "deploy", "--output", str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert "settings = crawler.scrapy_settings" in entry_points
    assert {"spiders/news.py", "crawler/scrapy_settings.py", "storage/db.py"} <= names
    assert "crawler/defaults/sources.toml" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # Reproducible: the same code gives the same bytes and the same version.
    assert build_egg().data == out.read_bytes()
    assert build_egg().version in result.output


def test_status_reports_an_unreachable_node(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    config = config_with_nodes(tmp_path, dead)
    result = invoke("--config", str(config), "cluster", "status", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["nodes"][0]["node"] == dead and data["nodes"][0]["reachable"] is False
    table = invoke("--config", str(config), "cluster", "status")
    assert table.exit_code == 1 and "False" in table.output


def test_unreachable_node_error_names_the_node() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(NodeUnreachable, match=f"Scrapyd node {dead}: daemonstatus.json"):
        ScrapydNode(dead, timeout=5).daemon_status()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NEWSWATCH_CLUSTER_NODES", "10.0.0.5:6800", "cluster.nodes"),
        ("NEWSWATCH_CLUSTER_CAPACITY", "0", "cluster.capacity"),
        ("NEWSWATCH_CLUSTER_POLL_SECONDS", "0", "cluster.poll_seconds"),
        ("NEWSWATCH_CLUSTER_PROJECT", "news watch", "cluster.project"),
    ],
)
def test_bad_cluster_settings_are_named(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={variable: value})


def test_cluster_password_only_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "newswatch.toml"
    path.write_text('[cluster]\npassword = "hunter2"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="NEWSWATCH_CLUSTER_PASSWORD"):
        load_settings(path, environ={})
    settings = load_settings(
        environ={
            "NEWSWATCH_CLUSTER_NODES": "http://127.0.0.1:6800,http://127.0.0.1:6801",
            "NEWSWATCH_CLUSTER_PASSWORD": "hunter2",
        }
    )
    assert settings.cluster.nodes == ("http://127.0.0.1:6800", "http://127.0.0.1:6801")
    assert settings.cluster.password == "hunter2"
    shown = invoke("config", "show", "--format", "json")
    assert "hunter2" not in shown.output
