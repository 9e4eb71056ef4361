"""A database of the demo corpus stored directly (no crawl), for the browse tests.

Labels come from the corpus's own ``topic`` ground truth and stories from its
``original``/``copy_of`` links, so these tests depend on neither the classifier nor
deduplication, only on storage and the corpus.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crawler.config import load_sources, packaged_default
from crawler.models import Article, Classification, TermMatch
from crawler.replica.corpus import load_corpus, publish_main
from crawler.replica.site import ReplicaState
from storage import connect, runs, write_transaction
from storage.articles import upsert_article

NOW = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)


def build_corpus_db(path: Path, *, kind: str = "demo") -> dict[str, int]:
    """Store the corpus's main part in ``path``; returns corpus id -> article id."""
    state = ReplicaState.from_sources(load_sources(packaged_default("sources.toml")).values())
    corpus = {a.id: a for a in load_corpus()}
    records = publish_main(state, corpus.values(), now=NOW)
    db = connect(path)
    run_id = runs.start_run(db, kind, sorted({corpus[r["corpus_id"]].source for r in records}))
    ids: dict[str, int] = {}
    for record in records:
        entry = corpus[record["corpus_id"]]
        article = Article(
            url=record["url"],
            source=entry.source,
            title=entry.title,
            summary=entry.summary,
            text="\n\n".join(entry.paragraphs),
            authors=list(entry.authors),
            published_at=datetime.fromisoformat(record["published_at"]),
            language=record["language"],
            original_url=record.get("original_url"),
        )
        ai = entry.topic in ("ai", "open-source-ai")
        osai = entry.topic == "open-source-ai"
        evidence = (TermMatch("corpus topic", "title", 1, entry.topic),)
        label = Classification(ai, osai, 5.0 if ai else 0.0, 5.0 if osai else 0.0, evidence)
        ids[entry.id] = upsert_article(db, article, label, now=NOW).id
    with write_transaction(db):
        for entry in corpus.values():
            lead = entry.original or entry.copy_of
            if lead and entry.id in ids:
                db.execute(
                    "UPDATE articles SET story_id = ?, duplicate_of = ? WHERE id = ?",
                    [ids[lead], ids[lead], ids[entry.id]],
                )
    runs.finish_run(db, run_id, "ok", f"{len(ids)} corpus articles stored")
    db.close()
    return ids
