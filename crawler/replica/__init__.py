"""Replica news sites for tests, the offline demo and benchmarks."""
