"""Rendering a digest: Jinja2 templates (overridable), the subject and the e-mail message.

Three templates, packaged in ``crawler/templates/``: ``digest.txt.j2`` (the plain-text
part), ``digest.html.j2`` (the HTML part, autoescaped: scraped titles are hostile
input) and ``digest.md.j2`` (the ``.md`` file). A same-named file in
``digest.templates_dir`` takes precedence. Links reach the templates only when they are
http(s). Headers never contain scraped text, and every header value is stripped of
CR/LF before it is set.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from crawler.config import ConfigError, Settings
from crawler.digest.select import Entry, one_line
from crawler.urls import is_http_url

TEMPLATES = {"text": "digest.txt.j2", "html": "digest.html.j2", "markdown": "digest.md.j2"}
HEALTHY = frozenset({"ok", "healthy", "good"})
SUBJECT_DATE = "%d/%m/%Y"
# Inline syntax anywhere; block syntax (heading, list, quote) only where a line starts.
_MD_INLINE_RE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_BLOCK_RE = re.compile(r"^(\s*)([#+-]|\d+(?=[.)]))([.)]?)")
_HEADER_BREAK_RE = re.compile(r"[\r\n\x00]+")


@dataclass(frozen=True)
class HealthRow:
    """An unhealthy source, as given by the caller."""

    source: str
    name: str
    status: str
    reason: str


@dataclass
class DigestContext:
    """Everything a template sees (documented in docs/digest.md)."""

    subject: str
    headline: str  # "3 new open-source AI stories"
    date: str  # "28/11/2026" in the digest time zone
    generated: str  # "28/11/2026 07:30"
    timezone: str
    open_source_ai: list[Entry]
    other_ai: list[Entry] = field(default_factory=list)
    more_open_source_ai: int = 0
    more_other_ai: int = 0
    health: list[HealthRow] = field(default_factory=list)
    site_url: str | None = None
    digest_id: int | None = None  # None in a dry run

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Rendered:
    text: str
    html: str
    markdown: str


def header_safe(value: str) -> str:
    """A header value with CR, LF and NUL replaced: header injection is impossible."""
    return _HEADER_BREAK_RE.sub(" ", value).strip()


def stories_phrase(count: int, kind: str = "open-source AI") -> str:
    return f"{count} new {kind} {'story' if count == 1 else 'stories'}"


def make_subject(prefix: str, count: int, when: datetime, tz: ZoneInfo) -> str:
    """'[newswatch] 3 new open-source AI stories — 28/11/2026' (date in ``tz``)."""
    date = when.astimezone(tz).strftime(SUBJECT_DATE)
    text = f"{stories_phrase(count)} — {date}"
    prefix = header_safe(prefix)
    return header_safe(f"{prefix} {text}" if prefix else text)


def unhealthy(rows: Sequence[Mapping[str, str]]) -> list[HealthRow]:
    """The rows whose status is not ok/healthy/good, as the caller computed them."""
    out = []
    for row in rows:
        status = one_line(str(row.get("status", "")))
        if status.lower() in HEALTHY:
            continue
        out.append(
            HealthRow(
                source=one_line(str(row.get("source", ""))),
                name=one_line(str(row.get("name", ""))) or one_line(str(row.get("source", ""))),
                status=status or "unknown",
                reason=one_line(str(row.get("reason", ""))),
            )
        )
    return out


def md_escape(value: object) -> str:
    """Escape Markdown syntax in scraped text (titles must not become links or headings)."""
    text = _MD_INLINE_RE.sub(r"\\\1", str(value))
    return _MD_BLOCK_RE.sub(_escape_block, text)


def _escape_block(match: re.Match[str]) -> str:
    indent, marker, dot = match.groups()
    # "# x" -> "\# x"; "1. x" -> "1\. x" (a backslash before a digit does nothing).
    return f"{indent}{marker}\\{dot}" if dot else f"{indent}\\{marker}"


def md_url(value: object) -> str:
    """A URL safe inside Markdown ``(...)``: spaces, parentheses and angle brackets encoded."""
    text = str(value)
    for char, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        text = text.replace(char, code)
    return text


def _safe_url(value: object) -> str:
    """Filter for user templates: an http(s) URL, or "" for anything else."""
    return str(value) if isinstance(value, str) and is_http_url(value) else ""


def templates_dir(settings: Settings) -> Path | None:
    """The user's template folder (relative to the settings file's folder), if set."""
    name = settings.digest.templates_dir.strip()
    if not name:
        return None
    folder = Path(name).expanduser()
    if not folder.is_absolute():
        folder = settings.base_dir / folder
    if not folder.is_dir():
        where = str(settings.config_path or "settings")
        raise ConfigError(where, "digest.templates_dir", str(folder), "an existing folder")
    return folder


class Renderer:
    """Loads (and compiles) the templates once; renders contexts to text, HTML, Markdown."""

    def __init__(self, settings: Settings) -> None:
        loaders: list[jinja2.BaseLoader] = []
        user = templates_dir(settings)
        if user is not None:
            loaders.append(jinja2.FileSystemLoader(str(user)))
        loaders.append(jinja2.PackageLoader("crawler", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            # HTML is escaped whatever a user template does not say; text is not HTML.
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2", "html"), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(md=md_escape, md_url=md_url, safe_url=_safe_url)
        self.templates = {kind: self._load(name) for kind, name in TEMPLATES.items()}

    def _load(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(
                exc.filename or name,
                "digest.templates_dir",
                f"<{exc.message} at line {exc.lineno}>",
                "a valid Jinja2 template",
            ) from None

    def render(self, context: DigestContext) -> Rendered:
        values = context.as_dict()
        out = {}
        for kind, template in self.templates.items():
            try:
                out[kind] = template.render(values)
            except jinja2.TemplateError as exc:
                raise ConfigError(
                    template.filename or template.name or kind,
                    "digest.templates_dir",
                    f"<{exc}>",
                    "a template that uses only the documented variables",
                ) from None
        return Rendered(text=out["text"], html=out["html"], markdown=out["markdown"])


def sender_address(sender: str) -> str:
    """The bare address of ``digest.sender`` (the SMTP envelope sender)."""
    _, address = parseaddr(header_safe(sender))
    if "@" not in address:
        raise ConfigError(
            "settings",
            "digest.sender",
            sender,
            "an address such as 'newswatch <newswatch@example.org>'",
        )
    return address


def new_message_id(sender: str, digest_id: int) -> str:
    """A globally unique Message-ID in the sender's domain, kept for every retry.

    Short on purpose: a header line over 78 characters gets folded, and some readers
    then see the folded id with a leading space.
    """
    domain = sender_address(sender).rpartition("@")[2] or "newswatch.invalid"
    return f"<{digest_id}.{secrets.token_hex(8)}.newswatch@{domain}>"


def build_message(
    *,
    subject: str,
    sender: str,
    recipients: Sequence[str],
    rendered: Rendered,
    message_id: str,
    when: datetime,
    digest_id: int,
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) with safe headers."""
    message = EmailMessage()  # default policy: refuses CR/LF in header values
    message["Subject"] = header_safe(subject)
    message["From"] = header_safe(sender)
    if len(recipients) == 1:
        message["To"] = header_safe(recipients[0])
    elif recipients:
        # One message goes to every recipient of this digest (same bytes, same Message-ID,
        # so retries stay exact); like Bcc, no reader sees the other addresses.
        message["To"] = "undisclosed-recipients:;"
    message["Date"] = format_datetime(when)
    message["Message-ID"] = header_safe(message_id)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-Newswatch-Digest"] = str(digest_id)
    # Quoted-printable: 7-bit safe for any server, still legible in the raw .eml.
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return message
