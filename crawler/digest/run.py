"""One digest run: retry pending deliveries, create new digests, deliver, refresh the feed.

The outbox makes delivery exactly-once per recipient, as far as SMTP allows:

1. A digest, its items and one ``pending`` delivery row per recipient are written in one
   ``BEGIN IMMEDIATE`` transaction, together with the selection that chose the stories,
   so two concurrent runs cannot both select the same stories (the second waits for the
   lock and then finds them carried). ``digests.content_key`` is unique as well.
2. Sending happens after the commit, from the stored message bytes. A delivery becomes
   ``sent`` only after the server's 250; a 5xx makes it ``failed``; anything else leaves
   it ``pending`` for the next run, which resends the same bytes (same Message-ID).
3. While a process delivers, it holds a claim on the rows (``host:pid``); a claim is
   taken over when that process is gone or its lease has run out, so a killed run is
   finished by the next one and two live runs never send the same row.

A process killed after the server accepted but before the row was marked can cause one
resend of the identical message, recognisable by its Message-ID; nothing is ever lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from crawler.config import ConfigError, Settings
from crawler.digest import deliver as dl
from crawler.digest.deliver import FILES, Mailer, Outcome
from crawler.digest.feed import write_feed
from crawler.digest.render import (
    DigestContext,
    Renderer,
    build_message,
    make_subject,
    new_message_id,
    sender_address,
    stories_phrase,
    unhealthy,
)
from crawler.digest.select import Entry, Plan, group_plans, load_entries, plan_for
from crawler.urls import is_http_url
from storage import digests as store
from storage.articles import utc_now
from storage.db import write_transaction

GENERATED_TIME = "%d/%m/%Y %H:%M"


@dataclass(frozen=True)
class Preview:
    """A digest a dry run would create: who would get it and its plain-text part."""

    subject: str
    recipients: list[str]
    text: str


@dataclass
class DigestReport:
    """What a run did. ``sent``/``failed`` count this run's deliveries per recipient;
    ``pending`` counts deliveries still waiting in the database after the run."""

    dry_run: bool = False
    created: list[int] = field(default_factory=list)
    stories: int = 0  # open-source-AI stories in the digests created now
    other_stories: int = 0
    retried: int = 0  # deliveries left pending by earlier runs, attempted now
    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    in_progress: int = 0  # pending deliveries another live run is sending right now
    errors: dict[str, str] = field(default_factory=dict)  # recipient -> last error now
    files: list[Path] = field(default_factory=list)
    feed: Path | None = None
    feed_entries: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # e.g. the feed could not be written
    previews: list[Preview] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing is left waiting and the feed was written."""
        return not self.failed and not self.pending and not self.problems

    def count(self, bucket: dict[str, int], recipient: str) -> None:
        bucket[recipient] = bucket.get(recipient, 0) + 1

    def summary(self) -> str:
        """One line for the command line and the logs."""
        if self.dry_run:
            return self._dry_summary()
        parts = []
        if self.created:
            ids = ", ".join(f"#{i}" for i in self.created)
            what = stories_phrase(self.stories)
            if self.other_stories:
                what += f" + {self.other_stories} other AI"
            parts.append(f"{len(self.created)} new digest{_s(self.created)} ({ids}: {what})")
        else:
            parts.append("no new open-source AI stories")
        if self.retried:
            parts.append(
                f"{self.retried} earlier deliver{'y' if self.retried == 1 else 'ies'} retried"
            )
        parts.append("sent: " + (_names(self.sent) or "nothing"))
        if self.failed:
            parts.append("FAILED: " + _names(self.failed, self.errors))
        if self.pending:
            parts.append("pending (retried next run): " + _names(self.pending, self.errors))
        if self.in_progress:
            parts.append(f"{self.in_progress} being sent by another run")
        if self.files:
            parts.append(f"{len(self.files)} files written")
        if self.feed is not None:
            parts.append(f"feed {self.feed} ({self.feed_entries} entries)")
        return "digest: " + "; ".join(parts + self.notes + self.problems)

    def _dry_summary(self) -> str:
        if self.previews:
            who = "; ".join(", ".join(p.recipients) for p in self.previews)
            head = f"would create {len(self.previews)} digest{_s(self.previews)} for {who}"
        else:
            head = "no new open-source AI stories"
        waiting = sum(self.pending.values())
        tail = f"; {waiting} pending deliver{'y' if waiting == 1 else 'ies'} would be retried"
        return f"digest (dry run): {head}{tail if waiting else ''}; nothing sent, written or marked"


def _s(items: Sequence[Any]) -> str:
    return "" if len(items) == 1 else "s"


