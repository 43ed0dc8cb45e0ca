"""Tasks over the API: scoping, the related-record link, completion, due filters, bulk and lists."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

import pytest
from django.utils import timezone

from cases.models import Case
from common.context import org_context
from contacts.models import Contact
from tasks.models import Task
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db

TASKS = "/api/tasks/"


def _task(cast: Cast, org=None, **fields) -> Task:
    org = org or cast.org_a
    with org_context(org):
        fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
        fields.setdefault("title", "Call back")
        return Task.objects.create(org=org, **fields)


def _contact(cast: Cast, org=None, **fields) -> Contact:
    org = org or cast.org_a
    with org_context(org):
        fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
        return Contact.objects.create(org=org, **fields)


def _stored(task: Task) -> Task:
    with org_context(task.org):
        return Task.objects.get(pk=task.pk)


def _does_not_exist(related_id: object) -> dict:
    detail = f'Invalid pk "{related_id}" - object does not exist.'
    field_error = {"code": "does_not_exist", "detail": detail}
    return {"code": "does_not_exist", "detail": detail, "fields": {"related_id": [field_error]}}


# --- isolation ------------------------------------------------------------------------------------------------


def test_create_sets_org_author_and_stamps_from_the_server_not_the_body(cast: Cast) -> None:
    forged = {"title": "Send brochure", "created_by": str(cast.other_owner.pk),
              "id": "00000000-0000-7000-8000-000000000001", "completed_at": "2020-01-01T00:00:00Z",
              "reminder_sent_at": "2020-01-01T00:00:00Z"}  # fmt: skip

    response = client_for(cast.member).post(TASKS, forged, format="json")

    assert response.status_code == 201, response.json()
    with org_context(cast.org_a):
        task = Task.objects.get(title="Send brochure")
    assert (task.org_id, task.created_by_id, task.updated_by_id) == (cast.org_a.pk, cast.member.pk, cast.member.pk)
    assert str(task.pk) == response.json()["id"] != forged["id"]
    assert (task.status, task.priority, task.completed_at, task.reminder_sent_at) == ("todo", "medium", None, None)
    assert response["ETag"]


def test_outsider_and_other_org_get_404_on_detail_and_nothing_in_lists(cast: Cast) -> None:
    task = _task(cast)

    assert client_for(cast.other_owner).get(f"{TASKS}{task.pk}/").status_code == 404
    assert (
        client_for(cast.other_owner).patch(f"{TASKS}{task.pk}/", {"title": "X"}, format="json").status_code == 404
    )
    assert client_for(cast.other_owner).get(TASKS).json()["count"] == 0
    assert client_for(cast.outsider, org=cast.org_a).get(TASKS).status_code == 404
    assert _stored(task).title == "Call back"


def test_members_see_only_tasks_they_created_or_are_assigned_and_viewers_write_nothing(cast: Cast) -> None:
    hidden = _task(cast, title="Owners")
    _task(cast, title="Mine", created_by=cast.member)
    _task(cast, title="Assigned", assigned_to=[cast.member.pk])
    member, viewer = client_for(cast.member), client_for(cast.viewer)

    assert {t["title"] for t in member.get(TASKS).json()["results"]} == {"Mine", "Assigned"}
    assert member.patch(f"{TASKS}{hidden.pk}/", {"status": "done"}, format="json").status_code == 404
    assert viewer.get(TASKS).json()["count"] == 3
    assert viewer.post(TASKS, {"title": "X"}, format="json").status_code == 403
    assert viewer.patch(f"{TASKS}{hidden.pk}/", {"status": "done"}, format="json").status_code == 403
    assert (_stored(hidden).status, _stored(hidden).completed_at) == ("todo", None)
    with org_context(cast.org_a):
        assert Task.objects.count() == 3


def test_foreign_profile_in_assigned_to_is_rejected(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        TASKS, {"title": "T", "assigned_to": [str(cast.other_owner.pk)]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "assigned_to": [
            {"code": "does_not_exist", "detail": f'Invalid pk "{cast.other_owner.pk}" - object does not exist.'}
        ]
    }


# --- the related record ---------------------------------------------------------------------------------------


def test_a_task_can_be_about_a_contact_or_a_case_of_the_org(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    with org_context(cast.org_a):
        case = Case.objects.create(org=cast.org_a, subject="Leak", created_by=cast.owner)
    client = client_for(cast.owner)

    about_contact = client.post(
        TASKS, {"title": "Call", "related_type": "contacts.contact", "related_id": str(contact.pk)}, format="json"
    )
    about_case = client.post(
        TASKS, {"title": "Visit", "related_type": "cases.case", "related_id": str(case.pk)}, format="json"
    )

    assert about_contact.status_code == about_case.status_code == 201
    assert (about_contact.json()["related_type"], about_contact.json()["related_id"]) == (
        "contacts.contact",
        str(contact.pk),
    )
    listed = client.get(TASKS, {"related_type": "cases.case", "related_id": str(case.pk)}).json()["results"]
    assert [t["title"] for t in listed] == ["Visit"]


def test_another_orgs_record_is_does_not_exist_exactly_like_a_random_id(cast: Cast) -> None:
    """Another org's id in a foreign-key field cannot be told from a random id."""
    foreign = _contact(cast, org=cast.org_b, first_name="Bravo")
    random_id = uuid.uuid4()
    client = client_for(cast.owner)

    with_foreign = client.post(
        TASKS, {"title": "T", "related_type": "contacts.contact", "related_id": str(foreign.pk)}, format="json"
    )
    with_random = client.post(
        TASKS, {"title": "T", "related_type": "contacts.contact", "related_id": str(random_id)}, format="json"
    )

    assert (with_foreign.status_code, with_foreign.json()) == (400, _does_not_exist(foreign.pk))
    assert (with_random.status_code, with_random.json()) == (400, _does_not_exist(random_id))
    with org_context(cast.org_a):
        assert Task.objects.count() == 0


