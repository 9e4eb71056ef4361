"""JSON files written so that a reader never sees half a file (no Scrapy here: the
parent process writes crawl jobs with it, the crawl process its stats)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, default=json_default, ensure_ascii=False)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_default(value: Any) -> Any:
    """JSON for what Scrapy stats hold besides plain values (datetimes)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
