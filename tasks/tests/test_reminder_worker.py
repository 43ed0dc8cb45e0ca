"""The reminder job in a real Celery worker: autodiscovered as `tasks.tasks`, run from the public schema as beat
sends it, and reminding a task of org A in org A's schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg2
import pytest

from tasks.tasks import send_due_reminders
from tenants.testing.fixtures import Cast, database_url_for_subprocess

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed_task(cast: Cast) -> Iterator[uuid.UUID]:
    """The worker cannot see this test's transaction, so the task is committed (and removed) by hand."""
    task_id = uuid.uuid4()
    schema = cast.org_a.schema_name
    with psycopg2.connect(database_url_for_subprocess()) as raw, raw.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{schema}".tasks_task (id, org_id, created_at, updated_at, created_by_id, assigned_to, '
            "tags, custom_fields, title, description, status, priority, due_at, related_type) "
            "VALUES (%s, %s, now(), now(), %s, ARRAY[%s]::uuid[], '{}', '{}', 'Worker probe', '', 'todo', "
            "'medium', now() + interval '10 minutes', '')",
            [str(task_id), str(cast.org_a.pk), str(cast.owner.pk), str(cast.member.pk)],
        )
    raw.close()
    yield task_id
    with psycopg2.connect(database_url_for_subprocess()) as raw, raw.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schema}".timeline_notification WHERE target_id = %s', [str(task_id)])
        cursor.execute(f'DELETE FROM "{schema}".tasks_task WHERE id = %s', [str(task_id)])
    raw.close()


def _reminder_state(schema: str, task_id: uuid.UUID) -> tuple[bool, list[tuple[str, str]]]:
    with psycopg2.connect(database_url_for_subprocess()) as raw, raw.cursor() as cursor:
        cursor.execute(
            f'SELECT reminder_sent_at IS NOT NULL FROM "{schema}".tasks_task WHERE id = %s', [str(task_id)]
        )
        (reminded,) = cursor.fetchone()
        cursor.execute(
            f'SELECT recipient_id::text, kind FROM "{schema}".timeline_notification WHERE target_id = %s',
            [str(task_id)],
        )
        notes = cursor.fetchall()
    raw.close()
    return reminded, notes


def test_the_worker_runs_the_beat_job_and_reminds_the_assignee_once(
    cast: Cast, committed_task: uuid.UUID, celery_worker_process
) -> None:
    # Sent from the public schema, as beat sends it; twice, as a retry or a second beat would.
    first, second = send_due_reminders.apply_async(), send_due_reminders.apply_async()

    counts = sorted([first.get(timeout=90), second.get(timeout=90)])

    assert counts == [0, 1]
    assert _reminder_state(cast.org_a.schema_name, committed_task) == (True, [(str(cast.member.pk), "task_due")])
    assert celery_worker_process.poll() is None
