"""`migrate_schemas`: django-tenants' command, migrating only the org schemas behind the code, in parallel."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name

from tenants.models import Org
from tenants.orgs.migrating import SchemaMigrationError, default_processes, migrate_groups, plan_run

# Options that change what "migrate" means (a target, faking, a plan or check only, pruning): the stock
# per-schema path runs them exactly as django-tenants does.
STOCK_OPTIONS = ("migration_name", "fake", "fake_initial", "plan", "prune", "run_syncdb", "check_unapplied")


class Command(MigrateSchemasCommand):
    help = (
        "Migrates the public schema, then every org schema behind the code (found with one query; current ones "
        "are left alone) in --parallel processes (default: one per core). With a schema, an app label or a "
        "target, --fake, --plan, --check or --prune it is django-tenants' migrate_schemas."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("schema_name") or options.get("app_label") or any(options.get(o) for o in STOCK_OPTIONS):
            super().handle(*args, **options)
            return
        SyncCommon.handle(self, *args, **options)
        public = get_public_schema_name()
        stock_executor = get_executor(codename=self.executor)(self.args, self.options)
        if self.sync_public:
            stock_executor.run_migrations(tenants=[public])
        if not self.sync_tenant:
            return
        verbosity = int(options.get("verbosity", 1))
        schemas = list(
            Org.objects.exclude(schema_name=public)
            .order_by("created_at", "id")
            .values_list("schema_name", flat=True)
        )
        run = plan_run(schemas)
        if verbosity >= 1:
            self.stdout.write(
                f"{run.schemas} org schema(s): {run.current} current, {len(run.migrated)} behind"
                + (f", {len(run.stock)} through the per-schema path" if run.stock else "")
            )
        done = 0

        def progress(schema: str, error: str | None) -> None:
            nonlocal done
            done += 1
            if error is not None:
                self.stderr.write(f"[{done}/{len(run.migrated)} {schema}] failed: {error}")
            elif verbosity >= 2:
                self.stdout.write(f"[{done}/{len(run.migrated)} {schema}] migrated")

        processes = int(options.get("parallel") or default_processes())
        try:
            migrate_groups(run, processes=processes, progress=progress)
        except SchemaMigrationError as error:
            raise CommandError(str(error)) from error
        finally:
            if run.stock:
                stock_executor.run_migrations(tenants=list(run.stock))
        if verbosity >= 1 and run.migrated:
            self.stdout.write(f"{len(run.migrated)} org schema(s) migrated")
