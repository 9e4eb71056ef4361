"""Replica news sites for tests, the offline demo and benchmarks.

``render`` turns an article dict into a page in a source's real markup (boilerplate
included, so parsers are exercised for real); ``site`` models the replica hosts (feeds,
sitemaps, listings, URL schemes); ``server`` serves them on loopback.
"""
