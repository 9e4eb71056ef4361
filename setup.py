"""Package layout that pyproject.toml alone cannot express.

config/ holds the TOML files users edit. The same files ship inside the package as
``crawler.defaults`` so that newswatch, run outside the repository, has packaged
defaults: one source of truth instead of a copy that drifts.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["crawler*", "spiders*", "storage*"]), "crawler.defaults"],
    package_dir={"crawler.defaults": "config"},
)
