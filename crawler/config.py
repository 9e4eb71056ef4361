"""Configuration: packaged defaults < TOML file < environment < CLI flags.

Three files make up a configuration (see ``config/`` in the repository):

* ``newswatch.toml``: settings (storage, crawl politeness, schedule, digest, smtp, ...);
* ``sources.toml``: one ``[sources.<id>]`` block per monitored site;
* ``topics.toml``: classifier rules (loaded by :mod:`crawler.classify`).

The settings file names the other two (``[files]``), relative to its own folder; a name
that does not exist there falls back to the packaged default of the same name. Every
setting can be overridden by an environment variable ``NEWSWATCH_<SECTION>_<KEY>``
(lists comma-separated). Secrets (the SMTP password) come only from the environment.

Every problem is reported as a :class:`ConfigError` whose one-line message names the
file, the key, what was found and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.urls import InvalidURL, canonical_url

ENV_PREFIX = "NEWSWATCH_"
SECRET_ENV = {"smtp.password": "NEWSWATCH_SMTP_PASSWORD"}
DEFAULT_CONFIG_PATH = Path("config/newswatch.toml")
REDACTED = "***"


class ConfigError(Exception):
    """Invalid configuration; ``str(error)`` is one line fit to show the user."""

    def __init__(self, where: str, key: str, found: object, expected: str) -> None:
        self.where, self.key, self.found, self.expected = where, key, found, expected
        shown = found if isinstance(found, str) and found.startswith("<") else repr(found)
        super().__init__(f"{where}: {key}: expected {expected}, found {shown}")


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class FilesSettings:
    sources: str = "sources.toml"
    topics: str = "topics.toml"


@dataclass(frozen=True)
class StorageSettings:
    path: str = "data/newswatch.db"
    timeout: float = 30.0  # seconds a writer waits for the lock


@dataclass(frozen=True)
class CrawlSettings:
    user_agent: str = "newswatch/{version} (+{contact_url}; AI news monitor)"
    contact_url: str = "https://github.com/newswatch-vn/newswatch"
    obey_robots: bool = True
    download_delay: float = 3.0  # floor of the per-domain delay, seconds
    max_delay: float = 30.0  # AutoThrottle ceiling
    concurrency_per_domain: int = 1
    download_timeout: float = 30.0
    max_page_bytes: int = 8 * 1024 * 1024
    warn_page_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    max_listing_pages: int = 5
    max_pages_per_source: int = 400  # CLOSESPIDER_PAGECOUNT
    max_articles_per_source: int = 150  # CLOSESPIDER_ITEMCOUNT
    max_errors_per_source: int = 50  # CLOSESPIDER_ERRORCOUNT
    max_feed_age_days: int = 30  # sitemap/feed entries older than this are not fetched
    timeout: float = 900.0  # hard limit of one source's crawl process, seconds
    parallel_sources: int = 2  # crawl processes run at once
    parse_workers: int = 0  # extra processes per crawl that parse pages; 0: in the crawl
    log_dir: str = "data/logs"


@dataclass(frozen=True)
class ScheduleSettings:
    timezone: str = "Asia/Ho_Chi_Minh"
    crawl: str = "0 */3 * * *"
    digest: str = "30 7 * * *"
    misfire_grace_minutes: int = 30
    shutdown_grace_seconds: float = 60.0


@dataclass(frozen=True)
class DigestSettings:
    output_dir: str = "data/digests"
    recipients: tuple[str, ...] = ()
    sender: str = "newswatch <newswatch@localhost>"
    subject_prefix: str = "[newswatch]"
    timezone: str = "Asia/Ho_Chi_Minh"
    include_other_ai: bool = True
    include_health: bool = True
    max_items: int = 50
    templates_dir: str = ""  # a folder whose templates override the packaged ones
    feed_entries: int = 50
    site_url: str = "https://github.com/newswatch-vn/newswatch"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""  # empty: digests are written to files only
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)  # environment only
    timeout: float = 30.0
    max_attempts: int = 10


@dataclass(frozen=True)
class HealthSettings:
    failed_runs: int = 3  # consecutive failed runs before a source is unhealthy
    empty_runs: int = 3  # consecutive runs with zero articles (when it usually finds some)
    coverage_drop: float = 0.5  # field coverage below this share of the usual = unhealthy
    history_runs: int = 10  # runs that define "usual"


@dataclass(frozen=True)
class DedupeSettings:
    threshold: float = 0.5  # estimated Jaccard similarity of shingles for "same text"
    num_perm: int = 128
    shingle_size: int = 5


@dataclass(frozen=True)
class ClusterSettings:
    nodes: tuple[str, ...] = ()  # Scrapyd base URLs; empty = crawl locally
    project: str = "newswatch"
    capacity: int = 2  # concurrent jobs per node
    poll_seconds: float = 2.0
    username: str = ""
    password: str = dataclasses.field(default="", repr=False)  # environment only


@dataclass(frozen=True)
class Settings:
    """The effective settings; ``config_path`` is the file they were read from, if any."""

    files: FilesSettings = field(default_factory=FilesSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    config_path: Path | None = None

    @property
    def user_agent(self) -> str:
        from crawler import __version__

        return self.crawl.user_agent.format(version=__version__, contact_url=self.crawl.contact_url)

    @property
    def base_dir(self) -> Path:
        """Folder the sources/topics file names are relative to."""
        return self.config_path.parent if self.config_path else Path.cwd()


SECTIONS: dict[str, type] = {
    name: tp for name, tp in get_type_hints(Settings).items() if name != "config_path"
}


@dataclass(frozen=True)
class Source:
    """One monitored site, from a ``[sources.<id>]`` block."""

    id: str
    name: str
    home: str
    parser: str = "generic"
    language: str = "vi"
    enabled: bool = True
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    article_pattern: str = ""  # regex searched in candidate URLs; empty = any same-site URL
    exclude_pattern: str = ""
    link_selector: str = "a[href]"
    next_page_selector: str = "link[rel=next], a[rel=next]"
    page_template: str = ""  # e.g. "{listing}-p{page}" or "{listing_stem}/trang-{page}.htm"
    max_listing_pages: int | None = None
    allowed_domains: tuple[str, ...] = ()
    schedule: str = ""  # cron override for this source
    download_delay: float | None = None
    timeout: float | None = None
    description: str = ""
    selectors: Mapping[str, str] = field(default_factory=dict)

    @property
    def entry_points(self) -> tuple[str, ...]:
        return self.feeds + self.sitemaps + self.listings

    def to_json(self) -> str:
        """The block as JSON (how a crawl process or a Scrapyd job receives its source)."""
        import json

        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Source:
        import json

        data = json.loads(text)
        for key, value in data.items():
            if isinstance(value, list):
                data[key] = tuple(value)
        return cls(**data)

    @classmethod
    def adhoc(cls, url: str) -> Source:
        """A source for one-off ingests of pages from sites that are not configured."""
        from urllib.parse import urlsplit

        host = (urlsplit(url).hostname or "").lower()
        site = host.removeprefix("www.")
        return cls(
            id=site, name=site, home=f"https://{host}/", parser="generic", allowed_domains=(site,)
        )

    def owns(self, url: str) -> bool:
        """True when ``url`` is on one of the source's domains (subdomains included)."""
        from crawler.urls import on_domains

        return on_domains(url, self.allowed_domains)

    def matches_article(self, url: str) -> bool:
        if self.exclude_pattern and re.search(self.exclude_pattern, url):
            return False
        return not self.article_pattern or re.search(self.article_pattern, url) is not None