def _names(bucket: Mapping[str, int], errors: Mapping[str, str] | None = None) -> str:
    out = []
    for name, n in sorted(bucket.items()):
        label = name if n == 1 else f"{name} x{n}"
        if errors and name in errors:
            label += f" ({errors[name]})"
        out.append(label)
    return ", ".join(out)


@dataclass(frozen=True)
class Targets:
    """Who digests are for. ``selection``: whose history decides what is new."""

    selection: tuple[str, ...]
    email: bool  # SMTP configured: e-mail recipients plus the "files" archive

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets:
        if not settings.smtp.host:
            return cls(selection=(FILES,), email=False)
        if not settings.digest.recipients:
            where = str(settings.config_path or "settings")
            raise ConfigError(
                where, "digest.recipients", "<none>", "at least one address when smtp.host is set"
            )
        for address in settings.digest.recipients:
            if not address.isascii():  # smtplib speaks ASCII only (no SMTPUTF8)
                where = str(settings.config_path or "settings")
                raise ConfigError(where, "digest.recipients", address, "ASCII e-mail addresses")
        if settings.smtp.username and not settings.smtp.password:
            raise ConfigError(
                "environment",
                "smtp.password",
                "<not set>",
                "$NEWSWATCH_SMTP_PASSWORD when smtp.username is set",
            )
        return cls(selection=tuple(dict.fromkeys(settings.digest.recipients)), email=True)

    def deliveries(self, recipients: Sequence[str]) -> list[str]:
        """Delivery rows of a new digest: its recipients, plus the archive with e-mail."""
        return [*recipients, FILES] if self.email else list(recipients)


# --------------------------------------------------------------------------- claims


def _claim_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _stale_check(lease_seconds: float) -> Callable[[str, str], bool]:
    """A claim is stale when its process is gone (same host) or its lease ran out."""
    here = socket.gethostname()

    def is_stale(claimed_by: str, claimed_at: str) -> bool:
        try:
            age = (utc_now() - datetime.fromisoformat(claimed_at)).total_seconds()
        except (TypeError, ValueError):
            return True
        if age > lease_seconds:
            return True
        host, _, pid = claimed_by.rpartition(":")
        return host == here and pid.isdigit() and not _pid_alive(int(pid))

    return is_stale


def lease_seconds(settings: Settings) -> float:
    """Longest a live sender may need: every SMTP step is bounded by smtp.timeout."""
    steps = 8 + len(settings.digest.recipients)  # connect, EHLO, TLS, login, MAIL, RCPT..., DATA
    return max(300.0, settings.smtp.timeout * steps + 60.0)


# --------------------------------------------------------------------------- creation


def _context(
    settings: Settings,
    plan: Plan,
    entries: Mapping[int, Entry],
    health: Sequence[Mapping[str, str]],
    now: datetime,
    digest_id: int | None,
) -> DigestContext:
    tz = ZoneInfo(settings.digest.timezone)
    osai = _newest_first(entries[s] for s in plan.open_source_ai if s in entries)
    other = _newest_first(entries[s] for s in plan.other_ai if s in entries)
    site = settings.digest.site_url
    return DigestContext(
        subject=make_subject(settings.digest.subject_prefix, len(osai), now, tz),
        headline=stories_phrase(len(osai)),
        date=now.astimezone(tz).strftime("%d/%m/%Y"),
        generated=now.astimezone(tz).strftime(GENERATED_TIME),
        timezone=settings.digest.timezone,
        open_source_ai=osai,
        other_ai=other,
        more_open_source_ai=plan.more_open_source_ai,
        more_other_ai=plan.more_other_ai,
        health=unhealthy(health) if settings.digest.include_health else [],
        site_url=site if is_http_url(site) else None,
        digest_id=digest_id,
    )


def _newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.sort_time, e.story_id), reverse=True)


def _items(context: DigestContext) -> list[dict[str, Any]]:
    items = []
    for section, entries in (
        (store.SECTION_OSAI, context.open_source_ai),
        (store.SECTION_OTHER, context.other_ai),
    ):
        for position, entry in enumerate(entries, start=1):
            for member in entry.members:
                items.append(
                    {
                        "article_id": member.article_id,
                        "story_id": entry.story_id,
                        "section": section,
                        "role": "primary" if member.primary else "member",
                        "position": position,
                        "url": member.url,
                        "title": member.title,
                    }
                )
    return items


