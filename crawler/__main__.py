"""``python -m crawler`` is the same as the ``newswatch`` command."""

from crawler.cli import main

if __name__ == "__main__":
    main()