# --------------------------------------------------------------------------- loading

T = TypeVar("T")


def _expected(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_expected(a) for a in typing.get_args(tp))
    if origin is tuple:
        return f"a list of {_expected(typing.get_args(tp)[0])}"
    if origin in (Mapping, dict):
        return "a table of strings"
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(tp, "nothing") if tp is not type(None) else "nothing"


def _coerce(value: Any, tp: Any, where: str, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; convert lists to tuples."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in typing.get_args(tp):
            return None
        inner = next(a for a in typing.get_args(tp) if a is not type(None))
        return _coerce(value, inner, where, key)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(where, key, value, _expected(tp))
        item_tp = typing.get_args(tp)[0]
        return tuple(_coerce(v, item_tp, where, key) for v in value)
    if origin in (Mapping, dict):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ConfigError(where, key, value, _expected(tp))
        return dict(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float) and isinstance(value, bool):
        raise ConfigError(where, key, value, _expected(tp))
    if not isinstance(value, tp):
        raise ConfigError(where, key, value, _expected(tp))
    return value


def _build(cls: type[T], data: Mapping[str, Any], where: str, prefix: str) -> T:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(where, f"{prefix}{key}", "<unknown key>", f"one of: {known}")
        kwargs[key] = _coerce(value, hints[key], where, f"{prefix}{key}")
    return cls(**kwargs)


def _env_value(raw: str, tp: Any, name: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
        origin = typing.get_origin(tp)
    if origin is tuple:
        return [part.strip() for part in raw.split(",") if part.strip()]
    try:
        if tp is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if tp is int:
            return int(raw)
        if tp is float:
            return float(raw)
    except ValueError:
        raise ConfigError(f"environment {name}", name, raw, _expected(tp)) from None
    return raw


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "(file)", "<missing file>", "an existing TOML file") from None
    except IsADirectoryError:
        raise ConfigError(str(path), "(file)", "<a directory>", "a TOML file") from None
    except PermissionError:
        raise ConfigError(str(path), "(file)", "<unreadable file>", "a readable file") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "(file)", "<not UTF-8>", "a UTF-8 TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "(syntax)", f"<{exc}>", "valid TOML") from None


def packaged_default(name: str) -> Path:
    """Path of a packaged default config file (``newswatch.toml``, ``sources.toml``...).

    An installed wheel carries them as ``crawler/defaults/`` (setup.py maps config/
    there); a source checkout or editable install reads the repository's ``config/``.
    """
    package_dir = Path(str(resources.files("crawler")))
    for candidate in (package_dir / "defaults" / name, package_dir.parent / "config" / name):
        if candidate.is_file():
            return candidate
    return package_dir / "defaults" / name


def env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Settings overrides from ``NEWSWATCH_<SECTION>_<KEY>`` variables (secrets included)."""
    out: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        for section, cls in SECTIONS.items():
            if not rest.startswith(section + "_"):
                continue
            key = rest[len(section) + 1 :]
            hints = get_type_hints(cls)
            if key in hints:
                out.setdefault(section, {})[key] = _env_value(raw, hints[key], name)
            break
    return out


def load_settings(
    config_path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Load settings: packaged defaults < ``config_path`` < environment < ``overrides``.

    With ``config_path`` None, ``./config/newswatch.toml`` is used when present, else
    the packaged defaults alone.
    """
    environ = os.environ if environ is None else environ
    path: Path | None
    if config_path is not None:
        path = Path(config_path)
    elif DEFAULT_CONFIG_PATH.is_file():
        path = DEFAULT_CONFIG_PATH
    else:
        path = None
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (str(packaged_default("newswatch.toml")), _read_toml(packaged_default("newswatch.toml")))
    ]
    if path is not None:
        layers.append((str(path), _read_toml(path)))
    layers.append(("environment", env_overrides(environ)))
    if overrides:
        layers.append(("command line", overrides))

    merged: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    for where, data in layers:
        for section, values in data.items():
            if section not in SECTIONS:
                raise ConfigError(
                    where, section, "<unknown section>", "one of: " + ", ".join(SECTIONS)
                )
            if not isinstance(values, Mapping):
                raise ConfigError(where, section, values, "a table")
            for key, value in values.items():
                if section in ("smtp", "cluster") and key == "password" and where != "environment":
                    env = f"NEWSWATCH_{section.upper()}_PASSWORD"
                    raise ConfigError(
                        where,
                        f"{section}.password",
                        "<a password>",
                        f"${env} (secrets come only from the environment)",
                    )
                merged.setdefault(section, {})[key] = value
                origin[f"{section}.{key}"] = where
    built: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        values = merged.get(section, {})
        for key, value in values.items():
            _check_one(cls, section, key, value, origin.get(f"{section}.{key}", "?"))
        built[section] = _build(cls, values, "settings", f"{section}.")
    settings = Settings(**built, config_path=path)
    validate_settings(settings, origin)
    return settings


