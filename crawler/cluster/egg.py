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
import io
import zipfile
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

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
    files = code_files()
    version = code_version(files)
    from crawler import __version__

    files.update(_egg_info(__version__))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return Egg(version, buffer.getvalue())


def code_version(files: dict[str, bytes] | None = None) -> str:
    """``<package version>-<hash of the code>``: the same wherever the same code runs.

    A worker computes it from the packages it actually imported (from the egg, or from
    an installed newswatch that shadows it), so the writer can refuse results produced
    by other code.
    """
    from crawler import __version__

    files = code_files() if files is None else files
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name] + b"\0")
    return f"{_sanitize(__version__)}-{digest.hexdigest()[:12]}"


def code_files() -> dict[str, bytes]:
    """Every file of the imported packages (from folders or from a zipped egg)."""
    found: dict[str, bytes] = {}
    for package in PACKAGES:
        found.update(_walk(resources.files(package), package))
    if not any(name.startswith("crawler/defaults/") for name in found):
        # Editable installs map crawler.defaults to the repository's config/ folder.
        from crawler.config import packaged_default

        for name in DEFAULT_FILES:
            path = packaged_default(name)
            if path.is_file():
                found[f"crawler/defaults/{name}"] = path.read_bytes()
    return found


def _walk(node: Traversable, prefix: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = child.name
        if name.startswith(".") or name == "__pycache__" or name.endswith(SKIP_SUFFIXES):
            continue
        if child.is_dir():
            files.update(_walk(child, f"{prefix}/{name}"))
        elif child.is_file():
            files[f"{prefix}/{name}"] = child.read_bytes()
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
