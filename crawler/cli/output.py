"""Shared CLI helpers: date options, tables, JSON/CSV writers."""

from __future__ import annotations

import csv
import json
import re
import shutil
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

import click

_RELATIVE_RE = re.compile(r"^(\d+)\s*([hdw])$")


class WhenType(click.ParamType):
    """A date option: 2026-03-07, 2026-03-07T08:00[+07:00], or relative 24h / 7d / 2w."""

    name = "DATE"

    def __init__(self, timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.tz = ZoneInfo(timezone)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        text = str(value).strip()
        rel = _RELATIVE_RE.match(text)
        if rel:
            amount, unit = int(rel.group(1)), rel.group(2)
            delta = {
                "h": timedelta(hours=amount),
                "d": timedelta(days=amount),
                "w": timedelta(weeks=amount),
            }[unit]
            return (datetime.now(UTC) - delta).isoformat()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
            except ValueError:
                self.fail(
                    f"{text!r} is not a date: use YYYY-MM-DD, an ISO time, or 24h / 7d / 2w",
                    param,
                    ctx,
                )
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.tz)
        return parsed.astimezone(UTC).isoformat()


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (combining marks take none, wide chars two)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = (
            0
            if unicodedata.combining(ch)
            else (2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
        )
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def render_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, flex: str | None = None
) -> str:
    """A plain-text table; the ``flex`` column absorbs (or gives up) the terminal width."""
    if not rows:
        return ""
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [
        max(display_width(c), *(display_width(row[i]) for row in cells))
        for i, c in enumerate(columns)
    ]
    if flex is not None and flex in columns:
        total = shutil.get_terminal_size((120, 24)).columns
        i = list(columns).index(flex)
        others = sum(w for j, w in enumerate(widths) if j != i) + 2 * (len(columns) - 1)
        widths[i] = max(20, min(widths[i], total - others))
    lines = ["  ".join(c.upper().ljust(widths[i]) for i, c in enumerate(columns)).rstrip()]
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            cell = truncate(cell, widths[i])
            parts.append(cell + " " * (widths[i] - display_width(cell)))
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def to_local(iso_value: str | None, timezone: str) -> str:
    """An ISO time shown in ``timezone`` as 'YYYY-MM-DD HH:MM' ('' when unknown)."""
    if not iso_value:
        return ""
    try:
        return (
            datetime.fromisoformat(iso_value)
            .astimezone(ZoneInfo(timezone))
            .strftime("%Y-%m-%d %H:%M")
        )
    except ValueError:
        return iso_value


def write_jsonl(records: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        count += 1
    return count


def write_csv(records: Iterable[Mapping[str, Any]], out: IO[str], fields: Sequence[str]) -> int:
    """CSV with a header; lists and objects are written as JSON text."""
    writer = csv.DictWriter(
        out, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    count = 0
    for record in records:
        flat = {
            k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
            for k, v in record.items()
        }
        writer.writerow(flat)
        count += 1
    return count