def _check_one(cls: type, section: str, key: str, value: Any, where: str) -> None:
    """Type-check one key so that the error names the layer it came from."""
    _build(cls, {key: value}, where, f"{section}.")


def validate_settings(settings: Settings, origin: Mapping[str, str] | None = None) -> None:
    """Semantic checks beyond types: time zones, cron expressions, enumerations, ranges."""
    origin = origin or {}

    def where(key: str) -> str:
        return origin.get(key, "settings")

    for key, tz in (
        ("schedule.timezone", settings.schedule.timezone),
        ("digest.timezone", settings.digest.timezone),
    ):
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                where(key), key, tz, "an IANA time zone such as Asia/Ho_Chi_Minh"
            ) from None
    for key, expr in (
        ("schedule.crawl", settings.schedule.crawl),
        ("schedule.digest", settings.schedule.digest),
    ):
        check_cron(expr, where(key), key)
    if settings.smtp.security not in {"starttls", "ssl", "none"}:
        raise ConfigError(
            where("smtp.security"), "smtp.security", settings.smtp.security, "starttls, ssl or none"
        )
    if not 0 < settings.smtp.port < 65536:
        raise ConfigError(
            where("smtp.port"), "smtp.port", settings.smtp.port, "a port number 1-65535"
        )
    positive = {
        "crawl.download_delay": settings.crawl.download_delay,
        "crawl.download_timeout": settings.crawl.download_timeout,
        "crawl.timeout": settings.crawl.timeout,
        "crawl.max_page_bytes": settings.crawl.max_page_bytes,
        "crawl.concurrency_per_domain": settings.crawl.concurrency_per_domain,
        "crawl.parallel_sources": settings.crawl.parallel_sources,
        "storage.timeout": settings.storage.timeout,
    }
    for key, value in positive.items():
        minimum = 0 if key == "crawl.download_delay" else 1e-9
        if value < minimum:
            raise ConfigError(where(key), key, value, "a positive number")
    if settings.crawl.parse_workers < 0:
        raise ConfigError(
            where("crawl.parse_workers"),
            "crawl.parse_workers",
            settings.crawl.parse_workers,
            "0 or a positive number of processes",
        )
    if not 0 < settings.dedupe.threshold <= 1:
        raise ConfigError(
            where("dedupe.threshold"),
            "dedupe.threshold",
            settings.dedupe.threshold,
            "a number in (0, 1]",
        )
    # A MinHash of fewer permutations cannot estimate similarity usefully (error > 0.12
    # at 0.5); more than 1024 only costs time and space.
    if not 16 <= settings.dedupe.num_perm <= 1024:
        raise ConfigError(
            where("dedupe.num_perm"),
            "dedupe.num_perm",
            settings.dedupe.num_perm,
            "an integer from 16 to 1024",
        )
    if not 1 <= settings.dedupe.shingle_size <= 16:
        raise ConfigError(
            where("dedupe.shingle_size"),
            "dedupe.shingle_size",
            settings.dedupe.shingle_size,
            "an integer from 1 to 16",
        )
    _validate_cluster(settings, where)
    for recipient in settings.digest.recipients:
        if not re.fullmatch(r"[^@\s,<>]+@[^@\s,<>]+", recipient):
            raise ConfigError(
                where("digest.recipients"), "digest.recipients", recipient, "e-mail addresses"
            )


