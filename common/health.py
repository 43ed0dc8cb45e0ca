"""Health routes for load balancers and orchestrators.

- `/health/live`: the process answers. Nothing else is touched, so a database outage never gets every web process
  restarted at once.
- `/health/ready`: this process can serve: the database and Redis answer and every migration of the running code
  is applied. 503 with the reasons otherwise, so a new release takes traffic only once `migrate` has run.
- `/health/`: the original check (database and Redis), kept for monitors that already call it.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

OK = "ok"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(str(settings.REDIS_URL), socket_timeout=1, socket_connect_timeout=1)
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def _pending_migrations() -> int:
    """Migrations of the running code not yet applied to the public schema (where migrate_schemas starts)."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def readiness() -> dict[str, str]:
    """Each dependency's state: "ok" or why it is not."""
    database_ok = _database_ok()
    checks = {
        "database": OK if database_ok else "unreachable",
        "redis": OK if _redis_ok() else "unreachable",
        "migrations": "unknown: the database is unreachable",
    }
    if database_ok:
        try:
            pending = _pending_migrations()
        except DatabaseError:
            checks["migrations"] = "unknown: the migration table could not be read"
        else:
            checks["migrations"] = OK if pending == 0 else f"{pending} not applied: run migrate_schemas"
    return checks


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)


@require_safe
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": OK})


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    is_ready = all(state == OK for state in checks.values())
    return JsonResponse(
        {"status": "ready" if is_ready else "unavailable", "checks": checks}, status=200 if is_ready else 503
    )
