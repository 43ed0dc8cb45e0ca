"""Tests of property listings."""
