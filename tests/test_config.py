"""Configuration layering and errors: defaults < file < environment < CLI flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.config import ConfigError, load_settings, load_sources, packaged_default, resolve_file


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_defaults_used_outside_repository(tmp_path: Path) -> None:
    settings = load_settings(None, environ={})
    assert settings.config_path is None
    assert settings.storage.path == "data/newswatch.db"
    sources = load_sources(resolve_file(settings, settings.files.sources))
    assert {
        "mst",
        "vietnamvn",
        "baochinhphu",
        "vnexpress",
        "vietnamplus",
        "vietnamplus-en",
        "vietnamnet",
        "nhandan",
        "tuoitre",
        "dantri",
        "nld",
    } <= set(sources)


def test_default_config_file_in_working_directory_is_read(tmp_path: Path) -> None:
    write(tmp_path / "config" / "newswatch.toml", '[storage]\npath = "elsewhere.db"\n')
    settings = load_settings(None, environ={})
    assert settings.storage.path == "elsewhere.db"
    assert settings.config_path == Path("config/newswatch.toml")


def test_layering_file_then_environment_then_flags(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "n.toml",
        '[smtp]\nhost = "file.example"\nport = 25\n[digest]\nrecipients = ["a@x.org"]\n',
    )
    env = {"NEWSWATCH_SMTP_HOST": "env.example", "NEWSWATCH_DIGEST_RECIPIENTS": "b@x.org, c@x.org"}
    settings = load_settings(cfg, environ=env, overrides={"storage": {"path": "flag.db"}})
    assert settings.smtp.host == "env.example"
    assert settings.smtp.port == 25  # from the file
    assert settings.digest.recipients == ("b@x.org", "c@x.org")
    assert settings.storage.path == "flag.db"
    env_port = load_settings(
        cfg, environ={"NEWSWATCH_SMTP_PORT": "2525", "NEWSWATCH_STORAGE_PATH": "e.db"}
    )
    assert env_port.smtp.port == 2525 and env_port.storage.path == "e.db"


def test_secret_only_from_environment_and_redacted(tmp_path: Path) -> None:
    cfg = write(tmp_path / "n.toml", '[smtp]\npassword = "hunter2"\n')
    with pytest.raises(ConfigError, match="NEWSWATCH_SMTP_PASSWORD"):
        load_settings(cfg, environ={})
    settings = load_settings(None, environ={"NEWSWATCH_SMTP_PASSWORD": "hunter2"})
    assert settings.smtp.password == "hunter2"
    assert "hunter2" not in repr(settings)
    result = CliRunner().invoke(cli, ["config", "show"], env={"NEWSWATCH_SMTP_PASSWORD": "hunter2"})
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and '"***"' in result.output


@pytest.mark.parametrize(
    ("content", "key", "expected"),
    [
        ('[smtp]\nport = "twenty-five"\n', "smtp.port", "an integer"),
        ("[crawl]\ndownload_delay = -1\n", "crawl.download_delay", "a positive number"),
        ("[crawl]\nspeed = 3\n", "crawl.speed", "one of:"),
        ("[nonsense]\nx = 1\n", "nonsense", "one of:"),
        ('[schedule]\ncrawl = "every hour"\n', "schedule.crawl", "cron expression"),
        ('[schedule]\ncrawl = "0 25 * * *"\n', "schedule.crawl", "valid cron"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone", "IANA time zone"),
        ('[smtp]\nsecurity = "tls-ish"\n', "smtp.security", "starttls, ssl or none"),
        ('[digest]\nrecipients = "a@x.org"\n', "digest.recipients", "a list of a string"),
        ("[storage\npath = 1\n", "(syntax)", "valid TOML"),
    ],
)
def test_invalid_settings_one_line_exit_2(
    tmp_path: Path, content: str, key: str, expected: str
) -> None:
    cfg = write(tmp_path / "bad.toml", content)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={})
    message = str(info.value)
    assert str(cfg) in message and key in message and expected in message
    result = CliRunner().invoke(cli, ["--config", str(cfg), "config", "show"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("newswatch: error: ") and key in lines[0]


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"NEWSWATCH_SMTP_PORT.*an integer.*'abc'"):
        load_settings(None, environ={"NEWSWATCH_SMTP_PORT": "abc"})


def test_missing_config_file_flag_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "nope.toml"), "status"])
    assert (
        result.exit_code == 2 and "nope.toml" in result.output and "Traceback" not in result.output
    )


def test_missing_sources_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "n.toml", '[files]\nsources = "absent.toml"\n')
    result = CliRunner().invoke(cli, ["--config", str(cfg), "sources"])
    assert result.exit_code == 2
    assert "files.sources" in result.output and "absent.toml" in result.output


@pytest.mark.parametrize(
    ("block", "key", "expected"),
    [
        (
            'name = "X"\nhome = "https://x.vn/"\nfeeds = ["javascript:alert(1)"]\n',
            "sources.x.feeds",
            "http(s) URL",
        ),
        (
            'name = "X"\nhome = "not a url"\nfeeds = ["https://x.vn/rss"]\n',
            "sources.x.home",
            "http(s) URL",
        ),
        (
            'name = "X"\nhome = "https://x.vn/"\nfeeds = ["https://x.vn/rss"]\narticle_pattern = "([a-"\n',
            "sources.x.article_pattern",
            "regular expression",
        ),
        (
            'name = "X"\nhome = "https://x.vn/"\nfeeds = ["https://x.vn/rss"]\ncolour = "red"\n',
            "sources.x.colour",
            "one of:",
        ),
        ('home = "https://x.vn/"\nfeeds = ["https://x.vn/rss"]\n', "sources.x.name", "a string"),
        ('name = "X"\nhome = "https://x.vn/"\n', "sources.x.feeds", "at least one of"),
        (
            'name = "X"\nhome = "https://x.vn/"\nfeeds = ["https://x.vn/rss"]\nschedule = "*/5 * *"\n',
            "sources.x.schedule",
            "cron",
        ),
        (
            'name = "X"\nhome = "https://[::1/"\nfeeds = ["https://x.vn/rss"]\n',
            "sources.x.home",
            "http(s) URL",
        ),
    ],
)
def test_invalid_sources(tmp_path: Path, block: str, key: str, expected: str) -> None:
    path = write(tmp_path / "sources.toml", "[sources.x]\n" + block)
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    assert key in str(info.value) and expected in str(info.value) and str(path) in str(info.value)


def test_source_domains_and_patterns() -> None:
    sources = load_sources(packaged_default("sources.toml"))
    vnexpress = sources["vnexpress"]
    assert "vnexpress.net" in vnexpress.allowed_domains
    assert vnexpress.matches_article("https://vnexpress.net/ai-mo-nguon-4950001.html")
    assert not vnexpress.matches_article("https://vnexpress.net/khoa-hoc-cong-nghe")
    mst = sources["mst"]
    assert mst.matches_article("https://mst.gov.vn/ra-mat-mo-hinh-197250926153500643.htm")


def test_source_owns_its_domains_and_subdomains() -> None:
    sources = load_sources(packaged_default("sources.toml"))
    assert sources["vietnamvn"].owns("https://www.vietnam.vn/en/ai-news/")
    assert sources["vietnamplus"].owns("https://www.vietnamplus.vn/x-post1.vnp")
    assert sources["vnexpress"].owns("https://video.vnexpress.net/x")
    assert not sources["vnexpress"].owns("https://notvnexpress.net/x")
    assert not sources["vnexpress"].owns("javascript:alert(1)")
