"""Benchmarks (``make bench``). Not tests: nothing here asserts a time. Every comparison is a ratio against a
baseline measured in the same run, because absolute times on shared machines drift."""
