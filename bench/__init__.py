"""Benchmarks for kzkg: `python -m bench` (see bench/README.md). Not imported by the package."""