def test_a_record_the_member_cannot_see_or_an_archived_one_is_does_not_exist(cast: Cast) -> None:
    hidden = _contact(cast, first_name="Hidden")
    archived = _contact(cast, first_name="Gone", created_by=cast.member, archived_at=timezone.now())
    member = client_for(cast.member)

    for record in (hidden, archived):
        response = member.post(
            TASKS, {"title": "T", "related_type": "contacts.contact", "related_id": str(record.pk)}, format="json"
        )
        assert (response.status_code, response.json()) == (400, _does_not_exist(record.pk))


def test_a_kind_with_no_such_record_is_does_not_exist(cast: Cast) -> None:
    """Leads and deals resolve lazily by label: until their modules hold records, any id is unknown."""
    random_id = uuid.uuid4()

    for kind in ("leads.lead", "deals.deal"):
        response = client_for(cast.owner).post(
            TASKS, {"title": "T", "related_type": kind, "related_id": str(random_id)}, format="json"
        )
        assert (response.status_code, response.json()) == (400, _does_not_exist(random_id))


def test_the_related_record_is_checked_on_update_too_and_nothing_changes_on_refusal(cast: Cast) -> None:
    mine = _contact(cast, first_name="Mine", created_by=cast.member)
    foreign = _contact(cast, org=cast.org_b, first_name="Bravo")
    task = _task(cast, created_by=cast.member, related_type="contacts.contact", related_id=mine.pk)

    response = client_for(cast.member).patch(
        f"{TASKS}{task.pk}/", {"title": "Moved", "related_id": str(foreign.pk)}, format="json"
    )

    assert (response.status_code, response.json()) == (400, _does_not_exist(foreign.pk))
    stored = _stored(task)
    assert (stored.title, stored.related_id) == ("Call back", mine.pk)


