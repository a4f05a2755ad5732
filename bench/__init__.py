"""Benchmarks (run by hand, README "Development"); modules starting with _ are their helpers."""
