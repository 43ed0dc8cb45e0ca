"""The pool of ready, fully migrated spare org schemas: Celery tops it up, sign-up claims one without DDL."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from common.context import schema_connection
from tenants.models import Org, OrgStatus, schema_name_for
from tenants.pipeline.tasks import OrgTask, enqueue

logger = logging.getLogger("crm.tenants")

POOL_NAME = "Pooled schema"
POOL_SLUG_PREFIX = "pool-"
# A claim looks at no more than this many stale members before it gives up on the pool (see pool_claim).
MAX_CANDIDATES = 3
# Session-level advisory lock key ("keystone org pool" folded into a signed 64-bit int); two workers topping
# up at once would both see the pool short and overfill it.
TOP_UP_LOCK_KEY = 0x6B6F7267706F6F6C


def recent_sign_ups() -> int:
    """Orgs that went live within the demand window: claims and fallbacks alike (a claim restamps created_at)."""
    since = timezone.now() - timedelta(seconds=int(settings.ORG_POOL_DEMAND_WINDOW))
    return Org.objects.filter(status=OrgStatus.ACTIVE, created_at__gte=since).count()


def pool_target_size() -> int:
    """ORG_POOL_SIZE, plus as many schemas as sign-ups took in the last ORG_POOL_DEMAND_WINDOW, up to
    ORG_POOL_MAX_SIZE.

    A schema takes seconds to make (about 2 s on Citus, where an empty pool has no clone to fall back on), so the
    pool must already hold what the next burst takes. Keeping the recent window's sign-ups on top of the floor
    means a burst as large as the last one finds the pool ready even before any refill lands, and the pool
    shrinks back to the floor (by claims, never by dropping schemas) once sign-ups slow down.
    """
    floor = max(0, int(settings.ORG_POOL_SIZE))
    if floor == 0:
        return 0
    ceiling = max(floor, int(settings.ORG_POOL_MAX_SIZE))
    return min(ceiling, floor + recent_sign_ups())


@functools.cache
def expected_migrations() -> tuple[str, ...]:
    """Every migration of the running code as "app.name", as the migrate command records them in a schema.

    The recorder of a tenant schema lists every app's migrations (shared apps' operations are routed away but
    still recorded), and a squashed migration is recorded under its own name once migrate has run, so a schema
    is current when all of these names are among its rows. Built once per process: the code does not change
    under a running process.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return tuple(sorted(f"{app_label}.{name}" for app_label, name in loader.graph.nodes))


def schema_is_current(schema_name: str) -> bool:
    """One query, one row back, whatever the number of migrations: does the schema hold every migration?

    A missing schema or table answers False; the savepoint keeps the caller's transaction usable.
    """
    expected = expected_migrations()
    table = f"{connection.ops.quote_name(schema_name)}.django_migrations"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(DISTINCT app || '.' || name) FROM {table} "  # noqa: S608 - quoted schema from our id
                "WHERE app || '.' || name = ANY(%s)",
                [list(expected)],
            )
            (applied,) = cursor.fetchone()
    except DatabaseError:
        return False
    return applied == len(expected)


def pool_claim(*, name: str, slug: str) -> Org | None:
    """Bind a ready pooled org to a new owner's name and slug, in the caller's transaction; None if none.

    `SELECT ... FOR UPDATE SKIP LOCKED` hands each concurrent claim a different row, and a claimer never waits
    on another. Binding rewrites the row only (the schema name derives from the id, so nothing is renamed and
    no DDL runs): if the caller's transaction rolls back, the row is pooled again with its schema untouched.
    A member whose migrations lag behind the code (made before a deploy, not yet migrated) is never handed
    out; it stays pooled until `migrate_schemas` brings it up to date.
    """
    stale: list[object] = []
    for _ in range(MAX_CANDIDATES):
        candidate = (
            Org.objects.select_for_update(skip_locked=True)
            .filter(status=OrgStatus.POOLED)
            .exclude(pk__in=stale)
            .order_by("created_at", "id")
            .first()
        )
        if candidate is None:
            return None
        if candidate.schema_name != schema_name_for(candidate.pk) or not schema_is_current(candidate.schema_name):
            logger.warning("pooled org %s is not current with the code's migrations; skipped", candidate.pk)
            stale.append(candidate.pk)
            continue
        candidate.name, candidate.slug, candidate.status = name, slug, OrgStatus.ACTIVE
        candidate.created_at = timezone.now()
        candidate.save(update_fields=["name", "slug", "status", "created_at", "updated_at"])
        return candidate
    return None


@transaction.atomic
def pool_member_create() -> Org:
    """A pooled org and its schema, made by the normal migrate path (on Citus that is what shards its tables)."""
    schema_connection.set_schema_to_public()
    org = Org(name=POOL_NAME, status=OrgStatus.POOLED)
    org.schema_name = schema_name_for(org.pk)
    org.slug = f"{POOL_SLUG_PREFIX}{org.pk.hex}"
    org.save()
    org.create_schema(check_if_exists=True, verbosity=0)
    schema_connection.set_schema_to_public()
    return org


@contextmanager
def _top_up_lock() -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [TOP_UP_LOCK_KEY])
        (acquired,) = cursor.fetchone()
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [TOP_UP_LOCK_KEY])


def pool_fill(*, size: int | Callable[[], int]) -> int:
    """Add pooled orgs until there are `size`; returns how many it made. Idempotent; one filler at a time.

    `size` may be a function, asked again before every schema: the filler then follows a target that moves
    while it works. The pool is counted again before every schema too, so schemas claimed while a fill runs
    are replaced by that same fill (their own top-up tasks find the lock taken and return at once).
    Every pooled row counts, current or not: a stale one becomes current at the next `migrate_schemas`, and
    counting it keeps the pool from growing past its size after a deploy.
    """
    target = size if callable(size) else lambda: size
    schema_connection.set_schema_to_public()
    with _top_up_lock() as acquired:
        if not acquired:
            return 0
        created = 0
        while Org.objects.filter(status=OrgStatus.POOLED).count() < target():
            pool_member_create()
            created += 1
        return created


def pool_top_up_enqueue() -> None:
    """After the current transaction commits, ask a worker to refill the pool."""
    enqueue(pool_top_up)


@shared_task(base=OrgTask, name="tenants.pool_top_up")
def pool_top_up() -> int:
    """Refill the pool to its target (pool_target_size). Safe to run any number of times, from any number of
    workers.

    Sign-up enqueues it after every claim; beat runs it every minute (crm/settings) as the safety net after
    deploys, restarts, failed tasks and pool-size changes.
    """
    created = pool_fill(size=pool_target_size)
    if created:
        logger.info("org pool topped up with %s schema(s)", created)
    return created
