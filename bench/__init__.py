"""Benchmarks that print numbers; each script runs on its own, the helpers are shared."""
