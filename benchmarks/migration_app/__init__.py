"""A throwaway tenant app for benchmarks/migrations.py: its one migration is "the new migration" of a release."""