def test_related_type_and_id_come_together(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    client = client_for(cast.owner)

    no_type = client.post(TASKS, {"title": "T", "related_id": str(contact.pk)}, format="json")
    no_id = client.post(TASKS, {"title": "T", "related_type": "contacts.contact"}, format="json")
    unknown_kind = client.post(TASKS, {"title": "T", "related_type": "tenants.org"}, format="json")

    assert no_type.json() == {
        "code": "required",
        "detail": "Say what kind of record related_id is.",
        "fields": {"related_type": [{"code": "required", "detail": "Say what kind of record related_id is."}]},
    }
    assert no_id.json() == {
        "code": "required",
        "detail": "Give the id of the related record.",
        "fields": {"related_id": [{"code": "required", "detail": "Give the id of the related record."}]},
    }
    assert unknown_kind.status_code == 400
    assert unknown_kind.json()["fields"]["related_type"][0]["code"] == "invalid_choice"
    with org_context(cast.org_a):
        assert Task.objects.count() == 0


def test_the_link_can_be_cleared(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    task = _task(cast, related_type="contacts.contact", related_id=contact.pk)

    response = client_for(cast.owner).patch(
        f"{TASKS}{task.pk}/", {"related_type": "", "related_id": None}, format="json"
    )

    assert response.status_code == 200
    assert (_stored(task).related_type, _stored(task).related_id) == ("", None)


# --- completion and due dates ---------------------------------------------------------------------------------


def test_done_stamps_completed_at_and_reopening_or_cancelling_clears_it(cast: Cast) -> None:
    task = _task(cast)
    client = client_for(cast.owner)
    url = f"{TASKS}{task.pk}/"

    before = timezone.now()
    done = client.patch(url, {"status": "done"}, format="json").json()
    stored_done = _stored(task).completed_at
    still_done = client.patch(url, {"title": "Renamed"}, format="json").json()
    reopened = client.patch(url, {"status": "in_progress"}, format="json").json()
    client.patch(url, {"status": "done"}, format="json")
    cancelled = client.patch(url, {"status": "cancelled"}, format="json").json()

    assert done["status"] == "done" and stored_done is not None and stored_done >= before
    assert still_done["completed_at"] == done["completed_at"]
    assert (reopened["status"], reopened["completed_at"]) == ("in_progress", None)
    assert (cancelled["status"], cancelled["completed_at"]) == ("cancelled", None)


def test_a_task_created_done_is_completed_now(cast: Cast) -> None:
    before = timezone.now()

    body = client_for(cast.owner).post(TASKS, {"title": "Already did it", "status": "done"}, format="json").json()

    with org_context(cast.org_a):
        completed_at = Task.objects.get(pk=body["id"]).completed_at
    assert completed_at is not None and completed_at >= before


def test_moving_the_due_date_clears_the_reminder_and_other_changes_keep_it(cast: Cast) -> None:
    due = timezone.now() + datetime.timedelta(minutes=30)
    reminded = _task(cast, due_at=due, reminder_sent_at=timezone.now())
    kept = _task(cast, due_at=due, reminder_sent_at=timezone.now())
    client = client_for(cast.owner)

    moved = client.patch(
        f"{TASKS}{reminded.pk}/", {"due_at": (due + datetime.timedelta(days=1)).isoformat()}, format="json"
    )
    same = client.patch(f"{TASKS}{kept.pk}/", {"due_at": due.isoformat(), "title": "Renamed"}, format="json")

    assert (moved.status_code, moved.json()["reminder_sent_at"]) == (200, None)
    assert same.json()["reminder_sent_at"] is not None
    assert _stored(kept).reminder_sent_at is not None


def test_a_stale_if_match_is_412_and_changes_nothing(cast: Cast) -> None:
    task = _task(cast)
    client = client_for(cast.owner)
    etag = client.get(f"{TASKS}{task.pk}/")["ETag"]
    client.patch(f"{TASKS}{task.pk}/", {"title": "Changed meanwhile"}, format="json")

    stale = client.patch(f"{TASKS}{task.pk}/", {"status": "done"}, format="json", HTTP_IF_MATCH=etag)

    assert stale.status_code == 412
    assert stale.json() == {
        "code": "precondition_failed",
        "detail": "The record changed since you loaded it. Reload it and apply your change again.",
        "fields": {},
    }
    assert (_stored(task).status, _stored(task).completed_at) == ("todo", None)


# --- bulk -----------------------------------------------------------------------------------------------------


def test_bulk_reports_hidden_and_foreign_tasks_as_not_found(cast: Cast) -> None:
    mine = _task(cast, title="Mine", assigned_to=[cast.member.pk])
    hidden = _task(cast, title="Owners")
    foreign = _task(cast, org=cast.org_b, title="Bravo")
    body = {
        "action": "update",
        "ids": [str(mine.pk), str(hidden.pk), str(foreign.pk)],
        "changes": {"priority": "high"},
    }

    response = client_for(cast.member).post(f"{TASKS}bulk/", body, format="json")

    assert response.json() == {
        "results": [
            {"id": str(mine.pk), "status": "updated"},
            {"id": str(hidden.pk), "status": "not_found"},
            {"id": str(foreign.pk), "status": "not_found"},
        ]
    }
    assert (_stored(mine).priority, _stored(hidden).priority) == ("high", "medium")
    with org_context(cast.org_b):
        assert Task.objects.get(pk=foreign.pk).priority == "medium"


def _bulk(client, ids, changes):
    return client.post(
        f"{TASKS}bulk/", {"action": "update", "ids": [str(pk) for pk in ids], "changes": changes}, format="json"
    )


def _activity(task: Task) -> list[tuple]:
    with org_context(task.org):
        entries = ActivityEntry.objects.filter(target_type="tasks.task", target_id=task.pk).order_by("created_at")
        return [(entry.verb, entry.created_by_id, entry.changes) for entry in entries]


def test_bulk_completion_stamps_and_reopening_clears_completed_at_as_a_single_write_does(cast: Cast) -> None:
    todo = _task(cast, title="Todo")
    done_at = timezone.now() - datetime.timedelta(days=1)
    done = _task(cast, title="Done", status="done", completed_at=done_at)
    client = client_for(cast.manager)
    before = timezone.now()

    completed = _bulk(client, [todo.pk], {"status": "done", "priority": "high"})
    reopened = _bulk(client, [done.pk], {"status": "in_progress"})

    assert completed.json() == {"results": [{"id": str(todo.pk), "status": "updated"}]}
    assert reopened.json() == {"results": [{"id": str(done.pk), "status": "updated"}]}
    stored_todo, stored_done = _stored(todo), _stored(done)
    assert (stored_todo.status, stored_todo.priority) == ("done", "high")
    assert before <= stored_todo.completed_at <= timezone.now()
    assert (stored_done.status, stored_done.completed_at) == ("in_progress", None)
    assert _activity(done) == [
        (
            "status_changed",
            cast.manager.pk,
            {"status": ["done", "in_progress"], "completed_at": [str(done_at), None]},
        )
    ]


def test_bulk_due_date_change_rearms_the_reminder(cast: Cast) -> None:
    reminded = timezone.now() - datetime.timedelta(hours=2)
    task = _task(cast, due_at=reminded, reminder_sent_at=reminded)
    new_due = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)

    response = _bulk(client_for(cast.owner), [task.pk], {"due_at": "2030-01-01T00:00:00Z"})

    assert response.json() == {"results": [{"id": str(task.pk), "status": "updated"}]}
    assert (_stored(task).due_at, _stored(task).reminder_sent_at) == (new_due, None)


def test_bulk_assignment_logs_and_notifies_and_a_foreign_assignee_is_refused(cast: Cast) -> None:
    task = _task(cast, title="Chase keys")
    client = client_for(cast.owner)

    foreign = _bulk(client, [task.pk], {"assigned_to": [str(cast.other_owner.pk)]})
    response = _bulk(client, [task.pk], {"assigned_to": [str(cast.member.pk)]})

    assert foreign.status_code == 400
    assert foreign.json()["fields"] == {
        "assigned_to": [
            {"code": "does_not_exist", "detail": f'Invalid pk "{cast.other_owner.pk}" - object does not exist.'}
        ]
    }
    assert response.json() == {"results": [{"id": str(task.pk), "status": "updated"}]}
    assert _activity(task) == [("assigned", cast.owner.pk, {"assigned_to": [[], [str(cast.member.pk)]]})]
    with org_context(cast.org_a):
        assert list(Notification.objects.values_list("recipient_id", "target_id")) == [(cast.member.pk, task.pk)]


def test_bulk_refuses_fields_outside_the_bulk_list(cast: Cast) -> None:
    task = _task(cast)

    response = _bulk(client_for(cast.owner), [task.pk], {"title": "Renamed"})

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "changes": [
            {
                "code": "invalid",
                "detail": "Bulk updates may change only: assigned_to, due_at, priority, status, tags, tags_add, "
                "tags_remove.",
            }
        ]
    }
    assert _stored(task).title == "Call back"