def _content_key(
    db: sqlite_utils.Database, deliveries: Sequence[str], items: Iterable[Mapping[str, Any]]
) -> str:
    """Same recipients, same history length, same articles: the same digest, refused twice."""
    counts = store.delivery_counts(db, deliveries)
    payload = {
        "recipients": sorted(counts.items()),
        "articles": sorted(int(i["article_id"]) for i in items),
    }
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _plans(
    db: sqlite_utils.Database, settings: Settings, targets: Targets
) -> list[tuple[list[str], Plan]]:
    plans = [
        plan_for(
            db,
            recipient,
            max_items=settings.digest.max_items,
            include_other=settings.digest.include_other_ai,
        )
        for recipient in targets.selection
    ]
    return group_plans(plans)


def _entries(
    db: sqlite_utils.Database, settings: Settings, groups: Sequence[tuple[list[str], Plan]]
) -> dict[int, Entry]:
    ids = {s for _, plan in groups for s in (*plan.open_source_ai, *plan.other_ai)}
    tz = ZoneInfo(settings.digest.timezone)
    return {e.story_id: e for e in load_entries(db, ids, tz)}


def create_digests(
    db: sqlite_utils.Database,
    settings: Settings,
    targets: Targets,
    renderer: Renderer,
    health: Sequence[Mapping[str, str]],
    now: datetime,
    claim: str,
    report: DigestReport,
) -> list[int]:
    """Select and store new digests under the write lock; returns their ids."""
    created = []
    osai_ids: set[int] = set()
    other_ids: set[int] = set()
    with write_transaction(db):
        groups = _plans(db, settings, targets)
        entries = _entries(db, settings, groups)
        for recipients, plan in groups:
            digest_id = store.next_digest_id(db)
            context = _context(settings, plan, entries, health, now, digest_id)
            if not context.open_source_ai:  # stories vanished between queries: nothing new
                continue
            rendered = renderer.render(context)
            message_id = new_message_id(settings.digest.sender, digest_id)
            message = build_message(
                subject=context.subject,
                sender=settings.digest.sender,
                recipients=recipients if targets.email else [],
                rendered=rendered,
                message_id=message_id,
                when=now,
                digest_id=digest_id,
            )
            items = _items(context)
            deliveries = targets.deliveries(recipients)
            tz = ZoneInfo(settings.digest.timezone)
            store.insert_digest(
                db,
                {
                    "id": digest_id,
                    "created_at": now.isoformat(),
                    "message_id": message_id,
                    "content_key": _content_key(db, deliveries, items),
                    "subject": context.subject,
                    "stories": len(context.open_source_ai),
                    "other_stories": len(context.other_ai),
                    "health_alerts": len(context.health),
                    "file_stem": f"digest-{digest_id:06d}-{now.astimezone(tz):%Y-%m-%d}",
                    "message": message.as_bytes(policy=policy.SMTP),
                    "markdown": rendered.markdown,
                },
                items,
                deliveries,
                claimed_by=claim,
            )
            created.append(digest_id)
            osai_ids.update(e.story_id for e in context.open_source_ai)
            other_ids.update(e.story_id for e in context.other_ai)
    report.created.extend(created)
    report.stories += len(osai_ids)
    report.other_stories += len(other_ids)
    return created


# --------------------------------------------------------------------------- delivery


def _record(
    db: sqlite_utils.Database,
    settings: Settings,
    row: Mapping[str, Any],
    outcome: Outcome,
    report: DigestReport,
) -> None:
    status, error = outcome.status, outcome.error
    if status == dl.PENDING and int(row["attempts"]) + 1 >= settings.smtp.max_attempts:
        status = dl.FAILED
        error = f"gave up after {int(row['attempts']) + 1} attempts: {error}"
    store.record_attempt(db, int(row["id"]), status, code=outcome.code, error=error)
    recipient = row["recipient"]
    if status == dl.SENT:
        report.count(report.sent, recipient)
    elif status == dl.FAILED:
        report.count(report.failed, recipient)
    if error and status != dl.SENT:
        report.errors[recipient] = error


def _deliver_files(
    db: sqlite_utils.Database,
    settings: Settings,
    digest: Mapping[str, Any],
    row: Mapping[str, Any],
    out_dir: Path,
    report: DigestReport,
) -> None:
    try:
        paths = dl.write_files(out_dir, digest["file_stem"], digest["message"], digest["markdown"])
    except OSError as exc:
        _record(
            db, settings, row, Outcome(dl.PENDING, None, f"cannot write {out_dir}: {exc}"), report
        )
        return
    report.files.extend(paths)
    _record(db, settings, row, Outcome(dl.SENT), report)


