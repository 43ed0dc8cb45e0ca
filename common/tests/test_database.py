"""The database backend's health check: skipped on a connection that just ended a request, run on an idle one."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import connections

from common.database.base import DatabaseWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture
def wrapper() -> Iterator[DatabaseWrapper]:
    """A connection of its own: the test's connection sits in a transaction, where Django drops connections."""
    own = connections.create_connection("default")
    assert isinstance(own, DatabaseWrapper)
    checks: list[bool] = []
    usable = own.is_usable

    def counted_is_usable() -> bool:
        checks.append(True)
        return usable()

    own.is_usable = counted_is_usable  # type: ignore[method-assign]
    own.checks = checks  # type: ignore[attr-defined]
    yield own
    own.close()


def _request(connection: DatabaseWrapper) -> None:
    """What Django does around a request that reads from the database."""
    connection.close_if_unusable_or_obsolete()  # request_started
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close_if_unusable_or_obsolete()  # request_finished


def test_back_to_back_requests_skip_the_health_check(wrapper) -> None:
    for _ in range(3):
        _request(wrapper)

    assert wrapper.checks == []
    assert wrapper.connection is not None


def test_a_connection_idle_longer_than_the_window_is_checked(wrapper, settings) -> None:
    settings.DATABASE_HEALTH_CHECK_AFTER = 2
    _request(wrapper)
    wrapper.last_answered_at = time.monotonic() - 3

    _request(wrapper)

    assert wrapper.checks == [True]


def test_a_connection_whose_request_failed_is_checked(wrapper) -> None:
    _request(wrapper)
    wrapper.errors_occurred = True

    _request(wrapper)

    assert len(wrapper.checks) >= 1
    assert wrapper.errors_occurred is False


def test_a_zero_window_checks_before_every_request(wrapper, settings) -> None:
    settings.DATABASE_HEALTH_CHECK_AFTER = 0

    for _ in range(3):
        _request(wrapper)

    assert wrapper.checks == [True, True]