def test_viewer_gets_403_on_bulk(cast: Cast) -> None:
    task = _task(cast)

    response = client_for(cast.viewer).post(
        f"{TASKS}bulk/", {"action": "archive", "ids": [str(task.pk)]}, format="json"
    )

    assert response.status_code == 403
    assert _stored(task).archived_at is None


# --- lists ----------------------------------------------------------------------------------------------------


def test_filtering_by_another_orgs_ids_finds_nothing_exactly_like_a_random_id(cast: Cast) -> None:
    contact = _contact(cast, cast.org_b, first_name="Bea")
    _task(
        cast, cast.org_b, related_type="contacts.contact", related_id=contact.pk, assigned_to=[cast.other_owner.pk]
    )
    _task(cast, title="Ours", assigned_to=[cast.owner.pk])

    assert_foreign_ids_find_nothing(
        client_for(cast.owner),
        TASKS,
        {"related_id": contact.pk, "assigned_to": cast.other_owner.pk, "created_by": cast.other_owner.pk},
    )


def test_mine_is_assigned_to_me_or_created_by_me(cast: Cast) -> None:
    _task(cast, title="Created", created_by=cast.manager)
    _task(cast, title="Assigned", assigned_to=[cast.manager.pk])
    _task(cast, title="Someone else's", assigned_to=[cast.member.pk])
    client = client_for(cast.manager)

    def titles(**params) -> list[str]:
        return sorted(t["title"] for t in client.get(TASKS, params).json()["results"])

    assert titles(mine="true") == ["Assigned", "Created"]
    assert titles(mine="false") == ["Someone else's"]


