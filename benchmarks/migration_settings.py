"""benchmarks/migrations.py's settings: the bench settings plus a throwaway tenant app whose one migration is
switched on by BENCH_NEW_MIGRATION=1 (off, the app has no migrations and no models)."""

import os

from benchmarks.settings import *  # noqa: F403
from benchmarks.settings import SHARED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "benchmarks.migration_app"]
INSTALLED_APPS = SHARED_APPS + TENANT_APPS
MIGRATION_MODULES = {
    "migration_app": "benchmarks.migration_app.migrations"
    if os.environ.get("BENCH_NEW_MIGRATION") == "1"
    else None
}
