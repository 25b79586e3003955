"""Conduit's benchmarks (issue 14): `make bench`, outside the test suite (see README)."""
