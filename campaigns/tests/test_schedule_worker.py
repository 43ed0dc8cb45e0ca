"""The schedule sweep in a real Celery worker: autodiscovered as `campaigns.tasks`, sent from the public schema as
beat sends it, moving a scheduled campaign of org A to active in org A's schema and telling its watcher."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg2
import pytest

from campaigns.tasks import advance_schedules
from tenants.testing.fixtures import Cast, database_url_for_subprocess

pytestmark = pytest.mark.django_db


def _run(sql: str, params: list[str]) -> list[tuple]:
    with psycopg2.connect(database_url_for_subprocess()) as raw, raw.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
    raw.close()
    return rows


@pytest.fixture
def committed_campaign(cast: Cast) -> Iterator[uuid.UUID]:
    """The worker cannot see this test's transaction, so the campaign is committed (and removed) by hand."""
    campaign_id = uuid.uuid4()
    schema = cast.org_a.schema_name
    _run(
        f'INSERT INTO "{schema}".campaigns_campaign (id, org_id, created_at, updated_at, created_by_id, '
        "assigned_to, tags, custom_fields, name, objective, channels, property_ids, owner_id, watchers, "
        "starts_at, ends_at, status, currency, description) "
        "VALUES (%s, %s, now(), now(), %s, ARRAY[%s]::uuid[], '{}', '{}', 'Worker launch', 'awareness', "
        "'{email}', '{}', %s, ARRAY[%s]::uuid[], now() - interval '1 minute', "
        "now() + interval '7 days', 'scheduled', 'USD', '')",
        [str(campaign_id), str(cast.org_a.pk), str(cast.owner.pk), str(cast.owner.pk), str(cast.owner.pk),
         str(cast.manager.pk)],
    )  # fmt: skip
    yield campaign_id
    for table in ("timeline_notification", "timeline_activityentry"):
        _run(f'DELETE FROM "{schema}".{table} WHERE target_id = %s', [str(campaign_id)])
    _run(f'DELETE FROM "{schema}".campaigns_campaign WHERE id = %s', [str(campaign_id)])


def test_the_worker_runs_the_beat_job_and_starts_the_campaign_once(
    cast: Cast, committed_campaign: uuid.UUID, celery_worker_process
) -> None:
    schema = cast.org_a.schema_name
    # Twice, as a retry or a second beat would.
    first, second = advance_schedules.apply_async(), advance_schedules.apply_async()

    counts = sorted([first.get(timeout=90), second.get(timeout=90)])

    assert counts == [0, 1]
    status = _run(f'SELECT status FROM "{schema}".campaigns_campaign WHERE id = %s', [str(committed_campaign)])
    assert status == [("active",)]
    notes = _run(
        f'SELECT recipient_id::text, kind, message FROM "{schema}".timeline_notification WHERE target_id = %s',
        [str(committed_campaign)],
    )
    message = "Keystone moved the campaign Worker launch from scheduled to active."
    assert sorted(notes) == sorted([(str(cast.owner.pk), "campaign_status", message),
                                    (str(cast.manager.pk), "campaign_status", message)])  # fmt: skip
    entries = _run(
        f'SELECT verb, changes::text FROM "{schema}".timeline_activityentry WHERE target_id = %s',
        [str(committed_campaign)],
    )
    assert entries == [("status_changed", '{"status": ["scheduled", "active"]}')]
    assert celery_worker_process.poll() is None
