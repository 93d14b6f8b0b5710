"""Benchmarks and their recorded results (not part of the test run)."""
