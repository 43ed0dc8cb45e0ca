"""Due reminders: who is reminded of what, exactly once, in every active org and only there."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.context import org_context
from tasks.models import Task
from tasks.services import task_send_due_reminders
from tasks.tasks import BEAT_SCHEDULE, send_due_reminders
from tenants.models import OrgStatus
from tenants.testing.fixtures import Cast, client_for
from timeline.models import Notification

pytestmark = pytest.mark.django_db


def _task(cast: Cast, org=None, **fields) -> Task:
    org = org or cast.org_a
    with org_context(org):
        fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
        fields.setdefault("title", "Call back")
        return Task.objects.create(org=org, **fields)


def _notifications(org) -> list[tuple]:
    with org_context(org):
        return sorted(
            Notification.objects.values_list("recipient_id", "kind", "target_id", "message"),
            key=lambda row: (str(row[2]), str(row[0])),
        )


def _reminded_at(task: Task) -> datetime.datetime | None:
    with org_context(task.org):
        return Task.objects.get(pk=task.pk).reminder_sent_at


NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def test_tasks_due_within_the_hour_or_overdue_are_reminded_to_their_assignees(cast: Cast) -> None:
    both = [cast.member.pk, cast.manager.pk]
    soon = _task(cast, title="Soon", due_at=NOW + datetime.timedelta(minutes=40), assigned_to=both)
    late = _task(cast, title="Late", due_at=NOW - datetime.timedelta(days=1), assigned_to=[cast.member.pk])
    unassigned = _task(cast, title="Nobody's", due_at=NOW, created_by=cast.admin)
    later = _task(cast, title="Later", due_at=NOW + datetime.timedelta(minutes=61), assigned_to=[cast.member.pk])
    done = _task(cast, title="Done", due_at=NOW, status="done", assigned_to=[cast.member.pk])
    cancelled = _task(cast, title="Cancelled", due_at=NOW, status="cancelled", assigned_to=[cast.member.pk])
    archived = _task(cast, title="Archived", due_at=NOW, archived_at=NOW, assigned_to=[cast.member.pk])
    undated = _task(cast, title="Undated", assigned_to=[cast.member.pk])

    with org_context(cast.org_a):
        reminded = task_send_due_reminders(org=cast.org_a, now=NOW)

    assert reminded == 3
    expected = [
        (cast.member.pk, "task_due", soon.pk, 'Task due soon: "Soon" is due 2026-06-01 12:40 (UTC).'),
        (cast.manager.pk, "task_due", soon.pk, 'Task due soon: "Soon" is due 2026-06-01 12:40 (UTC).'),
        (cast.member.pk, "task_due", late.pk, 'Overdue task: "Late" was due 2026-05-31 12:00 (UTC).'),
        # Nobody assigned: the creator hears about it.
        (cast.admin.pk, "task_due", unassigned.pk, 'Overdue task: "Nobody\'s" was due 2026-06-01 12:00 (UTC).'),
    ]
    assert _notifications(cast.org_a) == sorted(expected, key=lambda row: (str(row[2]), str(row[0])))
    assert [_reminded_at(t) for t in (soon, late, unassigned)] == [NOW, NOW, NOW]
    assert [_reminded_at(t) for t in (later, done, cancelled, archived, undated)] == [None] * 5


def test_a_task_is_reminded_once_however_often_the_job_runs(cast: Cast) -> None:
    task = _task(cast, due_at=NOW, assigned_to=[cast.member.pk])

    with org_context(cast.org_a):
        first = task_send_due_reminders(org=cast.org_a, now=NOW)
        second = task_send_due_reminders(org=cast.org_a, now=NOW + datetime.timedelta(minutes=5))

    assert (first, second) == (1, 0)
    assert len(_notifications(cast.org_a)) == 1
    assert _reminded_at(task) == NOW


def test_the_reminder_leaves_the_records_etag_alone(cast: Cast) -> None:
    task = _task(cast, due_at=timezone.now(), assigned_to=[cast.member.pk])
    client = client_for(cast.owner)
    etag = client.get(f"/api/tasks/{task.pk}/")["ETag"]

    with org_context(cast.org_a):
        task_send_due_reminders(org=cast.org_a)

    assert (
        client.patch(f"/api/tasks/{task.pk}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )


def test_moving_the_due_date_earns_a_new_reminder(cast: Cast) -> None:
    task = _task(cast, due_at=timezone.now() + datetime.timedelta(minutes=10), assigned_to=[cast.member.pk])
    with org_context(cast.org_a):
        task_send_due_reminders(org=cast.org_a)

    client_for(cast.owner).patch(
        f"/api/tasks/{task.pk}/", {"due_at": (timezone.now() + datetime.timedelta(minutes=30)).isoformat()},
        format="json",
    )  # fmt: skip
    with org_context(cast.org_a):
        again = task_send_due_reminders(org=cast.org_a)

    assert again == 1
    assert [row[0] for row in _notifications(cast.org_a)] == [cast.member.pk, cast.member.pk]


def test_claiming_skips_rows_another_run_holds_and_happens_before_notifying(cast: Cast) -> None:
    _task(cast, due_at=NOW, assigned_to=[cast.member.pk])

    with org_context(cast.org_a), CaptureQueriesContext(connection) as captured:
        task_send_due_reminders(org=cast.org_a, now=NOW)

    sql = [q["sql"] for q in captured.captured_queries]
    claim = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s and "tasks_task" in s)
    mark = next(i for i, s in enumerate(sql) if s.startswith('UPDATE "tasks_task"') and "reminder_sent_at" in s)
    notify = next(i for i, s in enumerate(sql) if 'INSERT INTO "timeline_notification"' in s)
    assert "SKIP LOCKED" in sql[claim]
    assert claim < mark < notify


def test_the_beat_job_reminds_every_active_org_in_its_own_schema(cast: Cast) -> None:
    due = timezone.now() + datetime.timedelta(minutes=5)
    in_a = _task(cast, title="Alpha's", due_at=due, assigned_to=[cast.member.pk])
    in_b = _task(cast, org=cast.org_b, title="Bravo's", due_at=due, assigned_to=[cast.other_owner.pk])

    assert send_due_reminders() == 2

    assert [(row[0], row[2]) for row in _notifications(cast.org_a)] == [(cast.member.pk, in_a.pk)]
    assert [(row[0], row[2]) for row in _notifications(cast.org_b)] == [(cast.other_owner.pk, in_b.pk)]
    with org_context(cast.org_b):
        assert Notification.objects.get().org_id == cast.org_b.pk


def test_the_beat_job_skips_orgs_that_are_not_active(cast: Cast) -> None:
    task = _task(cast, org=cast.org_b, due_at=timezone.now(), assigned_to=[cast.other_owner.pk])
    cast.org_b.status = OrgStatus.SUSPENDED
    cast.org_b.save(update_fields=["status"])

    assert send_due_reminders() == 0

    assert _reminded_at(task) is None


def test_reminders_use_the_orgs_time_zone(cast: Cast) -> None:
    cast.org_a.timezone = "Europe/Paris"
    cast.org_a.save(update_fields=["timezone"])
    _task(cast, title="Viewing", due_at=NOW + datetime.timedelta(minutes=30), assigned_to=[cast.member.pk])

    with org_context(cast.org_a):
        task_send_due_reminders(org=cast.org_a, now=NOW)

    assert [row[3] for row in _notifications(cast.org_a)] == [
        'Task due soon: "Viewing" is due 2026-06-01 14:30 (Europe/Paris).'
    ]


def test_the_reminder_job_is_scheduled_every_five_minutes_by_name() -> None:
    assert BEAT_SCHEDULE == {"send-task-due-reminders": {"task": "tasks.send_due_reminders", "schedule": 300.0}}
    assert send_due_reminders.name == "tasks.send_due_reminders"
