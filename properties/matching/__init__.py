"""Saved searches and requirements, and matching new listings against them."""
