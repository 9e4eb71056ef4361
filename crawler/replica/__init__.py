"""Replicas of the sources' article pages, rendered from an article dict.

Used by the loopback mock sites in tests and by the offline demo: each template
reproduces the markup its parser reads, boilerplate included. See :mod:`.render`.
"""
