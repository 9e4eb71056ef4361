"""Building the Scrapyd egg of newswatch from the code this process runs.

Scrapyd runs a project from an egg: a zip of the packages plus ``EGG-INFO`` whose
``entry_points.txt`` names the Scrapy settings module. The egg is built here from the
installed (or editable) ``crawler``, ``spiders`` and ``storage`` packages, so it works
from a source checkout and from a pip install alike, without running ``setup.py``.

The build is reproducible (sorted entries, fixed timestamps), and the egg's version
carries a hash of its content: the node running newswatch computes the same version
from its own code and asks Scrapyd for exactly that version, so workers never run code
that differs from the writer's (a forgotten deploy is a clear error, not a subtle skew).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("crawler", "spiders", "storage")
SETTINGS_MODULE = "crawler.scrapy_settings"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP_SUFFIXES = (".pyc", ".pyo", ".egg-info")
DEFAULT_FILES = ("newswatch.toml", "sources.toml", "topics.toml")


@dataclass(frozen=True)
class Egg:
    version: str  # e.g. 0_1_0-3f2a9c81d0e4 (only characters Scrapyd keeps in versions)
    data: bytes

    @property
    def filename(self) -> str:
        return f"newswatch-{self.version}.egg"


def build_egg() -> Egg:
    """The egg of the code this process runs, with its content-derived version."""
    files = dict(_package_files())
    from crawler import __version__ as version_base

    # The metadata must not depend on the hash it is part of: hash the packages first.
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name] + b"\0")
    version = f"{_sanitize(version_base)}-{digest.hexdigest()[:12]}"
    files.update(_egg_info(version_base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return Egg(version, buffer.getvalue())


def _package_files() -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for package in PACKAGES:
        found.extend(_walk(_package_dir(package), package))
    names = {name for name, _ in found}
    if not any(name.startswith("crawler/defaults/") for name in names):
        # Editable installs map crawler.defaults to the repository's config/ folder.
        from crawler.config import packaged_default

        for name in DEFAULT_FILES:
            path = packaged_default(name)
            if path.is_file():
                found.append((f"crawler/defaults/{name}", path.read_bytes()))
    return found


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"cannot find the {package!r} package to put in the egg")
    return Path(next(iter(spec.submodule_search_locations)))


def _walk(root: Path, prefix: str) -> list[tuple[str, bytes]]:
    files = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(p.startswith(".") or p == "__pycache__" or p.endswith(SKIP_SUFFIXES) for p in parts):
            continue
        if path.is_file():
            files.append((f"{prefix}/{'/'.join(parts)}", path.read_bytes()))
    return files


def _egg_info(version: str) -> dict[str, bytes]:
    return {
        "EGG-INFO/PKG-INFO": (
            f"Metadata-Version: 2.1\nName: newswatch\nVersion: {version}\n"
            "Summary: newswatch crawl code for Scrapyd\n"
        ).encode(),
        "EGG-INFO/entry_points.txt": f"[scrapy]\nsettings = {SETTINGS_MODULE}\n".encode(),
        "EGG-INFO/top_level.txt": ("\n".join(PACKAGES) + "\n").encode(),
    }


def _sanitize(version: str) -> str:
    """What Scrapyd keeps of a version string (it replaces everything else by ``_``)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in version)
