"""Crontab expressions as APScheduler 3 triggers, and arithmetic on their fire times.

APScheduler 3 numbers weekdays from 0 = Monday, while crontab (and every user's
muscle memory) has 0 = Sunday, 1 = Monday ... 6 = Saturday, 7 = Sunday again; its own
``CronTrigger.from_crontab`` passes the numbers through unchanged, so "1-5" would mean
Tuesday to Saturday. :func:`crontab_trigger` translates the day-of-week field to day
names first, so expressions mean what they mean in crontab(5).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

# crontab day numbers (7 is Sunday again) and names -> APScheduler day names
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Windows searched, in turn, for the most recent fire time of an expression.
_LOOKBACK = (
    timedelta(minutes=2),
    timedelta(hours=2),
    timedelta(days=2),
    timedelta(days=35),
    timedelta(days=400),
    timedelta(days=1500),
)


def _day(token: str) -> int:
    token = token.strip().lower()
    if token[:3] in _DAY_NAMES and not token.isdigit():
        return _DAY_NAMES.index(token[:3])
    number = int(token)  # ValueError for anything else
    if not 0 <= number <= 7:
        raise ValueError(f"day of week {number} is out of range 0-7")
    return number % 7


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field as APScheduler day names (``"1-5"`` -> ``"mon,...,fri"``)."""
    if field.strip() in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step} in day of week {field!r}")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            start, end = span.split("-", 1)
            first, last = _day(start), _day(end)
            if end.strip() == "7":
                last = 7  # "5-7": Friday to Sunday
            if first > last:
                raise ValueError(f"day-of-week range {span!r} runs backwards")
        else:
            first = _day(span)
            last = 6 if step_text else first  # "1/2": from Monday, every other day
        days.update(d % 7 for d in range(first, last + 1, step))
    # APScheduler orders days from Monday; the order does not change the meaning.
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def crontab_trigger(expr: str, timezone: str | ZoneInfo) -> CronTrigger:
    """The trigger for a 5-field crontab expression (crontab(5) weekdays) in ``timezone``."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields: got {len(fields)}, expected 5")
    tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(weekday),
        timezone=tz,
    )


def next_fire(trigger: BaseTrigger, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after``."""
    result: datetime | None = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    return result


def previous_fire(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The most recent fire time at or before ``now`` (None if none in ~4 years)."""
    for back in _LOOKBACK:
        fire: datetime | None = trigger.get_next_fire_time(None, now - back)
        if fire is None or fire > now:
            continue
        while True:
            following = next_fire(trigger, fire)
            if following is None or following > now:
                return fire
            fire = following
    return None


def period(trigger: BaseTrigger, now: datetime) -> timedelta | None:
    """The time between the next two fire times after ``now``."""
    first = next_fire(trigger, now)
    second = next_fire(trigger, first) if first else None
    return second - first if first and second else None


def missed(trigger: BaseTrigger, since: datetime, now: datetime) -> bool:
    """True when a fire time fell after ``since`` and at or before ``now``."""
    fire = next_fire(trigger, since)
    return fire is not None and fire <= now
