"""Provisioning: migrate-on-create and clone (django-tenants' stock paths) against claiming a pooled schema,
and sign-up against login in the same run, with PBKDF2; once with the code's migrations, once with ~100.

Each phase runs in a process of its own (Django cannot add apps to a running process) on a throwaway
database that is dropped afterwards, so the generated migrations never reach `crm_bench` or any other.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks.harness import summary, timed

# Generated apps for the second phase: 7 apps x 14 migrations, plus timeline's own = 99 over 8 tenant apps.
EXTRA_APPS = 7
MIGRATIONS_PER_APP = 14
STOCK_REPEAT = 5  # migrate-on-create and clone cost seconds each once there are ~100 migrations
CLAIM_REPEAT = 12
SIGN_UP_REPEAT = 8
BULK_ORGS = 10_000  # org rows added before a second round of claims: the claim's scan of tenants_org


# --- The parent: one child process per phase ---------------------------------------------------------------


def _database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL")
    if base is None:
        from common.embedded import postgres_url

        base = postgres_url("postgres")
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def _recreate_database(name: str, *, drop_only: bool = False) -> None:
    import psycopg2
    from psycopg2 import sql

    admin = psycopg2.connect(_database_url("postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if not drop_only:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def main() -> None:
    phases = [
        ("the code's migrations", 0),
        (f"+{EXTRA_APPS * MIGRATIONS_PER_APP} generated migrations", EXTRA_APPS),
    ]
    for label, extra_apps in phases:
        database = f"crm_bench_provisioning_{extra_apps}"
        print(f"--- phase: {label} (database {database}, dropped afterwards)", flush=True)
        _recreate_database(database)
        try:
            env = {**os.environ, "DATABASE_URL": _database_url(database)}
            command = [sys.executable, "-m", "benchmarks.provisioning", "--phase", "--extra-apps", str(extra_apps)]
            if subprocess.run(command, env=env).returncode:
                print(f"--- phase failed: {label}", flush=True)
        finally:
            _recreate_database(database, drop_only=True)


# --- A phase -----------------------------------------------------------------------------------------------


def _write_generated_apps(root: Path, count: int) -> list[str]:
    """`count` throwaway apps, each with MIGRATIONS_PER_APP migrations: new tables, columns and indexes."""
    labels = []
    for a in range(1, count + 1):
        label = f"benchgen{a}"
        labels.append(label)
        migrations = root / label / "migrations"
        migrations.mkdir(parents=True)
        (root / label / "__init__.py").write_text("")
        (migrations / "__init__.py").write_text("")
        previous = None
        for n in range(1, MIGRATIONS_PER_APP + 1):
            name = f"{n:04d}_step"
            model = f"Thing{(n - 1) // 4}"
            if (n - 1) % 4 == 0:
                operation = (
                    f"migrations.CreateModel(name={model!r}, fields=["
                    "('id', models.BigAutoField(primary_key=True, serialize=False)), "
                    "('name', models.CharField(max_length=100)), "
                    "('created_at', models.DateTimeField(auto_now_add=True))])"
                )
            elif (n - 1) % 4 == 3:
                operation = (
                    f"migrations.AddIndex(model_name={model.lower()!r}, "
                    f"index=models.Index(fields=['name', 'created_at'], name='{label}_{n}_idx'))"
                )
            else:
                operation = (
                    f"migrations.AddField(model_name={model.lower()!r}, name='field_{n}', "
                    "field=models.IntegerField(default=0))"
                )
            dependencies = [(label, previous)] if previous else []
            (migrations / f"{name}.py").write_text(
                "from django.db import migrations, models\n\n\n"
                "class Migration(migrations.Migration):\n"
                f"    dependencies = {dependencies!r}\n"
                f"    operations = [{operation}]\n"
            )
            previous = name
    return labels


def _setup(extra_apps: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    if extra_apps:
        root = Path(tempfile.mkdtemp(prefix="crm-bench-apps-"))
        labels = _write_generated_apps(root, extra_apps)
        sys.path.insert(0, str(root))
        from django.conf import settings

        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, *labels]
        settings.TENANT_APPS = [*settings.TENANT_APPS, *labels]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)

    # No worker listens here: sign-up's after-commit tasks (pool top-up, mail) are dropped, not queued into
    # the development broker. Publishing one costs well under a millisecond.
    import tenants.pipeline.tasks

    tenants.pipeline.tasks.dispatch = lambda task, args, kwargs, schema_name: None
    # The empty-pool fallback is measured on purpose; its warning would only interleave with the numbers.
    logging.getLogger("crm.tenants").setLevel(logging.ERROR)


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


def phase(extra_apps: int) -> None:
    _setup(extra_apps)
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.migrations.loader import MigrationLoader
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tenants.models import Org, OrgStatus, schema_name_for
    from tenants.orgs import pool
    from tenants.orgs.provisioning import org_create, template_ensure

    template_ensure()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    tenant_labels = {app.split(".")[-1] for app in settings.TENANT_APPS}
    tenant_migrations = sum(1 for app, _ in loader.disk_migrations if app in tenant_labels)
    print(
        f"tenant migrations per new schema: {tenant_migrations} over {len(tenant_labels)} apps; "
        f"rows recorded per schema: {len(pool.expected_migrations())}",
        flush=True,
    )
    # A web process pays this once, on its first claim: import every migration module and build the graph.
    for module in [name for name in sys.modules if name.split(".")[-2:-1] == ["migrations"]]:
        if not module.startswith("django.db."):
            del sys.modules[module]
    pool.expected_migrations.cache_clear()
    started = time.perf_counter()
    pool.expected_migrations()
    print(
        f"first claim of a process also builds the migration set: {(time.perf_counter() - started) * 1000:.0f} ms"
    )

    counter = iter(range(1_000_000))
    run = secrets.token_hex(3)

    def new_row() -> Org:
        n = next(counter)
        org = Org(name=f"Bench {run} {n}", slug=f"bench-{run}-{n}")
        org.schema_name = schema_name_for(org.pk)
        return org

    # django-tenants' stock TenantMixin.create_schema: CREATE SCHEMA + every migration, or, with
    # TENANT_CREATION_FAKES_MIGRATIONS and TENANT_BASE_SCHEMA, CloneSchema of the template + `migrate --fake`.
    def stock_create() -> None:
        with transaction.atomic():
            org = new_row()
            org.save()
            org.create_schema(check_if_exists=True, verbosity=0)
        connection.set_schema_to_public()

    # What sign-up does when the pool is empty, on plain PostgreSQL: a checked clone, no fake migrate.
    def fallback() -> None:
        org_create(name=f"Fallback {run} {next(counter)}")

    def claim() -> None:
        org_create(name=f"Claimed {run} {next(counter)}")

    # Interleaved, so all three see the same number of schemas (the clone's catalog queries slow down as
    # schemas accumulate) and the same background load.
    migrate_ms: list[float] = []
    clone_ms: list[float] = []
    fallback_ms: list[float] = []
    assert not Org.objects.filter(status=OrgStatus.POOLED).exists()
    for _ in range(STOCK_REPEAT):
        migrate_ms += timed(stock_create, 1)
        settings.TENANT_CREATION_FAKES_MIGRATIONS = True
        settings.TENANT_BASE_SCHEMA = settings.TENANT_TEMPLATE_SCHEMA
        clone_ms += timed(stock_create, 1)
        settings.TENANT_CREATION_FAKES_MIGRATIONS = False
        del settings.TENANT_BASE_SCHEMA
        fallback_ms += timed(fallback, 1)
    print(f"migrate-on-create (stock)     {summary(migrate_ms)}")
    print(f"clone + fake migrate (stock)  {summary(clone_ms)}")
    print(f"empty-pool fallback (clone)   {summary(fallback_ms)}", flush=True)

    members = 1 + 1 + CLAIM_REPEAT + CLAIM_REPEAT // 2 + SIGN_UP_REPEAT + 1
    fill_ms = timed(pool.pool_member_create, members)
    print(f"pool member, made by a worker {summary(fill_ms)}  (background, not in any request)", flush=True)

    member_schema = Org.objects.filter(status=OrgStatus.POOLED).values_list("schema_name", flat=True).first()
    check_ms = timed(lambda: pool.schema_is_current(member_schema), 200)
    print(f"the claim's migration check   {summary(check_ms)}")
    claim()  # warm: connection, first save of the process
    with CaptureQueriesContext(connection) as captured:
        claim()
    ddl = [
        q["sql"] for q in captured.captured_queries if q["sql"].lstrip().split()[0].upper() in {"CREATE", "ALTER"}
    ]
    assert not ddl, ddl
    print(f"claim queries: {len(captured.captured_queries)} (no DDL)")
    claim_ms = timed(claim, CLAIM_REPEAT)
    print(f"claim a pooled org            {summary(claim_ms)}", flush=True)

    Org.objects.bulk_create(
        [
            Org(name=f"Filler {n}", slug=f"filler-{run}-{n}", schema_name=f"filler_{run}_{n}")
            for n in range(BULK_ORGS)
        ],
        batch_size=2000,
    )
    orgs = Org.objects.count()
    print(f"claim, {orgs} org rows         {summary(timed(claim, CLAIM_REPEAT // 2))}", flush=True)
    Org.objects.filter(slug__startswith=f"filler-{run}-").delete()

    client = Client()
    password = "Bench-Passphrase-" + secrets.token_hex(4)

    def hash_once() -> None:
        make_password(password)

    sign_up_ms: list[float] = []
    login_ms: list[float] = []
    for n in range(SIGN_UP_REPEAT + 1):
        email = f"p{run}-{n}@bench.test"
        body = {"email": email, "password": password, "name": "B", "org_name": f"Signup {run} {n}"}
        # A fresh client address per request, so no per-IP sign-up or login limit is what gets measured.
        address = f"10.77.{n // 250}.{n % 250 + 1}"
        started = time.perf_counter()
        response = client.post("/api/auth/register/", body, content_type="application/json", REMOTE_ADDR=address)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, response.content
        started = time.perf_counter()
        response = client.post(
            "/api/auth/login/",
            {"email": email, "password": password},
            content_type="application/json",
            REMOTE_ADDR=address,
        )
        login_elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        if n:  # the first pair warms imports and caches
            sign_up_ms.append(elapsed)
            login_ms.append(login_elapsed)
    hash_ms = timed(hash_once, SIGN_UP_REPEAT)
    hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1].removesuffix("PasswordHasher")
    print(f"one password hash ({hasher})     {summary(hash_ms)}")
    print(f"sign-up (pool claim)          {summary(sign_up_ms)}")
    print(f"login                         {summary(login_ms)}")
    print(f"sign-up p50 / login p50 = {_p50(sign_up_ms) / _p50(login_ms):.2f}   (target <= 1.30)")
    print(f"claim p50 = {_p50(claim_ms):.1f} ms   (target <= 50)")
    print(f"pooled orgs left (dropped with the database): {Org.objects.filter(status=OrgStatus.POOLED).count()}")
    connection.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", action="store_true", help="run one phase in this process (internal)")
    parser.add_argument("--extra-apps", type=int, default=0)
    arguments = parser.parse_args()
    if arguments.phase:
        phase(arguments.extra_apps)
    else:
        main()
