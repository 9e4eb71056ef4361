"""Cron arithmetic, the job plan and catch-up planning, with a controlled clock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crawler.config import Settings, Source, load_settings
from crawler.cron import crontab_trigger as cron_trigger
from crawler.cron import crontab_weekdays, missed, next_fire, period, previous_fire
from crawler.scheduler import JobSpec, plan_catch_up, plan_jobs
from storage import connect, runs
from storage.db import write_transaction

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def source(sid: str, schedule: str = "", enabled: bool = True) -> Source:
    return Source(
        id=sid, name=sid, home=f"https://{sid}.example/", schedule=schedule, enabled=enabled
    )


def test_fire_times_of_a_cron_expression() -> None:
    every3h = cron_trigger("0 */3 * * *", "Asia/Ho_Chi_Minh")
    now = at("2026-03-07T10:15:00")
    assert next_fire(every3h, now) == at("2026-03-07T12:00:00")
    assert next_fire(every3h, at("2026-03-07T12:00:00")) == at(
        "2026-03-07T15:00:00"
    )  # strictly after
    assert previous_fire(every3h, now) == at("2026-03-07T09:00:00")
    assert previous_fire(every3h, at("2026-03-07T09:00:00")) == at("2026-03-07T09:00:00")
    assert period(every3h, now) == timedelta(hours=3)
    daily = cron_trigger("30 7 * * *", "Asia/Ho_Chi_Minh")
    assert previous_fire(daily, now) == at("2026-03-07T07:30:00")
    assert previous_fire(daily, at("2026-03-07T07:00:00")) == at("2026-03-06T07:30:00")
    assert period(daily, now) == timedelta(days=1)
    yearly = cron_trigger("0 0 1 1 *", "Asia/Ho_Chi_Minh")
    assert previous_fire(yearly, now) == at("2026-01-01T00:00:00")


def test_missed_means_a_fire_time_in_between() -> None:
    every3h = cron_trigger("0 */3 * * *", "Asia/Ho_Chi_Minh")
    assert missed(every3h, at("2026-03-07T08:59:00"), at("2026-03-07T09:00:00"))
    assert not missed(every3h, at("2026-03-07T09:00:00"), at("2026-03-07T11:59:59"))
    # Business hours: nothing fires over the weekend.
    weekdays = cron_trigger("0 9-17 * * 1-5", "Asia/Ho_Chi_Minh")
    assert not missed(weekdays, at("2026-03-06T17:00:00"), at("2026-03-08T12:00:00"))  # Fri -> Sun


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("*", "*"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("5-7", "sun,fri,sat"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("sat,sun", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
    ],
)
def test_weekdays_follow_crontab_not_apscheduler(field: str, days: str) -> None:
    assert crontab_weekdays(field) == days


def test_weekday_numbers_mean_what_crontab_says() -> None:
    weekdays = cron_trigger("0 9 * * 1-5", "Asia/Ho_Chi_Minh")
    friday_evening = at("2026-03-06T18:00:00")
    assert next_fire(weekdays, friday_evening) == at("2026-03-09T09:00:00")  # Monday
    sunday = cron_trigger("0 9 * * 0", "Asia/Ho_Chi_Minh")
    assert next_fire(sunday, friday_evening) == at("2026-03-08T09:00:00")


@pytest.mark.parametrize("field", ["8", "1-x", "5-1", "*/0"])
def test_bad_weekdays_are_refused(field: str) -> None:
    with pytest.raises(ValueError):
        crontab_weekdays(field)


def test_cron_is_read_in_the_configured_zone() -> None:
    trigger = cron_trigger("30 7 * * *", "Asia/Ho_Chi_Minh")
    fire = next_fire(trigger, datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    assert fire is not None and fire.astimezone(UTC) == datetime(2026, 3, 7, 0, 30, tzinfo=UTC)


def test_jobs_group_sources_by_schedule() -> None:
    settings = Settings()
    specs = plan_jobs(
        settings,
        [
            source("a"),
            source("b", "*/20 * * * *"),
            source("c"),
            source("d", enabled=False),
            source("e", "*/20 * * * *"),
        ],
    )
    assert specs == [
        JobSpec("crawl [0 */3 * * *]", "crawl", "0 */3 * * *", ("a", "c")),
        JobSpec("crawl [*/20 * * * *]", "crawl", "*/20 * * * *", ("b", "e")),
        JobSpec("digest", "digest", "30 7 * * *"),
    ]


def test_schedule_settings_come_from_the_config_file(tmp_path) -> None:
    config = tmp_path / "newswatch.toml"
    config.write_text(
        '[schedule]\ncrawl = "15 * * * *"\ndigest = "0 18 * * 1-5"\ntimezone = "Europe/Paris"\n'
        "misfire_grace_minutes = 5\nshutdown_grace_seconds = 10\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert settings.schedule.crawl == "15 * * * *" and settings.schedule.misfire_grace_minutes == 5
    assert [s.cron for s in plan_jobs(settings, [source("a")])] == ["15 * * * *", "0 18 * * 1-5"]


def backdate(db, hours: float, now: datetime) -> None:
    """Move every recorded run ``hours`` before ``now`` (a simulated downtime)."""
    when = (now - timedelta(hours=hours)).astimezone(UTC).isoformat()
    with write_transaction(db):
        db.execute("UPDATE crawl_runs SET started_at = ?, finished_at = ?", [when, when])
        db.execute("UPDATE run_sources SET started_at = ?, finished_at = ?", [when, when])


def record_crawl(db, sid: str, status: str = "ok") -> None:
    run_id = runs.start_run(db, "scheduled", [sid])
    rs = runs.start_source(db, run_id, sid)
    runs.finish_source(db, rs, status, {"articles_found": 3})
    runs.finish_run(db, run_id, status)


def record_digest(db, status: str = "ok") -> None:
    run_id = runs.start_run(db, "digest", [])
    runs.finish_run(db, run_id, status, "1 digest")


SPECS = [
    JobSpec("crawl [0 */3 * * *]", "crawl", "0 */3 * * *", ("a", "b")),
    JobSpec("crawl [0 * * * *]", "crawl", "0 * * * *", ("c",)),
    JobSpec("digest", "digest", "30 7 * * *"),
]


def test_catch_up_on_a_fresh_database_crawls_everything_and_sends_no_digest(db) -> None:
    plan = plan_catch_up(db, SPECS, at("2026-03-07T10:15:00"), "Asia/Ho_Chi_Minh")
    assert plan.sources == ["a", "b", "c"] and plan.digest is False
    assert plan.reasons[0] == "a: never crawled successfully"


def test_catch_up_after_downtime(db) -> None:
    now = at("2026-03-07T10:15:00")
    for sid in ("a", "b", "c"):
        record_crawl(db, sid)
    record_digest(db)
    backdate(db, 26, now)  # down since yesterday 08:15: one digest slot (07:30) missed
    plan = plan_catch_up(db, SPECS, now, "Asia/Ho_Chi_Minh")
    assert plan.sources == ["a", "b", "c"] and plan.digest is True
    assert "a: last success 26.0 h ago (period 3.0 h)" in plan.reasons


def test_no_catch_up_within_the_period(db) -> None:
    now = at("2026-03-07T10:15:00")
    for sid in ("a", "b", "c"):
        record_crawl(db, sid)
    record_digest(db)
    backdate(db, 2, now)  # 08:15: the 09:00 slot of a and b passed, but 2 h < 3 h
    plan = plan_catch_up(db, SPECS, now, "Asia/Ho_Chi_Minh")
    assert plan.sources == ["c"]  # hourly: 2 h > 1 h and 09:00, 10:00 passed
    assert plan.digest is False  # today's 07:30 slot came before 08:15


def test_failed_crawls_do_not_count_as_success(db) -> None:
    now = at("2026-03-07T10:15:00")
    record_crawl(db, "a")
    backdate(db, 5, now)
    record_crawl(db, "a", "failed")  # just now, failed
    plan = plan_catch_up(db, SPECS[:1], now, "Asia/Ho_Chi_Minh")
    assert "a" in plan.sources


def test_digest_catch_up_needs_a_missed_slot(db) -> None:
    now = at("2026-03-07T07:45:00")
    record_digest(db)
    backdate(db, 1, now)  # 06:45, before today's 07:30 slot
    assert plan_catch_up(db, SPECS[2:], now, "Asia/Ho_Chi_Minh").digest is True
    record_digest(db)  # the catch-up digest, at 07:46
    with write_transaction(db):
        db.execute(
            "UPDATE crawl_runs SET started_at = ? WHERE id = (SELECT max(id) FROM crawl_runs)",
            [at("2026-03-07T07:46:00").astimezone(UTC).isoformat()],
        )
    later = at("2026-03-07T09:00:00")  # a restart later that morning: nothing missed any more
    assert plan_catch_up(db, SPECS[2:], later, "Asia/Ho_Chi_Minh").digest is False
    assert (
        plan_catch_up(db, SPECS[2:], at("2026-03-08T07:31:00"), "Asia/Ho_Chi_Minh").digest is True
    )


def test_a_failed_digest_is_retried_by_catch_up_but_partial_is_done(db) -> None:
    now = at("2026-03-07T07:45:00")
    record_digest(db)
    backdate(db, 1, now)
    record_digest(db, "failed")
    with write_transaction(db):
        db.execute(
            "UPDATE crawl_runs SET started_at = ? WHERE status = 'failed'",
            [at("2026-03-07T07:31:00").astimezone(UTC).isoformat()],
        )
    assert plan_catch_up(db, SPECS[2:], now, "Asia/Ho_Chi_Minh").digest is True
    with write_transaction(db):
        db.execute("UPDATE crawl_runs SET status = 'partial' WHERE status = 'failed'")
    assert plan_catch_up(db, SPECS[2:], now, "Asia/Ho_Chi_Minh").digest is False


def test_migration_backfills_health_columns(tmp_path) -> None:
    """Rows recorded before m003 get entry_points_ok/articles_extracted from raw stats."""
    from sqlite_utils import Database

    from storage.schema import migrations

    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path, isolation_level=None))
    migrations.apply(old, stop_before="m003_run_health")
    old.execute(
        "INSERT INTO crawl_runs (id, kind, started_at, status) VALUES (1, 'crawl', '2026-01-01T00:00:00+00:00', 'ok')"
    )
    old.execute(
        "INSERT INTO run_sources (run_id, source, started_at, status, stats) VALUES "
        """(1, 'mst', '2026-01-01T00:00:00+00:00', 'ok', '{"newswatch/entry_points_ok": 3, "newswatch/articles_extracted": 7}'), """
        """(1, 'tuoitre', '2026-01-01T00:00:00+00:00', 'ok', '{"finish_reason": "finished"}')"""
    )
    old.close()
    db = connect(path)
    rows = {r["source"]: r for r in db.query("SELECT * FROM run_sources")}
    assert (rows["mst"]["entry_points_ok"], rows["mst"]["articles_extracted"]) == (3, 7)
    assert (rows["tuoitre"]["entry_points_ok"], rows["tuoitre"]["articles_extracted"]) == (0, 0)
    assert rows["mst"]["entry_points"] is None  # not known for old rows


@pytest.mark.parametrize("bad", ["* * *", "61 * * * *", "every hour", "0 9 * * 8"])
def test_bad_cron_is_a_config_error(tmp_path, bad: str) -> None:
    from crawler.config import ConfigError

    config = tmp_path / "newswatch.toml"
    config.write_text(f'[schedule]\ncrawl = "{bad}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"schedule\.crawl"):
        load_settings(config)
