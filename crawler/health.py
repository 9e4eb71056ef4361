"""Source health: is each source still being crawled, and still parsed, as usual?

Sites change their markup and URLs without notice; a crawl then still "succeeds" but
finds nothing, or finds pages the parser no longer understands. Like spidermon's
monitors, health is a set of assertions on each source's recorded crawl statistics
(``run_sources``), compared with the source's own history:

* **failing**: its last ``health.failed_runs`` crawls all failed (error, timeout,
  killed). Interrupted crawls (the operator stopped them) are ignored.
* **empty**: its last ``health.empty_runs`` successful crawls found zero article links,
  while it usually finds some. A crawl whose entry points all answered 304 (nothing
  changed since the last crawl) found nothing for a good reason and does not count.
* **degraded**: the share of its article pages that yield a title, a publication time
  or a body fell below ``health.coverage_drop`` of its usual share (the pages of the
  last ``health.history_runs`` crawls): a layout change the parser does not follow.
  Pages the parser rejects count as pages without any field.

A source with no finished crawl is "never crawled" (no evidence either way: healthy).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from crawler.config import HealthSettings, Settings, Source
from storage import runs

STATUSES = ("ok", "failing", "empty", "degraded", "never crawled")
FAILED = ("failed", "timeout", "killed")
NEUTRAL = ("interrupted",)  # stopped by the operator: says nothing about the site
FIELDS = {"title": "title", "published": "publication time", "text": "body"}
# Pooled article pages needed before coverage is judged: one odd page is not a redesign.
MIN_SAMPLE_PAGES = 5
# A field the source rarely has cannot "drop"; below this usual share it is not watched.
MIN_USUAL_SHARE = 0.2


@dataclass(frozen=True)
class SourceHealth:
    """The verdict on one source."""

    source: str
    name: str
    status: str  # one of STATUSES
    reason: str  # a sentence for a human
    last_success: str | None = None
    last_error: str | None = None
    crawls: int = 0  # finished crawls looked at

    @property
    def healthy(self) -> bool:
        return self.status in ("ok", "never crawled")

    def as_row(self) -> dict[str, str]:
        """The row the digest's health section and ``status --format json`` show."""
        return {
            "source": self.source,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
        }


def assess(
    db: sqlite_utils.Database, settings: Settings, sources: Iterable[Source]
) -> list[SourceHealth]:
    """The health of each of ``sources``, in the order given."""
    return [assess_source(db, source, settings.health) for source in sources]


def digest_rows(
    db: sqlite_utils.Database, settings: Settings, sources: Iterable[Source]
) -> list[dict[str, str]]:
    """Rows for the digest's health section: the enabled sources that are not healthy."""
    enabled = [s for s in sources if s.enabled]
    return [h.as_row() for h in assess(db, settings, enabled) if not h.healthy]


def assess_source(db: sqlite_utils.Database, source: Source, cfg: HealthSettings) -> SourceHealth:
    """The health of one source from its recorded crawls."""
    window = max(cfg.history_runs, cfg.failed_runs, cfg.empty_runs)
    # Unchanged and interrupted crawls are skipped by the checks: read enough to see past them.
    history = runs.crawl_history(db, source.id, limit=max(30, 3 * window))
    last_ok = next((r for r in history if r["status"] == "ok"), None)

    def verdict(status: str, reason: str) -> SourceHealth:
        return SourceHealth(
            source=source.id,
            name=source.name,
            status=status,
            reason=reason,
            last_success=last_ok["finished_at"] if last_ok else None,
            last_error=next((r["last_error"] for r in history if r["last_error"]), None),
            crawls=len(history),
        )

    if not history:
        return verdict("never crawled", "not crawled yet")
    for check in (_failing, _empty, _degraded):
        found = check(history, cfg)
        if found is not None:
            return verdict(*found)
    return verdict("ok", _ok_reason(history, cfg))


# --------------------------------------------------------------------------- checks

Verdict = tuple[str, str] | None


def _failing(history: Sequence[Mapping[str, Any]], cfg: HealthSettings) -> Verdict:
    streak = _leading(
        [r for r in history if r["status"] not in NEUTRAL], lambda r: r["status"] in FAILED
    )
    if len(streak) < cfg.failed_runs:
        return None
    kinds = sorted({r["status"] for r in streak})
    how = f" ({', '.join(kinds)})" if kinds != ["failed"] else ""
    error = streak[0]["last_error"] or streak[0]["finish_reason"] or "no error recorded"
    what = "its last crawl" if len(streak) == 1 else f"its last {len(streak)} crawls"
    return ("failing", f"{what} failed{how}; last error: {error}")


