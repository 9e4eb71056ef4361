"""Parsers for Vietnamese sources, one module per publisher (like fundus's
``publishers/<cc>/<publisher>.py``), each with dated version classes."""
