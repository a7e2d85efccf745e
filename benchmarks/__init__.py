"""Benchmarks and soak tests of kdv_policy (not part of the default test run)."""
