"""Sign-up wall time (user + org with its migrated schema + owner) against login, with PBKDF2 hashing."""

from __future__ import annotations

import secrets

from benchmarks.harness import setup, summary, timed

REPEAT = 8


def main() -> None:
    setup()
    from django.db.migrations.loader import MigrationLoader
    from django.test import Client

    from tenants.models import Org

    client = Client()
    password = "Bench-Passphrase-" + secrets.token_hex(4)
    run = secrets.token_hex(3)
    counter = iter(range(10_000))

    def register() -> None:
        n = next(counter)
        body = {
            "email": f"r{run}-{n}@bench.test",
            "password": password,
            "name": "B",
            "org_name": f"Bench {run} {n}",
        }
        response = client.post("/api/auth/register/", body, content_type="application/json")
        assert response.status_code == 201, response.content

    def login() -> None:
        body = {"email": f"r{run}-0@bench.test", "password": password}
        assert client.post("/api/auth/login/", body, content_type="application/json").status_code == 200

    loader = MigrationLoader(None, ignore_no_migrations=True)
    from django.conf import settings

    tenant_labels = {app.split(".")[-1] for app in settings.TENANT_APPS}
    tenant_migrations = sum(1 for app, _ in loader.disk_migrations if app in tenant_labels)
    print(f"tenant migrations per new schema: {tenant_migrations} (apps: {sorted(tenant_labels)})")
    register_ms = timed(register, REPEAT)
    login_ms = timed(login, REPEAT)
    print(f"register (migrate-on-create) {summary(register_ms)}")
    print(f"login                        {summary(login_ms)}")
    print(f"orgs in the bench database: {Org.objects.count()}")


if __name__ == "__main__":
    main()
