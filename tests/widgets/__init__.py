"""A tiny business module that exists only in the test settings: a module plugs in by the registry alone."""
