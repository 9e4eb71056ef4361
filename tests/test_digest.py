"""Digests without SMTP: selection, each story once, rendering, files, feed, CLI, status."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import feedparser
import pytest
import sqlite_utils
from click.testing import CliRunner
from digest_data import NOW, SAMPLE_HEALTH, add, join_story, sample, settings_for
from factories import REPO_ROOT

from crawler.cli import cli
from crawler.config import ConfigError
from crawler.digest import digest_status, run_digest
from crawler.digest.render import md_escape
from crawler.digest.select import make_snippet
from storage import connect
from storage.schema import migrations

LATER = NOW + timedelta(days=1)


def eml(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    # Stored and sent with SMTP line endings (CRLF); compare as text.
    return tuple(str(p.get_content()).replace("\r\n", "\n") for p in (text, html))  # type: ignore[return-value]


def carried_story_ids(db: sqlite_utils.Database) -> list[int]:
    return [r[0] for r in db.execute("SELECT story_id FROM digest_items WHERE role = 'primary'")]


# --------------------------------------------------------------------------- schema


def test_migration_adds_the_outbox_tables(db: sqlite_utils.Database) -> None:
    assert {"digests", "digest_items", "digest_recipients"} <= set(db.table_names())
    assert "m002_digests" in [m.name for m in migrations.applied(db)]
    assert not migrations.pending(db)


# --------------------------------------------------------------------------- files mode


def test_file_mode_writes_one_digest_then_nothing(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    settings = settings_for(out)
    sample(db)
    report = run_digest(db, settings, health=SAMPLE_HEALTH, now=NOW)
    assert report.created == [1] and report.stories == 2 and report.other_stories == 1
    assert report.sent == {"files": 1} and report.ok
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "digest-000001-2026-11-28.eml",
        "digest-000001-2026-11-28.html",
        "digest-000001-2026-11-28.md",
        "open-source-ai.atom",
    ]
    message = eml(out / names[0])
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "[newswatch] 2 new open-source AI stories — 28/11/2026"
    assert message["To"] is None  # file mode: no addressee
    text, html = parts(message)
    assert (out / names[1]).read_bytes().decode("utf-8") == html
    assert text.index("Thúc đẩy phần mềm nguồn mở") < text.index("Việt Nam công bố")  # newest first
    assert "Also covered by:" in text and "VietnamPlus: Ra mắt mô hình" in text
    assert "Evidence: mã nguồn mở (title); trọng số mở (summary)" in text
    assert "OTHER AI COVERAGE" in text and "chẩn đoán hình ảnh" in text
    assert "Giá lúa" not in text  # not AI
    assert "Người Lao Động (nld): failing, 3 failed runs" in text
    assert "Bộ Khoa học và Công nghệ (mst)" not in text  # healthy rows are not listed
    assert "27/11/2026 08:52" in text  # 01:52 UTC in Asia/Ho_Chi_Minh
    markdown = (out / names[2]).read_text(encoding="utf-8")
    assert markdown.startswith("# newswatch digest, 28/11/2026: 2 new open-source AI stories")
    assert "[Việt Nam công bố mô hình ngôn ngữ lớn mã nguồn mở](https://vnexpress.net/" in markdown

    again = run_digest(db, settings, now=LATER)
    assert again.created == [] and again.sent == {} and again.files == []
    assert sorted(p.name for p in out.iterdir()) == names  # no new files, feed rewritten
    assert db["digests"].count == 1
    assert "no new open-source AI stories" in again.summary()


def test_no_open_source_ai_means_no_digest_but_a_feed(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    add(db, "https://dantri.com.vn/ai-1.htm", "Chỉ là AI", osai=False)
    report = run_digest(db, settings_for(out), now=NOW)
    assert report.created == [] and report.files == [] and report.ok
    assert [p.name for p in out.iterdir()] == ["open-source-ai.atom"]
    feed = feedparser.parse((out / "open-source-ai.atom").read_bytes())
    assert feed.bozo == 0 and feed.entries == []
    assert db["digests"].count == 0


def test_other_ai_waits_for_an_open_source_story(db: sqlite_utils.Database, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "out")
    add(db, "https://dantri.com.vn/ai-1.htm", "Tin AI thứ nhất", osai=False)
    assert run_digest(db, settings, now=NOW).created == []
    add(db, "https://vnexpress.net/osai-1.html", "Mô hình mã nguồn mở")
    report = run_digest(db, settings, now=LATER)
    assert report.created == [1] and report.stories == 1 and report.other_stories == 1
    assert db.execute("SELECT section FROM digest_items ORDER BY section").fetchall() == [
        ("open_source_ai",),
        ("other_ai",),
    ]


def test_options_turn_sections_off(db: sqlite_utils.Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sample(db)
    settings = settings_for(out, include_other_ai=False, include_health=False)
    report = run_digest(db, settings, health=SAMPLE_HEALTH, now=NOW)
    text, _ = parts(eml(next(out.glob("*.eml"))))
    assert report.other_stories == 0 and "OTHER AI" not in text and "SOURCE HEALTH" not in text
    assert (
        db.execute("SELECT count(*) FROM digest_items WHERE section = 'other_ai'").fetchone()[0]
        == 0
    )


def test_a_story_is_sent_once_even_when_it_grows_or_merges(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "out")
    first = add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    assert run_digest(db, settings, now=NOW).stories == 1

    # A copy of story A is found later: it joins the story, which was already sent.
    copy = add(db, "https://nhandan.vn/a-copy.html", "Bản sao của A", source="nhandan", seen=NOW)
    join_story(db, first, copy)
    assert run_digest(db, settings, now=LATER).created == []

    # A new story B appears, then the grouping merges it into A before B was sent.
    other = add(db, "https://dantri.com.vn/b.htm", "Câu chuyện B", source="dantri", seen=NOW)
    join_story(db, first, other)
    assert run_digest(db, settings, now=LATER).created == []

    # A new story C is sent; then A and C merge: still nothing to resend.
    third = add(db, "https://tuoitre.vn/c.htm", "Câu chuyện C", source="tuoitre", seen=NOW)
    assert run_digest(db, settings, now=LATER).stories == 1
    join_story(db, first, third)
    assert run_digest(db, settings, now=LATER + timedelta(hours=1)).created == []
    assert db["digests"].count == 2


def test_story_labelled_by_any_member_and_shown_by_its_primary(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    primary = add(db, "https://vnexpress.net/p.html", "Bài gốc về AI", osai=False)
    member = add(
        db, "https://vietnamplus.vn/m.vnp", "Bản dịch nói rõ mã nguồn mở", source="vietnamplus"
    )
    join_story(db, primary, member)
    report = run_digest(db, settings_for(out), now=NOW)
    assert report.stories == 1
    text, _ = parts(eml(next(out.glob("*.eml"))))
    assert "1. Bài gốc về AI" in text and "- vietnamplus: Bản dịch nói rõ mã nguồn mở" in text
    rows = db.execute("SELECT article_id, role FROM digest_items ORDER BY id").fetchall()
    assert rows == [(primary, "primary"), (member, "member")]


def test_max_items_drains_a_backlog_oldest_first(db: sqlite_utils.Database, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "out", max_items=2)
    for i in range(5):
        add(
            db,
            f"https://vnexpress.net/s{i}.html",
            f"Câu chuyện {i}",
            seen=NOW - timedelta(hours=10 - i),
        )
    first = run_digest(db, settings, now=NOW)
    assert first.stories == 2
    text, _ = parts(eml(first.files[0]))
    assert "3 more open-source AI stories will follow in the next digest" in text
    assert "Câu chuyện 0" in text and "Câu chuyện 1" in text
    assert run_digest(db, settings, now=LATER).stories == 2
    last = run_digest(db, settings, now=LATER + timedelta(hours=1))
    assert last.stories == 1
    assert sorted(carried_story_ids(db)) == sorted(
        r[0] for r in db.execute("SELECT id FROM articles")
    )
    assert run_digest(db, settings, now=LATER + timedelta(hours=2)).created == []


def test_hostile_text_is_escaped_and_bad_links_dropped(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    add(
        db,
        "https://vnexpress.net/x.html",
        'Tiêu đề <script>alert("x")</script>\r\nBcc: victim@example.org\x0b [link](javascript:alert(1))',
        summary="<img src=x onerror=alert(1)> & thêm",
    )
    add(db, "javascript:alert(document.cookie)", "Liên kết độc hại", source="unknown")
    run_digest(db, settings_for(out), now=NOW)
    message = eml(next(out.glob("*.eml")))
    assert message["Bcc"] is None
    for name, value in message.items():
        assert "\r" not in value and "\n" not in value.replace("\n ", ""), name
    text, html = parts(message)
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; &amp; thêm" in html
    assert "javascript:" not in html.replace("[link](javascript:alert(1))", "")
    assert 'href="javascript' not in html
    assert "Liên kết độc hại" in html and "(no web link)" in text
    markdown = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert "\\<script\\>" in markdown and "\\[link\\](javascript" in markdown
    assert not re.search(r"(?<!\\)\]\(javascript", markdown)  # no live Markdown link


def test_dry_run_marks_and_writes_nothing(db_path: Path, tmp_path: Path) -> None:
    db = connect(db_path)
    sample(db)
    db.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["--db", str(db_path), "digest", "--dry-run", "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "Subject: [newswatch] 2 new open-source AI stories" in result.stdout
    assert "1. Thúc đẩy phần mềm nguồn mở" in result.stdout
    assert "digest (dry run): would create 1 digest for files" in result.stderr
    assert not out.exists()
    db = connect(db_path)
    assert db["digests"].count == 0 and db["digest_recipients"].count == 0


def test_cli_out_overrides_the_output_folder(db_path: Path, tmp_path: Path) -> None:
    db = connect(db_path)
    sample(db)
    db.close()
    out = tmp_path / "elsewhere"
    result = CliRunner().invoke(cli, ["--db", str(db_path), "digest", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 new digest (#1: 2 new open-source AI stories + 1 other AI)" in result.output
    assert len(list(out.glob("digest-*"))) == 3 and (out / "open-source-ai.atom").is_file()
    assert not (tmp_path / "data" / "digests").exists()


def test_files_unwritable_stays_pending_then_succeeds(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    settings = settings_for(blocker)
    report = run_digest(db, settings, now=NOW)
    assert not report.ok and report.pending == {"files": 1} and report.feed is None
    assert "cannot write" in report.errors["files"] and "feed not written" in report.summary()
    assert [r["status"] for r in digest_status(db)] == ["pending"]
    blocker.unlink()
    report = run_digest(db, settings, now=LATER)
    assert report.retried == 1 and report.created == [] and report.sent == {"files": 1}
    assert [r["status"] for r in digest_status(db)] == ["sent"]
    assert len(list(blocker.glob("digest-000001-*"))) == 3


def test_user_templates_take_precedence(db: sqlite_utils.Database, tmp_path: Path) -> None:
    templates = tmp_path / "my-templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text(
        "{{ headline }}\n{% for e in open_source_ai %}* {{ e.title }} <{{ e.url }}>\n{% endfor %}",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    add(db, "https://vnexpress.net/a.html", "Tiêu đề <b>đậm</b>")
    run_digest(db, settings_for(out, templates_dir=str(templates)), now=NOW)
    text, html = parts(eml(next(out.glob("*.eml"))))
    assert (
        text == "1 new open-source AI story\n* Tiêu đề <b>đậm</b> <https://vnexpress.net/a.html>\n"
    )
    assert "Tiêu đề &lt;b&gt;đậm&lt;/b&gt;" in html  # the packaged HTML template, escaped


def test_user_html_template_is_autoescaped(db: sqlite_utils.Database, tmp_path: Path) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "digest.html.j2").write_text(
        "{% for e in open_source_ai %}<p>{{ e.title }}</p>{% endfor %}", encoding="utf-8"
    )
    out = tmp_path / "out"
    add(db, "https://vnexpress.net/a.html", "<script>x</script>")
    run_digest(db, settings_for(out, templates_dir=str(templates)), now=NOW)
    _, html = parts(eml(next(out.glob("*.eml"))))
    assert html.strip() == "<p>&lt;script&gt;x&lt;/script&gt;</p>"


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ("{% for e in open_source_ai %}", "a valid Jinja2 template"),
        ("{{ no_such_variable }}", "only the documented variables"),
    ],
)
def test_broken_user_templates_are_clear_errors_and_store_nothing(
    db: sqlite_utils.Database, tmp_path: Path, content: str, found: str
) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "digest.md.j2").write_text(content, encoding="utf-8")
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    with pytest.raises(ConfigError, match=found) as error:
        run_digest(db, settings_for(tmp_path / "out", templates_dir=str(templates)), now=NOW)
    assert "digest.md.j2" in str(error.value)
    assert db["digests"].count == 0


def test_missing_templates_dir_is_a_config_error(db: sqlite_utils.Database, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"digest\.templates_dir: expected an existing folder"):
        run_digest(db, settings_for(tmp_path / "out", templates_dir="nowhere"), now=NOW)


def test_smtp_host_without_recipients_is_a_config_error(db_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "digest"], env={"NEWSWATCH_SMTP_HOST": "127.0.0.1"}
    )
    assert result.exit_code == 2
    assert "digest.recipients: expected at least one address when smtp.host is set" in result.output


def test_naive_now_is_refused(db: sqlite_utils.Database, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run_digest(db, settings_for(tmp_path), now=NOW.replace(tzinfo=None))


def test_malformed_evidence_does_not_hide_the_story(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    article = add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    db.execute("UPDATE articles SET matched_terms = 'not json' WHERE id = ?", [article])
    assert run_digest(db, settings_for(out), now=NOW).stories == 1
    text, _ = parts(eml(next(out.glob("*.eml"))))
    assert "Câu chuyện A" in text and "Evidence" not in text


def test_snippet_and_markdown_helpers() -> None:
    long = "từ " * 200
    snippet = make_snippet(None, long)
    assert len(snippet) <= 281 and snippet.endswith("…") and "  " not in snippet
    assert make_snippet("  Tóm\r\ntắt\x00 ", "body") == "Tóm tắt"
    assert md_escape("# 1. [a](b) *c*") == "\\# 1. \\[a\\](b) \\*c\\*"
    assert md_escape("2026. Năm AI") == "2026\\. Năm AI"


# --------------------------------------------------------------------------- feed


def test_feed_is_valid_atom_with_one_entry_per_story(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    sample(db)
    add(db, "https://vnexpress.net/ctl.html", "Ký tự\x0b điều khiển\x1f mã nguồn mở", seen=NOW)
    report = run_digest(db, settings_for(out), now=NOW)
    assert report.feed == out / "open-source-ai.atom" and report.feed_entries == 3
    raw = report.feed.read_bytes()
    feed = feedparser.parse(raw)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "newswatch: open-source AI in Vietnamese news"
    ids = [e.id for e in feed.entries]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(
        re.fullmatch(r"tag:github\.com,2026:newswatch-vn/newswatch/open-source-ai/story/\d+", i)
        for i in ids
    )
    by_title = {e.title: e for e in feed.entries}
    story = by_title["Việt Nam công bố mô hình ngôn ngữ lớn mã nguồn mở"]
    assert story.link.startswith("https://vnexpress.net/viet-nam-cong-bo")
    related = [link.href for link in story.links if link.rel == "related"]
    assert related == [
        "https://www.vietnamplus.vn/mo-hinh-ngon-ngu-lon-ma-nguon-mo-post1010101.vnp"
    ]
    assert story.published_parsed[:5] == (2026, 11, 27, 1, 52)
    assert story.author == "VnExpress"
    assert "Also covered by" in story.content[0].value
    assert "Ký tự điều khiển mã nguồn mở" in by_title
    assert feed.entries[0].title == "Ký tự điều khiển mã nguồn mở"  # newest first
    assert not list(out.glob(".*.tmp"))  # written through a temporary file, renamed

    # Next run, nothing new: the same bytes (stable ids, stable 'updated').
    run_digest(db, settings_for(out), now=LATER)
    assert report.feed.read_bytes() == raw


def test_feed_keeps_the_newest_stories(db: sqlite_utils.Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for i in range(4):
        add(
            db,
            f"https://vnexpress.net/s{i}.html",
            f"Câu chuyện {i}",
            published=NOW - timedelta(days=4 - i),
        )
    run_digest(db, settings_for(out, feed_entries=2), now=NOW)
    feed = feedparser.parse(str(out / "open-source-ai.atom"))
    assert feed.bozo == 0 and [e.title for e in feed.entries] == ["Câu chuyện 3", "Câu chuyện 2"]


# --------------------------------------------------------------------------- status


def test_status_shows_last_digests(db_path: Path, tmp_path: Path) -> None:
    db = connect(db_path)
    sample(db)
    run_digest(db, settings_for(tmp_path / "out"), now=NOW)
    db.close()
    runner = CliRunner()
    table = runner.invoke(cli, ["--db", str(db_path), "status"], catch_exceptions=False)
    assert table.exit_code == 0
    section = table.output.split("Last digests:")[1]
    assert re.search(r"\n1\s+2026-11-28 07:30\s+2\s+files\s+sent\s+1", section)
    as_json = runner.invoke(cli, ["--db", str(db_path), "status", "--format", "json"])
    digests = json.loads(as_json.output)["digests"]
    assert digests[0]["recipient"] == "files" and digests[0]["status"] == "sent"


def test_docs_sample_matches_the_rendering(db: sqlite_utils.Database, tmp_path: Path) -> None:
    """docs/digest.md shows the plain-text part rendered from ``sample``; keep it true."""
    out = tmp_path / "out"
    sample(db)
    run_digest(db, settings_for(out), health=SAMPLE_HEALTH, now=NOW)
    text, _ = parts(eml(next(out.glob("*.eml"))))
    docs = (REPO_ROOT / "docs" / "digest.md").read_text(encoding="utf-8")
    block = docs.split("<!-- sample:start -->\n```text\n")[1].split("```\n<!-- sample:end -->")[0]
    assert block == text


def test_the_same_digest_cannot_be_stored_twice(db: sqlite_utils.Database, tmp_path: Path) -> None:
    """The uniqueness rule behind the write lock: content_key is unique."""
    import sqlite3

    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    run_digest(db, settings_for(tmp_path / "out"), now=NOW)
    row = next(db.query("SELECT * FROM digests"))
    row.update(id=2, message_id="<other@localhost>")
    with pytest.raises(sqlite3.IntegrityError, match="content_key"):
        db["digests"].insert(row)


def test_non_ascii_recipient_is_a_config_error(db: sqlite_utils.Database, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "out", port=2525, recipients=["người@example.org"])
    with pytest.raises(ConfigError, match="ASCII e-mail addresses"):
        run_digest(db, settings, now=NOW)
