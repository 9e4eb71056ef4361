"""Articles, stories and settings for the digest tests (and the sample in docs/digest.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from factories import make_article

from crawler.config import Settings, load_settings, load_sources, packaged_default
from crawler.models import Classification, TermMatch
from storage import articles, runs, write_transaction

NOW = datetime(2026, 11, 28, 0, 30, tzinfo=UTC)  # 07:30 in Hà Nội
OSAI_TERMS = (
    TermMatch("mã nguồn mở", "title", 1, "open_source"),
    TermMatch("trọng số mở", "summary", 1, "open_source"),
    TermMatch("trí tuệ nhân tạo", "text", 2, "ai"),
)
AI_TERMS = (TermMatch("trí tuệ nhân tạo", "title", 1, "ai"),)


def add(
    db: sqlite_utils.Database,
    url: str,
    title: str,
    *,
    osai: bool = True,
    ai: bool = True,
    source: str = "vnexpress",
    summary: str | None = "Mô hình được phát hành với trọng số mở trên Hugging Face.",
    published: datetime | None = None,
    seen: datetime | None = None,
    terms: Iterable[TermMatch] | None = None,
) -> int:
    """Store one classified article; returns its id (its own story until joined)."""
    chosen = tuple(terms) if terms is not None else (OSAI_TERMS if osai else AI_TERMS)
    label = Classification(ai or osai, osai, 5.0 if ai else 0.0, 4.0 if osai else 0.0, chosen)
    article = make_article(
        url=url,
        source=source,
        title=title,
        summary=summary,
        published_at=published or (NOW - timedelta(hours=3)),
    )
    return articles.upsert_article(db, article, label, now=seen or (NOW - timedelta(hours=2))).id


def join_story(db: sqlite_utils.Database, primary: int, *members: int) -> None:
    """Do what the grouping does: members join the primary's story as duplicates."""
    with write_transaction(db):
        story = db.execute("SELECT story_id FROM articles WHERE id = ?", [primary]).fetchone()[0]
        for member in members:
            db.execute(
                "UPDATE articles SET story_id = ?, duplicate_of = ? WHERE id = ?",
                [story, primary, member],
            )
            # a member's own former story members follow it (a merge)
            db.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", [story, member])


def sync_sources(db: sqlite_utils.Database) -> None:
    runs.sync_sources(db, load_sources(packaged_default("sources.toml")).values())


def settings_for(
    out: Path,
    *,
    port: int | None = None,
    recipients: Iterable[str] = (),
    smtp: Mapping[str, Any] | None = None,
    password: str | None = None,
    **digest: Any,
) -> Settings:
    """Packaged defaults with the output folder, and SMTP on 127.0.0.1:port when given."""
    overrides: dict[str, dict[str, Any]] = {
        "digest": {"output_dir": str(out), "recipients": list(recipients), **digest}
    }
    if port is not None:
        overrides["smtp"] = {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "timeout": 10.0,
            **(smtp or {}),
        }
    environ = {"NEWSWATCH_SMTP_PASSWORD": password} if password is not None else {}
    return load_settings(None, environ=environ, overrides=overrides)


def sample(db: sqlite_utils.Database) -> None:
    """The sample shown in docs/digest.md: two open-source-AI stories (one covered by two
    sites), one other AI story, one article about something else."""
    sync_sources(db)
    llm = add(
        db,
        "https://vnexpress.net/viet-nam-cong-bo-mo-hinh-ngon-ngu-lon-ma-nguon-mo-4950001.html",
        "Việt Nam công bố mô hình ngôn ngữ lớn mã nguồn mở",
        published=datetime(2026, 11, 27, 1, 52, tzinfo=UTC),
        seen=datetime(2026, 11, 27, 2, 10, tzinfo=UTC),
    )
    copy = add(
        db,
        "https://www.vietnamplus.vn/mo-hinh-ngon-ngu-lon-ma-nguon-mo-post1010101.vnp",
        "Ra mắt mô hình ngôn ngữ lớn mã nguồn mở tiếng Việt",
        source="vietnamplus",
        published=datetime(2026, 11, 27, 4, 15, tzinfo=UTC),
        seen=datetime(2026, 11, 27, 5, 0, tzinfo=UTC),
    )
    join_story(db, llm, copy)
    add(
        db,
        "https://mst.gov.vn/thuc-day-phan-mem-nguon-mo-trong-ai-197261127.htm",
        "Thúc đẩy phần mềm nguồn mở trong phát triển trí tuệ nhân tạo",
        source="mst",
        summary=(
            "Bộ Khoa học và Công nghệ khuyến khích các viện nghiên cứu và doanh nghiệp công "
            "bố mã nguồn, dữ liệu huấn luyện và trọng số của các mô hình AI do Việt Nam "
            "phát triển, để cộng đồng có thể kiểm chứng, cải tiến và dùng lại."
        ),
        published=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        seen=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        terms=(
            TermMatch("nguồn mở", "title", 1, "open_source"),
            TermMatch("trọng số", "summary", 1, "open_source"),
            TermMatch("trí tuệ nhân tạo", "title", 1, "ai"),
        ),
    )
    add(
        db,
        "https://dantri.com.vn/cong-nghe/ai-ho-tro-chan-doan-hinh-anh-20261127.htm",
        "Bệnh viện dùng trí tuệ nhân tạo hỗ trợ chẩn đoán hình ảnh",
        source="dantri",
        osai=False,
        published=datetime(2026, 11, 27, 3, 0, tzinfo=UTC),
    )
    add(
        db,
        "https://tuoitre.vn/gia-lua-hom-nay-20261127.htm",
        "Giá lúa hôm nay",
        source="tuoitre",
        osai=False,
        ai=False,
        terms=(),
    )


SAMPLE_HEALTH = (
    {"source": "nld", "name": "Người Lao Động", "status": "failing", "reason": "3 failed runs"},
    {"source": "mst", "name": "Bộ Khoa học và Công nghệ", "status": "ok", "reason": ""},
)