def unchanged(row: Mapping[str, Any]) -> bool:
    """True when every entry point that answered said 304: nothing new, nothing to find."""
    answered = row.get("entry_points_ok") or 0
    return answered > 0 and (row.get("responses_304") or 0) >= answered


def _empty(history: Sequence[Mapping[str, Any]], cfg: HealthSettings) -> Verdict:
    telling = [r for r in history if r["status"] == "ok" and not unchanged(r)]
    streak = _leading(telling, lambda r: not r["articles_found"])
    if len(streak) < cfg.empty_runs:
        return None
    before = telling[len(streak) : len(streak) + cfg.history_runs]
    if not before:
        return (
            "empty",
            f"none of its {len(streak)} crawls found an article link: check its entry "
            "points and article_pattern",
        )
    usual = statistics.median(r["articles_found"] for r in before)
    if usual <= 0:
        return None  # it usually finds nothing either: quiet, not broken
    return (
        "empty",
        f"its last {len(streak)} crawls found no article links (usually {usual:g}): the "
        "site's listing markup or URL scheme may have changed",
    )


def _degraded(history: Sequence[Mapping[str, Any]], cfg: HealthSettings) -> Verdict:
    fetched = [
        r
        for r in history[: cfg.history_runs]
        if r["status"] == "ok"
        and (r["article_pages"] or 0) > 0
        and r.get("articles_extracted") is not None
    ]
    recent, usual = _split_sample(fetched)
    if not recent or not usual:
        return None
    recent_pages = sum(r["article_pages"] for r in recent)
    dropped = []
    for field, label in FIELDS.items():
        now_share = _share(recent, field)
        usual_share = _share(usual, field)
        if usual_share >= MIN_USUAL_SHARE and now_share < cfg.coverage_drop * usual_share:
            dropped.append(f"{label} found on {now_share:.0%} (usually {usual_share:.0%})")
    if not dropped:
        return None
    return (
        "degraded",
        f"in its last {recent_pages} article pages: {', '.join(dropped)}; the page layout "
        "may have changed",
    )


def _split_sample(
    rows: Sequence[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(the newest crawls pooled to MIN_SAMPLE_PAGES pages, the older ones), or empties."""
    pages = 0
    for i, row in enumerate(rows):
        pages += row["article_pages"]
        if pages >= MIN_SAMPLE_PAGES:
            recent, usual = list(rows[: i + 1]), list(rows[i + 1 :])
            if sum(r["article_pages"] for r in usual) >= MIN_SAMPLE_PAGES:
                return recent, usual
            break
    return [], []


def _share(rows: Sequence[Mapping[str, Any]], field: str) -> float:
    """Share of the rows' article pages that yielded ``field``."""
    pages = sum(r["article_pages"] for r in rows)
    have = sum(round((r[f"coverage_{field}"] or 0) * (r["articles_extracted"] or 0)) for r in rows)
    return have / pages if pages else 0.0


def _ok_reason(history: Sequence[Mapping[str, Any]], cfg: HealthSettings) -> str:
    telling = [r for r in history if r["status"] not in NEUTRAL]
    if not telling:
        return "its only crawls were interrupted"
    last = telling[0]
    if last["status"] in FAILED:
        failures = len(_leading(telling, lambda r: r["status"] in FAILED))
        error = last["last_error"] or last["finish_reason"] or "no error recorded"
        return (
            f"last crawl {last['status']} ({failures} in a row, {cfg.failed_runs} make it "
            f"failing): {error}"
        )
    if unchanged(last):
        return "last crawl ok: nothing changed since the one before (304)"
    return (
        f"last crawl ok: {last['articles_found'] or 0} article links, "
        f"{last['articles_new'] or 0} new"
    )


def _leading(rows: Sequence[Mapping[str, Any]], test: Any) -> list[Mapping[str, Any]]:
    """The longest prefix of ``rows`` (newest first) whose rows all pass ``test``."""
    out = []
    for row in rows:
        if not test(row):
            break
        out.append(row)
    return out
