"""Digests of new open-source-AI coverage: e-mail, files and an Atom feed, each story once.

``run_digest`` is the entry point the main cycle and ``newswatch digest`` call; the
modules hold the parts: ``select`` (what is new for whom), ``render`` (templates, subject,
message), ``deliver`` (SMTP, files), ``feed`` (Atom) and ``run`` (the outbox logic).
SQL lives in :mod:`storage.digests`. See docs/digest.md.
"""

from crawler.digest.run import DigestReport, Preview, digest_status, run_digest

__all__ = ["DigestReport", "Preview", "digest_status", "run_digest"]
