"""Reproducible performance measurements; `make bench` runs them all. Not part of the test run."""
