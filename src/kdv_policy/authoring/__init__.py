"""Tools for policy authors: policy test files, invariants, the governance graph."""