def deliver(
    db: sqlite_utils.Database,
    settings: Settings,
    rows: Sequence[Mapping[str, Any]],
    out_dir: Path,
    mailer: Mailer,
    report: DigestReport,
) -> None:
    """Attempt the claimed delivery ``rows``: files first, then one SMTP transaction per
    digest for its e-mail recipients."""
    by_digest: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_digest.setdefault(int(row["digest_id"]), []).append(row)
    configured = set(settings.digest.recipients)
    for digest_id, deliveries in sorted(by_digest.items()):
        digest = store.get_digest(db, digest_id)
        emails = []
        for row in deliveries:
            if row["recipient"] == FILES:
                _deliver_files(db, settings, digest, row, out_dir, report)
            elif row["recipient"] not in configured:
                reason = "no longer in digest.recipients"
                store.mark_failed(db, int(row["id"]), reason)
                report.count(report.failed, row["recipient"])
                report.errors[row["recipient"]] = reason
            elif not settings.smtp.host:
                _note(report, "smtp.host is not set: e-mail deliveries wait for it")
            else:
                emails.append(row)
        if not emails:
            continue
        outcomes = mailer.send(
            sender_address(settings.digest.sender),
            [r["recipient"] for r in emails],
            digest["message"],
        )
        for row in emails:
            _record(db, settings, row, outcomes[row["recipient"]], report)


def _note(report: DigestReport, note: str) -> None:
    if note not in report.notes:
        report.notes.append(note)


def _count_pending(db: sqlite_utils.Database, settings: Settings, report: DigestReport) -> None:
    """Pending deliveries after the run, apart from those another live run is sending."""
    is_stale = _stale_check(lease_seconds(settings))
    report.pending, report.in_progress = {}, 0
    for row in store.pending_deliveries(db):
        if row["claimed_by"] and not is_stale(row["claimed_by"], row["claimed_at"] or ""):
            report.in_progress += 1
        else:
            report.count(report.pending, row["recipient"])


# --------------------------------------------------------------------------- entry points


def run_digest(
    db: sqlite_utils.Database,
    settings: Settings,
    *,
    health: Sequence[Mapping[str, str]] = (),
    now: datetime | None = None,
    dry_run: bool = False,
    out_dir: Path | None = None,
) -> DigestReport:
    """Retry pending deliveries, create digests of new stories, deliver them, refresh the feed.

    No new open-source-AI story: no digest, no e-mail, no files (the feed is still
    rewritten). ``dry_run`` renders what would be created into ``report.previews`` and
    writes nothing. ``health`` rows ({source, name, status, reason}) whose status is not
    ok are listed in the digest when ``digest.include_health`` is on.
    """
    now = now or utc_now()
    if now.tzinfo is None:
        raise ValueError("run_digest: `now` must be timezone-aware")
    out = Path(out_dir) if out_dir is not None else Path(settings.digest.output_dir)
    targets = Targets.from_settings(settings)
    sender_address(settings.digest.sender)  # a bad sender is a configuration error, now
    renderer = Renderer(settings)  # template errors surface before anything is stored
    report = DigestReport(dry_run=dry_run)
    if dry_run:
        return _dry_run(db, settings, targets, renderer, health, now, report)
    claim = _claim_token()
    try:
        with Mailer(settings.smtp) as mailer:
            retry = store.claim_pending(db, claim, _stale_check(lease_seconds(settings)))
            report.retried = len(retry)
            deliver(db, settings, retry, out, mailer, report)
            created = create_digests(db, settings, targets, renderer, health, now, claim, report)
            fresh = [r for r in store.pending_deliveries(db) if r["digest_id"] in set(created)]
            deliver(db, settings, fresh, out, mailer, report)
    finally:
        store.release_claims(db, claim)
    _count_pending(db, settings, report)
    try:
        report.feed, report.feed_entries = write_feed(db, settings, out, now)
    except OSError as exc:
        report.problems.append(f"feed not written: {exc}")
    return report


def _dry_run(
    db: sqlite_utils.Database,
    settings: Settings,
    targets: Targets,
    renderer: Renderer,
    health: Sequence[Mapping[str, str]],
    now: datetime,
    report: DigestReport,
) -> DigestReport:
    groups = _plans(db, settings, targets)
    entries = _entries(db, settings, groups)
    for recipients, plan in groups:
        context = _context(settings, plan, entries, health, now, None)
        if context.open_source_ai:
            rendered = renderer.render(context)
            report.previews.append(Preview(context.subject, recipients, rendered.text))
            report.stories += len(context.open_source_ai)
            report.other_stories += len(context.other_ai)
    _count_pending(db, settings, report)
    return report


def digest_status(db: sqlite_utils.Database, limit: int = 5) -> list[dict[str, Any]]:
    """One dict per delivery of the last ``limit`` digests (and any still pending):
    digest_id, created_at, subject, message_id, stories, other_stories, recipient,
    status (pending | sent | failed), attempts, last_attempt_at, sent_at, smtp_code,
    last_error. Newest digest first."""
    return store.status_rows(db, limit)
