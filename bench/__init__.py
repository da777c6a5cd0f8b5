"""Benchmarks: run with `make bench` (not tests; numbers go to README)."""
