"""A server for the benchmarks: production's settings with the benchmark's URL conf (the bare baseline)."""

from crm.settings.production import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
