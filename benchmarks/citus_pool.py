"""The org pool on Citus: claiming a pooled org (what sign-up does beyond its password hash), a whole sign-up,
and making one pool member (the refill), at 10 and at 300 org schemas. Goal: flat.

Needs DATABASE_URL at a database on a Citus coordinator with schema-based sharding on, made on every node
(docs/citus.md shows how); the script refuses plain PostgreSQL. Every org schema is made by the product's own
refill path (`pool_member_create`, the migrate path), so each one is a distributed schema as in production; the
orgs between the two measurements are made by PROCESSES processes at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import subprocess
import sys
import time

from benchmarks.harness import summary, timed

SIZES = (10, 300)
REPEAT = 3  # each claim takes a member the refill made: the two are measured in pairs
PROCESSES = 2


def _setup(*, migrate: bool) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate_schemas", interactive=False, verbosity=0)
    # No worker listens here: sign-up's after-commit tasks (pool top-up, mail) are dropped, not queued.
    import tenants.pipeline.tasks

    tenants.pipeline.tasks.dispatch = lambda task, args, kwargs, schema_name: None
    logging.getLogger("crm.tenants").setLevel(logging.ERROR)


def _org_schemas() -> int:
    from tenants.models import Org

    return Org.objects.exclude(schema_name="public").count()


def _grow(count: int) -> None:
    """Make `count` org schemas by the refill path, then take them out of the pool as live orgs would be."""
    from tenants.models import Org, OrgStatus
    from tenants.orgs.pool import pool_member_create

    made = [pool_member_create().pk for _ in range(count)]
    Org.objects.filter(pk__in=made).update(status=OrgStatus.ACTIVE)


def _grow_in_processes(total: int) -> float:
    started = time.perf_counter()
    shares = [total // PROCESSES + (1 if i < total % PROCESSES else 0) for i in range(PROCESSES)]
    children = [
        subprocess.Popen([sys.executable, "-m", "benchmarks.citus_pool", "--grow", str(share)])
        for share in shares
        if share
    ]
    if any(child.wait() for child in children):
        raise SystemExit("a process making org schemas failed")
    return time.perf_counter() - started


def _measure(label: str) -> None:
    from tenants.accounts.services import account_register
    from tenants.orgs.pool import pool_member_create
    from tenants.orgs.provisioning import org_create

    run = secrets.token_hex(3)
    counter = iter(range(1_000_000))
    refill = timed(pool_member_create, REPEAT)
    claim = timed(lambda: org_create(name=f"Bench {run} {next(counter)}"), REPEAT)
    refill += timed(pool_member_create, REPEAT)

    def sign_up() -> None:
        n = next(counter)
        account_register(
            email=f"bench-{run}-{n}@example.test",
            password="Sturdy-Passphrase-42",
            name="Bench",
            org_name=f"Bench {run} {n}",
        )

    signed_up = timed(sign_up, REPEAT)
    print(f"[{label}, {_org_schemas()} org schemas after]")
    print(f"  pool member made (refill, migrate path)  {summary(refill)}")
    print(f"  claim a pooled org (org_create)          {summary(claim)}")
    print(f"  sign-up (account_register, PBKDF2)       {summary(signed_up)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="org schemas to measure at")
    parser.add_argument("--grow", type=int, help="internal: make this many org schemas and exit")
    args = parser.parse_args()
    if args.grow is not None:
        _setup(migrate=False)
        _grow(args.grow)
        return

    _setup(migrate=True)
    from tenants.orgs.provisioning import database_is_citus, template_ensure

    if not database_is_citus():
        raise SystemExit("DATABASE_URL must name a Citus coordinator database (docs/citus.md)")
    template_ensure()
    for size in args.sizes:
        missing = size - _org_schemas()
        if missing > 0:
            seconds = _grow_in_processes(missing)
            print(f"made {missing} org schemas in {seconds:.0f} s with {PROCESSES} processes", flush=True)
        _measure(f"{size} org schemas")


if __name__ == "__main__":
    main()
