"""Discovery (the generic news spider, spiders.news) and extraction (spiders.parsers: pure, no Scrapy)."""
