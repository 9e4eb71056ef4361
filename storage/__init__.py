"""SQLite storage through sqlite-utils. Never imports Scrapy.

``connect`` opens and migrates a database; ``write_transaction`` wraps every write in
``BEGIN IMMEDIATE``. The modules hold the operations: ``articles`` (upsert, lookups),
``search`` (full-text search, filtered listing), ``runs`` (crawl runs, per-source stats,
HTTP validators, sources table), ``stories`` (story grouping: signatures, LSH bands,
links between pages).
"""

from storage.db import StorageError, connect, write_transaction

__all__ = ["StorageError", "connect", "write_transaction"]