def test_overdue_excludes_finished_tasks(cast: Cast) -> None:
    past = timezone.now() - datetime.timedelta(hours=2)
    _task(cast, title="Late", due_at=past)
    _task(cast, title="Late but done", due_at=past, status="done")
    _task(cast, title="Late but cancelled", due_at=past, status="cancelled")
    _task(cast, title="Later", due_at=timezone.now() + datetime.timedelta(hours=2))
    client = client_for(cast.owner)

    overdue = client.get(TASKS, {"overdue": "true"}).json()["results"]

    assert [(t["title"], t["is_overdue"]) for t in overdue] == [("Late", True)]
    assert client.get(TASKS, {"overdue": "false"}).json()["count"] == 3


def test_due_today_is_the_org_calendar_day_not_utc(cast: Cast) -> None:
    """UTC+14: the org's day and the UTC day always differ, so a UTC reading gets one of the edges wrong."""
    cast.org_a.timezone = "Pacific/Kiritimati"
    cast.org_a.save(update_fields=["timezone"])
    zone = zoneinfo.ZoneInfo("Pacific/Kiritimati")
    today = timezone.localdate(timezone.now(), zone)
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    end = start + datetime.timedelta(days=1)
    _task(cast, title="Just before", due_at=start - datetime.timedelta(minutes=1))
    _task(cast, title="First minute", due_at=start + datetime.timedelta(minutes=1))
    _task(cast, title="Last minute", due_at=end - datetime.timedelta(minutes=1))
    _task(cast, title="Just after", due_at=end)
    _task(cast, title="Undated")
    client = client_for(cast.owner)

    today_titles = sorted(t["title"] for t in client.get(TASKS, {"due_today": "true"}).json()["results"])
    other_titles = sorted(t["title"] for t in client.get(TASKS, {"due_today": "false"}).json()["results"])

    assert today_titles == ["First minute", "Last minute"]
    assert other_titles == ["Just after", "Just before", "Undated"]


