"""Liveness answers with no dependency; readiness checks the database, Redis and migrations, with reasons."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/health/live", "/health/live/"])
def test_liveness_answers_without_touching_the_database_or_redis(
    path: str, settings, tmp_path, django_assert_num_queries
) -> None:
    settings.REDIS_URL = f"unix://{tmp_path}/no-redis-here.sock"

    with django_assert_num_queries(0):
        response = Client().get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/health/ready", "/health/ready/"])
def test_readiness_is_ok_when_everything_is(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
    }


def test_readiness_is_503_naming_redis_when_redis_is_unreachable(settings, tmp_path) -> None:
    settings.REDIS_URL = f"unix://{tmp_path}/no-redis-here.sock"

    response = Client().get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unreachable", "migrations": "ok"},
    }


def test_readiness_is_503_until_every_migration_is_applied() -> None:
    # As if the code were a release ahead of the database: its newest common migration is not recorded yet.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT id FROM django_migrations WHERE app = 'common' ORDER BY name DESC LIMIT 1)"
        )

    response = Client().get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "ok", "migrations": "1 not applied: run migrate_schemas"},
    }
