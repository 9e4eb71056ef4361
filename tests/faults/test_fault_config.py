"""Broken configuration through the real command: one line naming the file and the key,
exit status 2, never a traceback, and nothing created (no database, no logs).

tests/test_config.py checks the loader's messages in-process; this runs the commands a
cron job runs, in a subprocess, as a user meets them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fault_world import clean_env

GOOD_SOURCE = '[sources.x]\nname = "X"\nhome = "https://x.vn/"\nfeeds = ["https://x.vn/rss"]\n'

# id -> (newswatch.toml extra text, sources.toml text, environment, key named in the error)
CASES: dict[str, tuple[str, str | None, dict[str, str], str]] = {
    "missing sources file": ('[files]\nsources = "absent.toml"\n', None, {}, "files.sources"),
    "unknown settings key": ("[crawl]\ncolour = 1\n", GOOD_SOURCE, {}, "crawl.colour"),
    "unknown section": ("[crawling]\nretries = 1\n", GOOD_SOURCE, {}, "crawling"),
    "unknown source key": ("", GOOD_SOURCE + 'colour = "red"\n', {}, "sources.x.colour"),
    "wrong type": ('[crawl]\nretries = "two"\n', GOOD_SOURCE, {}, "crawl.retries"),
    "wrong type in a source": (
        "",
        '[sources.x]\nname = "X"\nhome = "https://x.vn/"\nfeeds = "https://x.vn/rss"\n',
        {},
        "sources.x.feeds",
    ),
    "wrong type from the environment": (
        "",
        GOOD_SOURCE,
        {"NEWSWATCH_CRAWL_RETRIES": "abc"},
        "NEWSWATCH_CRAWL_RETRIES",
    ),
    "bad cron": ('[schedule]\ncrawl = "61 * * * *"\n', GOOD_SOURCE, {}, "schedule.crawl"),
    "bad cron in a source": ("", GOOD_SOURCE + 'schedule = "*/5 * *"\n', {}, "sources.x.schedule"),
    "unparseable source URL": (
        "",
        '[sources.x]\nname = "X"\nhome = "https://[::1/"\nfeeds = ["https://x.vn/rss"]\n',
        {},
        "sources.x.home",
    ),
    "javascript: feed URL": (
        "",
        '[sources.x]\nname = "X"\nhome = "https://x.vn/"\nfeeds = ["javascript:alert(1)"]\n',
        {},
        "sources.x.feeds",
    ),
    "broken TOML": ("", "[sources.x\nname = 1\n", {}, "(syntax)"),
    "not UTF-8": ("", b"[sources.x]\nname = '\xff'\n", {}, "UTF-8"),  # type: ignore[dict-item]
}


def write_config(workdir: Path, settings: str, sources: str | bytes | None) -> Path:
    if isinstance(sources, bytes):
        (workdir / "sources.toml").write_bytes(sources)
    elif sources is not None:
        (workdir / "sources.toml").write_text(sources, encoding="utf-8")
    base = (
        f'[storage]\npath = "{workdir / "data" / "newswatch.db"}"\n'
        f'[digest]\noutput_dir = "{workdir / "digests"}"\n'
    )
    config = workdir / "newswatch.toml"
    crawl_logs = f'log_dir = "{workdir / "logs"}"\n'
    if settings.startswith("[crawl]"):
        settings = settings.replace("[crawl]\n", "[crawl]\n" + crawl_logs, 1)
    else:
        settings = settings + "[crawl]\n" + crawl_logs
    config.write_text(base + settings, encoding="utf-8")
    return config


def run(config: Path, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "--config", str(config), *command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean_env(), **env},
    )


@pytest.mark.parametrize(
    ("case", "command"),
    [(case, ["crawl"]) for case in CASES] + [("bad cron", ["run"]), ("wrong type", ["digest"])],
)
def test_configuration_error_is_one_line_and_exit_2(
    tmp_path: Path, case: str, command: list[str]
) -> None:
    settings, sources, env, key = CASES[case]
    config = write_config(tmp_path, settings, sources)
    result = run(config, command, env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("newswatch: error: ") and key in lines[0], lines[0]
    where = "environment" if env else ("newswatch.toml" if settings.strip() else "sources.toml")
    if case != "missing sources file":
        assert where in lines[0], lines[0]
    # nothing was created: the configuration is checked before anything is opened
    assert not (tmp_path / "data").exists() and not (tmp_path / "logs").exists()


def test_missing_config_file(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.toml", ["crawl"], {})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("newswatch: error: ") and "nope.toml" in result.stderr
