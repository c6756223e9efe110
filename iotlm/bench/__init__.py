"""Benchmarks: the suite of state-based cases, HomeBench end to end, latency and memory."""