def _validate_cluster(settings: Settings, where: Any) -> None:
    """Scrapyd node URLs, the project name Scrapyd accepts, positive capacity and polling."""
    from urllib.parse import urlsplit

    cluster = settings.cluster
    for node in cluster.nodes:
        parts = urlsplit(node)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                where("cluster.nodes"),
                "cluster.nodes",
                node,
                "Scrapyd base URLs such as http://10.0.0.5:6800",
            )
    if not re.fullmatch(r"[A-Za-z0-9_-]+", cluster.project):
        raise ConfigError(
            where("cluster.project"),
            "cluster.project",
            cluster.project,
            "a Scrapyd project name (letters, digits, - and _)",
        )
    if cluster.capacity < 1:
        raise ConfigError(
            where("cluster.capacity"), "cluster.capacity", cluster.capacity, "1 or more jobs"
        )
    if cluster.poll_seconds <= 0:
        raise ConfigError(
            where("cluster.poll_seconds"),
            "cluster.poll_seconds",
            cluster.poll_seconds,
            "a positive number of seconds",
        )


def check_cron(expr: str, where: str, key: str) -> None:
    """Raise ConfigError unless ``expr`` is a 5-field crontab expression (crontab(5) rules)."""
    from crawler.cron import crontab_trigger

    if len(expr.split()) != 5:
        raise ConfigError(where, key, expr, "a 5-field cron expression such as '0 */3 * * *'")
    try:
        crontab_trigger(expr, "UTC")
    except ValueError as exc:
        raise ConfigError(where, key, expr, f"a valid cron expression ({exc})") from None


