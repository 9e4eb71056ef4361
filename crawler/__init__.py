"""newswatch: monitor Vietnamese official and press sources for news about open-source AI."""

__version__ = "0.1.0"
