"""What a crawl needs to be incremental: known article URLs and entry-point validators.

A local crawl reads it from the database; a crawl dispatched to another machine receives
it as a JSON file, so remote crawls skip the same URLs and send the same conditional
requests as local ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.urls import InvalidURL, canonical_url
from storage import articles, runs


@dataclass
class IncrementalState:
    known_urls: set[str] = field(default_factory=set)
    validators: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def is_known(self, url: str) -> bool:
        if url in self.known_urls:
            return True
        try:
            return canonical_url(url) in self.known_urls
        except InvalidURL:
            return False

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