def test_filters_by_status_priority_assignee_due_range_and_tags(cast: Cast) -> None:
    now = timezone.now()
    _task(cast, title="A", status="in_progress", priority="high", assigned_to=[cast.member.pk], tags=["vip"])
    _task(cast, title="B", status="done", priority="low", due_at=now + datetime.timedelta(days=3))
    _task(cast, title="C", due_at=now - datetime.timedelta(days=3))
    client = client_for(cast.owner)

    def titles(**params) -> list[str]:
        return sorted(t["title"] for t in client.get(TASKS, params).json()["results"])

    assert titles(status=["todo", "in_progress"]) == ["A", "C"]
    assert titles(priority="low") == ["B"]
    assert titles(assigned_to=str(cast.member.pk)) == ["A"]
    assert titles(tags="vip") == ["A"]
    assert titles(due_after=now.isoformat()) == ["B"]
    assert titles(due_before=now.isoformat()) == ["C"]


def test_default_order_is_soonest_due_first_with_undated_last(cast: Cast) -> None:
    now = timezone.now()
    _task(cast, title="Undated")
    _task(cast, title="Next week", due_at=now + datetime.timedelta(days=7))
    _task(cast, title="Tomorrow", due_at=now + datetime.timedelta(days=1))

    body = client_for(cast.owner).get(TASKS).json()

    assert [t["title"] for t in body["results"]] == ["Tomorrow", "Next week", "Undated"]


def test_ordering_by_priority_and_status_follows_their_rank(cast: Cast) -> None:
    _task(cast, title="1", priority="medium", status="done")
    _task(cast, title="2", priority="high", status="todo")
    _task(cast, title="3", priority="low", status="in_progress")
    client = client_for(cast.owner)

    by_priority = [t["priority"] for t in client.get(TASKS, {"ordering": "-priority"}).json()["results"]]
    by_status = [t["status"] for t in client.get(TASKS, {"ordering": "status"}).json()["results"]]

    assert by_priority == ["high", "medium", "low"]
    assert by_status == ["todo", "in_progress", "done"]


def test_search_finds_titles(cast: Cast) -> None:
    _task(cast, title="Send the lease to Ada")
    _task(cast, title="Book the photographer")

    found = client_for(cast.owner).get(TASKS, {"search": "LEASE"}).json()["results"]

    assert [t["title"] for t in found] == ["Send the lease to Ada"]


def test_page_size_is_capped_at_100(cast: Cast) -> None:
    with org_context(cast.org_a):
        Task.objects.bulk_create([Task(org=cast.org_a, title=f"T{i}") for i in range(105)])

    body = client_for(cast.owner).get(TASKS, {"page_size": 500}).json()

    assert (body["count"], len(body["results"])) == (105, 100)


def test_list_costs_the_same_queries_for_1_row_and_50(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada")
    _task(cast, assigned_to=[cast.member.pk], related_type="contacts.contact", related_id=contact.pk)
    client = client_for(cast.member)

    def more() -> None:
        with org_context(cast.org_a):
            Task.objects.bulk_create(
                [
                    Task(org=cast.org_a, title=f"T{i}", assigned_to=[cast.member.pk],
                         related_type="contacts.contact", related_id=contact.pk)
                    for i in range(49)
                ]
            )  # fmt: skip

    queries = assert_flat_query_count(lambda: client.get(TASKS, {"page_size": 50, "mine": "true"}), more)

    assert queries <= 4


# --- membership -----------------------------------------------------------------------------------------------


def test_removing_a_member_hands_their_open_tasks_on(cast: Cast) -> None:
    from tasks.services import reassign_open_records

    open_task = _task(cast, title="Open", assigned_to=[cast.member.pk, cast.admin.pk])
    unassigned_own = _task(cast, title="Their own", created_by=cast.member)
    finished = _task(cast, title="Done", status="done", assigned_to=[cast.member.pk])
    someone_elses = _task(cast, title="Admin's", created_by=cast.member, assigned_to=[cast.admin.pk])

    with org_context(cast.org_a):
        moved = reassign_open_records(cast.org_a, cast.member, cast.manager)

    assert moved == 2
    assert _stored(open_task).assigned_to == [cast.manager.pk, cast.admin.pk]
    assert _stored(unassigned_own).assigned_to == [cast.manager.pk]
    assert _stored(finished).assigned_to == [cast.member.pk]
    assert _stored(someone_elses).assigned_to == [cast.admin.pk]
