"""Discovery (the news spider) and extraction (``spiders.parsers``, no Scrapy import)."""
