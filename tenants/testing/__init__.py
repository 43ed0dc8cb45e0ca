"""Test support shared by every module's tests: the named cast, API clients and query budgets."""
