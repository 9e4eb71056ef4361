"""Discovery (spiders.news, the generic spider) and extraction (spiders.parsers, no Scrapy)."""