# --------------------------------------------------------------------------- sources


def resolve_file(settings: Settings, name: str) -> Path:
    """Resolve a file named in ``[files]``: next to the settings file, else packaged."""
    candidate = Path(name)
    if not candidate.is_absolute():
        candidate = settings.base_dir / candidate
    if candidate.is_file():
        return candidate
    packaged = packaged_default(Path(name).name)
    if settings.config_path is None and packaged.is_file():
        return packaged
    where = str(settings.config_path or "settings")
    key = "files." + next(
        (k for k, v in dataclasses.asdict(settings.files).items() if v == name), "?"
    )
    raise ConfigError(where, key, str(candidate), "an existing file")


def load_sources(path: str | os.PathLike[str]) -> dict[str, Source]:
    """Read ``sources.toml``: ``[sources.<id>]`` blocks, validated."""
    where = str(path)
    data = _read_toml(Path(path))
    unknown = set(data) - {"sources"}
    if unknown:
        raise ConfigError(where, sorted(unknown)[0], "<unknown key>", "only [sources.<id>] tables")
    blocks = data.get("sources", {})
    if not isinstance(blocks, dict):
        raise ConfigError(where, "sources", blocks, "a table of [sources.<id>] blocks")
    sources: dict[str, Source] = {}
    for source_id, block in blocks.items():
        prefix = f"sources.{source_id}."
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", source_id):
            raise ConfigError(
                where,
                f"sources.{source_id}",
                source_id,
                "an id of lowercase letters, digits, - and _",
            )
        if not isinstance(block, dict):
            raise ConfigError(where, f"sources.{source_id}", block, "a table")
        for required in ("name", "home"):
            if required not in block:
                raise ConfigError(where, prefix + required, "<missing>", "a string")
        source = _build(Source, {"id": source_id, **block}, where, prefix)
        sources[source_id] = _validate_source(source, where, prefix)
    return sources


def _validate_source(source: Source, where: str, prefix: str) -> Source:
    urls = {
        "home": (source.home,),
        "feeds": source.feeds,
        "sitemaps": source.sitemaps,
        "listings": source.listings,
    }
    for key, values in urls.items():
        for url in values:
            try:
                canonical_url(url)
            except InvalidURL:
                raise ConfigError(where, prefix + key, url, "an absolute http(s) URL") from None
    for key in ("article_pattern", "exclude_pattern"):
        pattern = getattr(source, key)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                where, prefix + key, pattern, f"a regular expression ({exc})"
            ) from None
    if source.schedule:
        check_cron(source.schedule, where, prefix + "schedule")
    if not source.entry_points and source.enabled:
        raise ConfigError(
            where, prefix + "feeds", "<none>", "at least one of feeds, sitemaps, listings"
        )
    from urllib.parse import urlsplit

    domains = set(source.allowed_domains)
    for url in (source.home, *source.entry_points):
        host = urlsplit(url).hostname or ""
        domains.add(host.removeprefix("www."))
    return dataclasses.replace(source, allowed_domains=tuple(sorted(domains)))


# --------------------------------------------------------------------------- display


def settings_as_dict(settings: Settings, *, redact: bool = True) -> dict[str, Any]:
    """Settings as nested plain data, secrets redacted (for ``config show``)."""
    out: dict[str, Any] = {}
    for section in SECTIONS:
        values = dataclasses.asdict(getattr(settings, section))
        for key, value in values.items():
            if isinstance(value, tuple):
                values[key] = list(value)
        if redact and "password" in values:
            values["password"] = REDACTED if values["password"] else ""
        out[section] = values
    return out


def iter_config_lines(data: Mapping[str, Any]) -> Iterator[str]:
    """Render nested settings as TOML-ish lines."""
    import json

    for section, values in data.items():
        yield f"[{section}]"
        for key, value in values.items():
            yield f"{key} = {json.dumps(value, ensure_ascii=False)}"
        yield ""
