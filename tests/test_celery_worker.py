"""A real Celery worker runs a task enqueued inside org A in org A's schema, and never touches org B."""

from __future__ import annotations

import time
import uuid

import pytest

from common.context import org_context
from tenants.pipeline.tasks import enqueue
from tenants.testing.fixtures import Cast, database_url_for_subprocess
from tests.worker_tasks import record_marker
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def _wait_for(predicate, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def marker(cast: Cast):
    """The worker commits outside this test's transaction, so its row is removed by hand afterwards."""
    value = uuid.uuid4()
    yield value
    import psycopg2

    with psycopg2.connect(database_url_for_subprocess()) as raw, raw.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{cast.org_a.schema_name}".timeline_activityentry WHERE target_id = %s', [str(value)]
        )
    raw.close()


def test_task_enqueued_in_org_a_writes_into_org_a_schema_only(
    cast: Cast, marker: uuid.UUID, celery_worker_process, django_capture_on_commit_callbacks
) -> None:
    with org_context(cast.org_a), django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue(record_marker, str(marker))
        assert ActivityEntry.objects.filter(target_id=marker).count() == 0  # nothing is sent before commit
    assert len(callbacks) == 1

    def landed_in_a() -> bool:
        with org_context(cast.org_a):
            return ActivityEntry.all_orgs_unsafe.filter(target_id=marker).exists()

    assert _wait_for(landed_in_a), "the worker did not run the task"
    with org_context(cast.org_a):
        entry = ActivityEntry.all_orgs_unsafe.get(target_id=marker)
    assert entry.org_id == cast.org_a.pk
    assert entry.changes == {"schema": cast.org_a.schema_name}
    with org_context(cast.org_b):
        assert not ActivityEntry.all_orgs_unsafe.filter(target_id=marker).exists()
    assert celery_worker_process.poll() is None


def test_tasks_acknowledge_late_have_time_limits_and_retry_with_backoff() -> None:
    assert record_marker.acks_late is True
    assert record_marker.reject_on_worker_lost is True
    assert (record_marker.time_limit, record_marker.soft_time_limit) == (300, 240)
    assert record_marker.max_retries == 5
    assert record_marker.retry_backoff and record_marker.retry_jitter
    assert ConnectionError in record_marker.autoretry_for
