"""Benchmarks run on the local settings, in their own database, with production's password hasher."""

import os

os.environ.setdefault("EMBEDDED_DATABASE_NAME", "crm_bench")

from crm.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "benchmarks.urls"
LOGGING["loggers"]["crm"]["level"] = "WARNING"  # noqa: F405
