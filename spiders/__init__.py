"""Discovery (the generic news spider) and extraction (one pure parser per source)."""
