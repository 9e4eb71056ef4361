"""What a crawl needs to be incremental: known article URLs and entry-point validators.

A local crawl reads it from a JSON file the parent wrote from the database. A crawl
dispatched to a Scrapyd node receives it inline, in Scrapy settings (Scrapyd passes
settings as ``-s NAME=VALUE`` arguments, at most 128 KB each on Linux): the known URLs
as a compact fingerprint set (:mod:`crawler.fingerprints`, ~4 bytes a URL), the whole
zlib-compressed and base64'd, split over ``NEWSWATCH_STATE_<i>`` settings when it does
not fit one argument. Remote crawls skip the same URLs and send the same conditional
requests as local ones.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.fingerprints import FingerprintSet
from crawler.urls import InvalidURL, canonical_url
from storage import articles, cluster, runs

STATE_SETTING = "NEWSWATCH_STATE"  # the compact state when it fits one argument
STATE_PARTS_SETTING = "NEWSWATCH_STATE_PARTS"  # else: how many NEWSWATCH_STATE_<i> parts
# One argument is at most 128 KiB on Linux (MAX_ARG_STRLEN); keep room for the name.
MAX_ARGUMENT_CHARS = 100_000
# All arguments and the environment share ARG_MAX (2 MiB by default): stay well below.
MAX_STATE_CHARS = 1_000_000
COMPACT_VERSION = 1


class StateError(ValueError):
    """Inline crawl state that cannot be read (truncated, corrupted, a newer format)."""


@dataclass
class IncrementalState:
    known_urls: set[str] = field(default_factory=set)
    validators: dict[str, dict[str, str | None]] = field(default_factory=dict)
    # Known URLs in compact form (what a cluster job receives instead of ``known_urls``).
    fingerprints: FingerprintSet | None = None

    def is_known(self, url: str) -> bool:
        if self._has(url):
            return True
        try:
            return self._has(canonical_url(url))
        except InvalidURL:
            return False

    def _has(self, url: str) -> bool:
        return url in self.known_urls or (
            self.fingerprints is not None and url in self.fingerprints
        )

    def validators_for(self, url: str) -> dict[str, str | None]:
        return self.validators.get(url, {})

    @classmethod
    def from_db(
        cls, db: sqlite_utils.Database, source: str | None, entry_points: list[str]
    ) -> IncrementalState:
        """Known URLs of ``source`` (all sources when None) and validators of its entry points."""
        return cls(
            known_urls=articles.known_urls(db, source),
            validators=runs.all_validators(db, entry_points),
        )

    def to_json(self) -> dict[str, Any]:
        return {"known_urls": sorted(self.known_urls), "validators": self.validators}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IncrementalState:
        return cls(
            known_urls=set(data.get("known_urls", [])), validators=dict(data.get("validators", {}))
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> IncrementalState:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    # ------------------------------------------------------------------ compact form

    def to_compact(self) -> str:
        """The state as one ASCII string: known URLs as fingerprints, validators as is."""
        if self.fingerprints is not None:
            raise ValueError("a state read from its compact form cannot be re-encoded")
        known = FingerprintSet.from_urls(self.known_urls)
        payload = {
            "v": COMPACT_VERSION,
            "known": base64.b64encode(known.encode()).decode("ascii"),
            "validators": self.validators,
        }
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii")

    @classmethod
    def from_compact(cls, text: str) -> IncrementalState:
        """Read :meth:`to_compact`'s string; raises :class:`StateError` when it is damaged."""
        try:
            raw = zlib.decompress(base64.urlsafe_b64decode(text.encode("ascii")))
            payload = json.loads(raw)
            if payload.get("v") != COMPACT_VERSION:
                raise StateError(f"inline crawl state of unknown version {payload.get('v')!r}")
            known = FingerprintSet.decode(base64.b64decode(payload["known"]))
        except StateError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, zlib.error, binascii.Error) as exc:
            raise StateError(f"inline crawl state cannot be read: {exc}") from None
        return cls(validators=dict(payload.get("validators") or {}), fingerprints=known)

    def to_settings(self, *, max_chars: int = MAX_ARGUMENT_CHARS) -> dict[str, str]:
        """Scrapy settings carrying the compact state, each value under ``max_chars``."""
        text = self.to_compact()
        if len(text) <= max_chars:
            return {STATE_SETTING: text}
        parts = [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
        values = {f"{STATE_SETTING}_{i}": part for i, part in enumerate(parts, 1)}
        values[STATE_PARTS_SETTING] = str(len(parts))
        return values

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> IncrementalState | None:
        """The state :meth:`to_settings` wrote (None when the settings carry none)."""
        whole = settings.get(STATE_SETTING)
        if whole:
            return cls.from_compact(str(whole))
        count = settings.get(STATE_PARTS_SETTING)
        if not count:
            return None
        try:
            parts = [settings.get(f"{STATE_SETTING}_{i}") for i in range(1, int(count) + 1)]
        except ValueError:
            raise StateError(f"{STATE_PARTS_SETTING} is not a number: {count!r}") from None
        if not all(parts):
            raise StateError("inline crawl state is missing some of its parts")
        return cls.from_compact("".join(str(p) for p in parts))

    @classmethod
    def for_job(
        cls,
        db: sqlite_utils.Database,
        source: str | None,
        entry_points: list[str],
        *,
        max_total_chars: int = MAX_STATE_CHARS,
    ) -> tuple[IncrementalState, int]:
        """The state for a dispatched crawl, small enough to travel as arguments.

        Returns (state, URLs left out). Past ``max_total_chars`` only the most recently
        stored URLs are kept: an older article the crawl meets again is fetched and
        stored as unchanged, a cost and never a loss.
        """
        state = cls.from_db(db, source, entry_points)
        total = len(state.known_urls)
        # ~4 bytes a URL, 4/3 for base64: start from what should fit, shrink until it does.
        limit = total
        while len(state.to_compact()) > max_total_chars and limit > 0:
            limit = min(limit, max_total_chars * 3 // 4 // 4) * 9 // 10
            state = cls(
                known_urls=cluster.recent_article_urls(db, source, limit),
                validators=state.validators,
            )
        return state, total - len(state.known_urls)
