"""Golden pages: stored HTML and the exact record its parser must produce.

Each case lives in ``tests/parsers/golden/<parser>/`` as three files:

- ``<case>.html`` (or ``.html.gz``): the page, as bytes (any encoding);
- ``<case>.meta.json``: ``url``, ``fetched_at``, the parser ``version`` it tests and
  optionally ``source``, ``encoding`` (the HTTP charset), ``tz``, ``selectors`` (a
  source's configured overrides) and a ``note``;
- ``<case>.json``: the expected :meth:`Article.to_dict`, written by this module.

Nobody edits the expected JSON by hand. After changing a parser::

    python -m spiders.parsers.golden check [NAME...]        # what changed, as a diff
    python -m spiders.parsers.golden regenerate [NAME...]   # rewrite the JSON

and review the diff of the regenerated files like any other change.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from crawler.dates import DEFAULT_TZ_NAME
from spiders.parsers import parse_with
from spiders.parsers.registry import get_parser

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "tests" / "parsers" / "golden"
_HTML_SUFFIXES = (".html", ".html.gz")


@dataclass(frozen=True)
class GoldenCase:
    """One stored page and its expectations."""

    parser: str
    name: str
    html_path: Path

    @property
    def stem(self) -> Path:
        return self.html_path.parent / self.name

    @property
    def meta_path(self) -> Path:
        return self.stem.with_name(self.name + ".meta.json")

    @property
    def expected_path(self) -> Path:
        return self.stem.with_name(self.name + ".json")

    @cached_property
    def meta(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.meta_path.read_text("utf-8"))
        return data

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    def __str__(self) -> str:
        return f"{self.parser}/{self.name}"

    def html(self) -> bytes:
        data = self.html_path.read_bytes()
        return gzip.decompress(data) if self.html_path.suffix == ".gz" else data


def cases(root: Path = GOLDEN_DIR, parsers: Iterable[str] = ()) -> list[GoldenCase]:
    """Every case under ``root`` (only those of ``parsers`` when given), sorted."""
    wanted = set(parsers)
    found = []
    for html_path in sorted(root.glob("*/*.html*")):
        name = html_path.name
        suffix = next((s for s in _HTML_SUFFIXES if name.endswith(s)), None)
        parser = html_path.parent.name
        if suffix and (not wanted or parser in wanted):
            found.append(GoldenCase(parser, name.removesuffix(suffix), html_path))
    return found


def produce(case: GoldenCase) -> dict[str, Any]:
    """The record the case's parser version extracts from its page now."""
    meta = case.meta
    parser = get_parser(case.parser, version=case.version, selectors=meta.get("selectors"))
    article = parse_with(
        parser,
        case.html(),
        meta["url"],
        source=meta.get("source", case.parser),
        fetched_at=datetime.fromisoformat(meta["fetched_at"]),
        encoding=meta.get("encoding"),
        tz=meta.get("tz", DEFAULT_TZ_NAME),
    )
    return article.to_dict()


def dump(record: dict[str, Any]) -> str:
    """The stored form of a record: readable UTF-8 JSON in field order, with the
    ``extraction`` mapping sorted (the order fields are filled in means nothing)."""
    record = {**record, "extraction": dict(sorted(record.get("extraction", {}).items()))}
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def diff(case: GoldenCase) -> str:
    """A unified diff from the stored record to what the parser produces ("" if equal)."""
    expected = case.expected_path.read_text("utf-8") if case.expected_path.exists() else ""
    actual = dump(produce(case))
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"{case} (stored)",
        tofile=f"{case} (parser)",
    )
    return "".join(lines)


def regenerate(selected: Sequence[GoldenCase]) -> list[GoldenCase]:
    """Rewrite the expected JSON of ``selected``; returns the cases that changed."""
    changed = []
    for case in selected:
        text = dump(produce(case))
        old = case.expected_path.read_text("utf-8") if case.expected_path.exists() else None
        if text != old:
            case.expected_path.write_text(text, "utf-8")
            changed.append(case)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m spiders.parsers.golden",
        description="Check or rewrite the expected records of the golden parser pages.",
    )
    parser.add_argument("command", choices=("check", "regenerate"))
    parser.add_argument("parsers", nargs="*", metavar="NAME", help="only these parsers")
    parser.add_argument("--dir", type=Path, default=GOLDEN_DIR, help="golden pages folder")
    args = parser.parse_args(argv)
    selected = cases(args.dir, args.parsers)
    if not selected:
        print(f"no golden pages found in {args.dir}", file=sys.stderr)
        return 2
    if args.command == "regenerate":
        changed = regenerate(selected)
        for case in changed:
            print(f"rewrote {case.expected_path}")
        print(f"{len(selected)} golden pages, {len(changed)} rewritten")
        return 0
    failures = [(case, text) for case in selected if (text := diff(case))]
    for _case, text in failures:
        sys.stdout.write(text)
    print(f"{len(selected)} golden pages, {len(failures)} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
