"""Cases over the API: scoping, visibility by role, the status machine and its timestamps, bulk, lists."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from cases.models import Case
from common.context import org_context
from contacts.models import Company, Contact
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db

CASES = "/api/cases/"
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _case(cast: Cast, org=None, **fields) -> Case:
    org = org or cast.org_a
    with org_context(org):
        fields.setdefault("created_by", cast.owner if org == cast.org_a else cast.other_owner)
        fields.setdefault("subject", "Leaking roof")
        return Case.objects.create(org=org, **fields)


def _contact(cast: Cast, org=None, **fields) -> Contact:
    org = org or cast.org_a
    with org_context(org):
        return Contact.objects.create(org=org, **fields)


def _company(cast: Cast, org=None, **fields) -> Company:
    org = org or cast.org_a
    with org_context(org):
        return Company.objects.create(org=org, **fields)


def _stored(case: Case) -> Case:
    with org_context(case.org):
        return Case.objects.get(pk=case.pk)


def _iso(when: datetime.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


class Clock:
    """Service and auto_now timestamps come from here, so a test can name them exactly."""

    def __init__(self, start: datetime.datetime) -> None:
        self.current = start

    def now(self) -> datetime.datetime:
        return self.current

    def advance(self, **delta: float) -> datetime.datetime:
        self.current += datetime.timedelta(**delta)
        return self.current


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # Starts at the real time: tokens and membership checks keep working.
    clock = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


# --- isolation ------------------------------------------------------------------------------------------------


def test_create_sets_org_author_and_stamps_from_the_server_not_the_body(cast: Cast) -> None:
    forged = {"subject": "Broken lift", "created_by": str(cast.other_owner.pk),
              "id": "00000000-0000-7000-8000-000000000001", "first_response_at": "2020-01-01T00:00:00Z",
              "resolved_at": "2020-01-01T00:00:00Z", "closed_at": "2020-01-01T00:00:00Z"}  # fmt: skip

    response = client_for(cast.member).post(CASES, forged, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    with org_context(cast.org_a):
        case = Case.objects.get(subject="Broken lift")
    assert (case.org_id, case.created_by_id, case.updated_by_id) == (cast.org_a.pk, cast.member.pk, cast.member.pk)
    assert str(case.pk) == body["id"] != forged["id"]
    assert (case.status, case.priority, case.type) == ("new", "medium", "question")
    assert (case.first_response_at, case.resolved_at, case.closed_at) == (None, None, None)
    assert response["ETag"]


def test_outsider_and_other_org_get_404_on_detail_and_nothing_in_lists(cast: Cast) -> None:
    case = _case(cast)

    assert client_for(cast.other_owner).get(f"{CASES}{case.pk}/").status_code == 404
    assert (
        client_for(cast.other_owner).patch(f"{CASES}{case.pk}/", {"subject": "X"}, format="json").status_code
        == 404
    )
    assert client_for(cast.other_owner).get(CASES).json()["count"] == 0
    assert client_for(cast.outsider, org=cast.org_a).get(CASES).status_code == 404
    assert _stored(case).subject == "Leaking roof"


@pytest.mark.parametrize("field", ["contact", "company"])
def test_foreign_contact_or_company_is_a_does_not_exist_error_identical_to_a_random_id(
    cast: Cast, field: str
) -> None:
    """Another org's id in a foreign-key field cannot be told from a random id."""
    foreign = (
        _contact(cast, org=cast.org_b, email="b@bravo.test")
        if field == "contact"
        else _company(cast, org=cast.org_b, name="Bravo Co")
    )
    random_id = uuid.uuid4()
    client = client_for(cast.owner)

    with_foreign = client.post(CASES, {"subject": "S", field: str(foreign.pk)}, format="json")
    with_random = client.post(CASES, {"subject": "S", field: str(random_id)}, format="json")

    assert with_foreign.status_code == with_random.status_code == 400
    assert with_foreign.json() == {
        "code": "does_not_exist",
        "detail": f'Invalid pk "{foreign.pk}" - object does not exist.',
        "fields": {
            field: [{"code": "does_not_exist", "detail": f'Invalid pk "{foreign.pk}" - object does not exist.'}]
        },
    }
    assert with_random.json() == {
        "code": "does_not_exist",
        "detail": f'Invalid pk "{random_id}" - object does not exist.',
        "fields": {
            field: [{"code": "does_not_exist", "detail": f'Invalid pk "{random_id}" - object does not exist.'}]
        },
    }
    with org_context(cast.org_a):
        assert Case.objects.count() == 0


def test_a_contact_the_member_cannot_see_is_refused_like_a_random_id(cast: Cast) -> None:
    hidden = _contact(cast, first_name="Hidden", created_by=cast.owner)

    response = client_for(cast.member).post(CASES, {"subject": "S", "contact": str(hidden.pk)}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "contact": [{"code": "does_not_exist", "detail": f'Invalid pk "{hidden.pk}" - object does not exist.'}]
    }


def test_an_assignee_can_save_a_case_about_a_contact_they_cannot_see_but_not_link_another(cast: Cast) -> None:
    theirs = _contact(cast, first_name="Owners", email="owner.client@example.test")
    other = _contact(cast, first_name="Other")
    case = _case(cast, contact=theirs, assigned_to=[cast.member.pk])
    member = client_for(cast.member)
    loaded = member.get(f"{CASES}{case.pk}/").json()

    saved = member.put(f"{CASES}{case.pk}/", {**loaded, "status": "open"}, format="json")
    relinked = member.patch(f"{CASES}{case.pk}/", {"contact": str(other.pk)}, format="json")

    assert loaded["contact_summary"]["email"] == "owner.client@example.test"
    assert (saved.status_code, saved.json()["contact"], saved.json()["status"]) == (200, str(theirs.pk), "open")
    assert (relinked.status_code, relinked.json()["code"]) == (400, "does_not_exist")
    assert _stored(case).contact_id == theirs.pk


def test_members_see_only_cases_they_created_or_are_assigned(cast: Cast) -> None:
    _case(cast, subject="Owners")
    _case(cast, subject="Mine", created_by=cast.member)
    _case(cast, subject="Assigned", assigned_to=[cast.member.pk])

    member = {c["subject"] for c in client_for(cast.member).get(CASES).json()["results"]}
    viewer = {c["subject"] for c in client_for(cast.viewer).get(CASES).json()["results"]}

    assert member == {"Mine", "Assigned"}
    assert viewer == {"Owners", "Mine", "Assigned"}


def test_member_cannot_read_change_or_archive_a_case_they_cannot_see(cast: Cast) -> None:
    hidden = _case(cast, subject="Hidden")
    member = client_for(cast.member)

    assert member.get(f"{CASES}{hidden.pk}/").status_code == 404
    assert member.patch(f"{CASES}{hidden.pk}/", {"status": "closed"}, format="json").status_code == 404
    assert member.delete(f"{CASES}{hidden.pk}/").status_code == 404
    stored = _stored(hidden)
    assert (stored.subject, stored.status, stored.archived_at) == ("Hidden", "new", None)


def test_viewer_writes_nothing(cast: Cast) -> None:
    case = _case(cast)
    viewer = client_for(cast.viewer)

    assert viewer.post(CASES, {"subject": "X"}, format="json").status_code == 403
    assert viewer.patch(f"{CASES}{case.pk}/", {"status": "open"}, format="json").status_code == 403
    assert viewer.delete(f"{CASES}{case.pk}/").status_code == 403
    stored = _stored(case)
    assert (stored.status, stored.archived_at) == ("new", None)
    with org_context(cast.org_a):
        assert Case.objects.count() == 1


# --- status machine -------------------------------------------------------------------------------------------


def test_status_changes_stamp_first_response_resolution_and_closing_and_reopen_clears_them(
    cast: Cast, clock: Clock
) -> None:
    case = _case(cast)
    client = client_for(cast.manager)
    url = f"{CASES}{case.pk}/"

    opened_at = clock.advance(minutes=30)
    opened = client.patch(url, {"status": "open"}, format="json").json()
    resolved_at = clock.advance(hours=2)
    resolved = client.patch(url, {"status": "resolved"}, format="json").json()
    closed_at = clock.advance(days=1)
    closed = client.patch(url, {"status": "closed"}, format="json").json()
    clock.advance(days=1)
    reopened = client.patch(url, {"status": "open"}, format="json").json()

    def stamps(body: dict) -> tuple:
        return body["status"], body["first_response_at"], body["resolved_at"], body["closed_at"]

    iso = {when: _iso(when) for when in (opened_at, resolved_at, closed_at)}
    assert stamps(opened) == ("open", iso[opened_at], None, None)
    assert stamps(resolved) == ("resolved", iso[opened_at], iso[resolved_at], None)
    assert stamps(closed) == ("closed", iso[opened_at], iso[resolved_at], iso[closed_at])
    # A reopened case keeps its first response: reopening must not hide a slow one.
    assert stamps(reopened) == ("open", iso[opened_at], None, None)


def test_closing_without_resolving_leaves_no_resolution_time(cast: Cast, clock: Clock) -> None:
    case = _case(cast, status="pending", first_response_at=T0)
    closed_at = clock.advance(hours=1)

    body = client_for(cast.owner).patch(f"{CASES}{case.pk}/", {"status": "closed"}, format="json").json()

    assert (body["resolved_at"], body["closed_at"]) == (None, _iso(closed_at))


def test_creating_a_case_already_resolved_stamps_response_and_resolution(cast: Cast, clock: Clock) -> None:
    body = client_for(cast.owner).post(CASES, {"subject": "Phoned in", "status": "resolved"}, format="json").json()

    now = _iso(clock.now())
    assert (body["first_response_at"], body["resolved_at"], body["closed_at"]) == (now, now, None)


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("closed", "resolved", "open"),
        ("closed", "pending", "open"),
        ("closed", "new", "open"),
        ("resolved", "pending", "closed, open"),
        ("open", "new", "closed, pending, resolved"),
    ],
)
def test_a_transition_outside_the_machine_is_409_and_changes_nothing(
    cast: Cast, start: str, target: str, allowed: str
) -> None:
    case = _case(cast, status=start, first_response_at=T0)
    detail = f"A {start} case cannot become {target}; it can become: {allowed}."

    response = client_for(cast.owner).patch(
        f"{CASES}{case.pk}/", {"status": target, "subject": "Renamed"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "detail": detail,
        "fields": {"status": [{"code": "invalid_transition", "detail": detail}]},
    }
    stored = _stored(case)
    assert (stored.status, stored.subject, stored.first_response_at) == (start, "Leaking roof", T0)


def test_a_stale_if_match_is_412_even_when_the_transition_is_also_invalid(cast: Cast) -> None:
    case = _case(cast, status="closed")
    client = client_for(cast.owner)
    etag = client.get(f"{CASES}{case.pk}/")["ETag"]
    client.patch(f"{CASES}{case.pk}/", {"subject": "Changed meanwhile"}, format="json")

    stale = client.patch(f"{CASES}{case.pk}/", {"status": "pending"}, format="json", HTTP_IF_MATCH=etag)

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert (_stored(case).status, _stored(case).subject) == ("closed", "Changed meanwhile")


def test_a_current_if_match_lets_the_change_through(cast: Cast) -> None:
    case = _case(cast)
    client = client_for(cast.owner)
    etag = client.get(f"{CASES}{case.pk}/")["ETag"]

    response = client.patch(f"{CASES}{case.pk}/", {"status": "open"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert _stored(case).status == "open"


def test_an_archived_case_cannot_change_status(cast: Cast) -> None:
    case = _case(cast, archived_at=T0)

    response = client_for(cast.owner).patch(f"{CASES}{case.pk}/", {"status": "open"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "archived",
        "detail": "Archived records cannot be changed. Restore it first.",
        "fields": {},
    }
    assert _stored(case).status == "new"


def test_timeline_records_the_status_change_and_assignment(cast: Cast) -> None:
    client = client_for(cast.owner)
    case_id = client.post(CASES, {"subject": "Noise"}, format="json").json()["id"]
    client.patch(f"{CASES}{case_id}/", {"status": "open", "assigned_to": [str(cast.member.pk)]}, format="json")

    entries = client.get(f"{CASES}{case_id}/timeline/").json()["results"]

    changes = entries[1]["changes"]
    assert [e["verb"] for e in entries] == ["assigned", "status_changed", "created"]
    assert changes["status"] == ["new", "open"]
    assert changes["first_response_at"][0] is None
    assert entries[0]["changes"] == {"assigned_to": [[], [str(cast.member.pk)]]}


def test_assignees_get_a_case_assigned_notification(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        CASES, {"subject": "Burst pipe", "assigned_to": [str(cast.member.pk), str(cast.owner.pk)]}, format="json"
    )

    with org_context(cast.org_a):
        notes = list(
            Notification.objects.values_list("recipient_id", "kind", "target_type", "target_id", "message")
        )
    assert notes == [
        (cast.member.pk, "case_assigned", "cases.case", uuid.UUID(response.json()["id"]),
         "Owner assigned you the case Burst pipe"),
    ]  # fmt: skip


def test_purging_a_contact_keeps_its_cases_without_the_link(cast: Cast) -> None:
    contact = _contact(cast, first_name="Ada", archived_at=T0)
    case = _case(cast, contact=contact)

    assert client_for(cast.owner).post(f"/api/contacts/{contact.pk}/purge/").status_code == 204

    assert _stored(case).contact_id is None


# --- bulk -----------------------------------------------------------------------------------------------------


def test_member_bulk_update_reports_cases_they_cannot_see_as_not_found_and_changes_nothing(cast: Cast) -> None:
    """A bulk edit of cases applies the per-record rule."""
    mine = _case(cast, subject="Mine", created_by=cast.member)
    not_mine = _case(cast, subject="Owners")
    foreign = _case(cast, org=cast.org_b, subject="Bravo")
    body = {
        "action": "update",
        "ids": [str(mine.pk), str(not_mine.pk), str(foreign.pk)],
        "changes": {"priority": "urgent", "tags_add": ["escalated"]},
    }

    response = client_for(cast.member).post(f"{CASES}bulk/", body, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"id": str(mine.pk), "status": "updated"},
            {"id": str(not_mine.pk), "status": "not_found"},
            {"id": str(foreign.pk), "status": "not_found"},
        ]
    }
    assert (_stored(mine).priority, _stored(mine).tags) == ("urgent", ["escalated"])
    assert (_stored(not_mine).priority, _stored(not_mine).tags) == ("medium", [])
    with org_context(cast.org_b):
        assert (Case.objects.get(pk=foreign.pk).priority, Case.objects.get(pk=foreign.pk).tags) == ("medium", [])


def test_viewer_gets_403_on_bulk_even_for_cases_they_can_see(cast: Cast) -> None:
    case = _case(cast)

    for action in ("update", "archive"):
        response = client_for(cast.viewer).post(
            f"{CASES}bulk/",
            {"action": action, "ids": [str(case.pk)], "changes": {"priority": "low"}},
            format="json",
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    stored = _stored(case)
    assert (stored.priority, stored.archived_at) == ("medium", None)


def _bulk(client, ids, changes):
    return client.post(
        f"{CASES}bulk/", {"action": "update", "ids": [str(pk) for pk in ids], "changes": changes}, format="json"
    )


def _activity(case: Case) -> list[tuple]:
    with org_context(case.org):
        entries = ActivityEntry.objects.filter(target_type="cases.case", target_id=case.pk).order_by("created_at")
        return [(entry.verb, entry.created_by_id, entry.changes) for entry in entries]


def test_bulk_status_moves_each_case_like_a_single_write_and_reports_refused_ones(
    cast: Cast, clock: Clock
) -> None:
    fresh = _case(cast, subject="Fresh")
    pending = _case(cast, subject="Pending", status="pending", first_response_at=T0)
    closed = _case(cast, subject="Closed", status="closed", first_response_at=T0, closed_at=T0)
    detail = "A closed case cannot become resolved; it can become: open."
    resolved_at = clock.advance(minutes=10)

    response = _bulk(
        client_for(cast.manager), [fresh.pk, pending.pk, closed.pk], {"status": "resolved", "priority": "high"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"id": str(fresh.pk), "status": "updated"},
            {"id": str(pending.pk), "status": "updated"},
            {"id": str(closed.pk), "status": "invalid", "code": "invalid_transition", "detail": detail},
        ]
    }
    stored = {case.subject: _stored(case) for case in (fresh, pending, closed)}
    assert [(c.status, c.priority, c.first_response_at, c.resolved_at) for c in stored.values()] == [
        ("resolved", "high", resolved_at, resolved_at),
        ("resolved", "high", T0, resolved_at),
        # Nothing of the refused row is applied, not even the priority that alone would have been fine.
        ("closed", "medium", T0, None),
    ]
    assert _activity(fresh) == [
        (
            "status_changed",
            cast.manager.pk,
            {
                "status": ["new", "resolved"],
                "priority": ["medium", "high"],
                "first_response_at": [None, str(resolved_at)],
                "resolved_at": [None, str(resolved_at)],
            },
        )
    ]
    assert _activity(closed) == []


def test_bulk_assignment_logs_and_notifies_each_case_and_refuses_a_foreign_profile(cast: Cast) -> None:
    case = _case(cast, subject="Lift stuck")
    client = client_for(cast.owner)

    foreign = _bulk(client, [case.pk], {"assigned_to": [str(cast.other_owner.pk)]})
    response = _bulk(client, [case.pk], {"assigned_to": [str(cast.member.pk)]})

    assert foreign.status_code == 400
    assert foreign.json()["fields"] == {
        "assigned_to": [
            {"code": "does_not_exist", "detail": f'Invalid pk "{cast.other_owner.pk}" - object does not exist.'}
        ]
    }
    assert response.json() == {"results": [{"id": str(case.pk), "status": "updated"}]}
    assert _stored(case).assigned_to == [cast.member.pk]
    assert _activity(case) == [("assigned", cast.owner.pk, {"assigned_to": [[], [str(cast.member.pk)]]})]
    with org_context(cast.org_a):
        notes = list(Notification.objects.values_list("recipient_id", "kind", "target_id"))
    assert notes == [(cast.member.pk, "case_assigned", case.pk)]


def test_bulk_still_refuses_fields_outside_the_bulk_list(cast: Cast) -> None:
    case = _case(cast)

    response = _bulk(client_for(cast.owner), [case.pk], {"subject": "Renamed"})

    detail = (
        "Bulk updates may change only: assigned_to, due_at, priority, status, tags, tags_add, tags_remove, type."
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": detail,
        "fields": {"changes": [{"code": "invalid", "detail": detail}]},
    }
    assert _stored(case).subject == "Leaking roof"


# --- lists ----------------------------------------------------------------------------------------------------


def test_filtering_by_another_orgs_ids_finds_nothing_exactly_like_a_random_id(cast: Cast) -> None:
    contact, company = _contact(cast, cast.org_b, first_name="Bea"), _company(cast, cast.org_b, name="Bravo Co")
    _case(cast, cast.org_b, contact=contact, company=company, assigned_to=[cast.other_owner.pk])
    _case(cast, subject="Ours", assigned_to=[cast.owner.pk])

    assert_foreign_ids_find_nothing(
        client_for(cast.owner),
        CASES,
        {"contact": contact.pk, "company": company.pk, "assigned_to": cast.other_owner.pk,
         "created_by": cast.other_owner.pk},
    )  # fmt: skip


def test_filters_by_status_priority_type_contact_company_assignee_and_tags(cast: Cast) -> None:
    ada = _contact(cast, first_name="Ada")
    acme = _company(cast, name="Acme")
    _case(cast, subject="A", status="open", priority="high", type="problem", contact=ada, tags=["vip"])
    _case(cast, subject="B", status="pending", priority="low", company=acme, assigned_to=[cast.member.pk])
    _case(cast, subject="C", status="closed", priority="urgent", type="incident")
    client = client_for(cast.owner)

    def subjects(**params) -> list[str]:
        return sorted(c["subject"] for c in client.get(CASES, params).json()["results"])

    assert subjects(status=["open", "pending"]) == ["A", "B"]
    assert subjects(priority="urgent") == ["C"]
    assert subjects(type="problem") == ["A"]
    assert subjects(contact=str(ada.pk)) == ["A"]
    assert subjects(company=str(acme.pk)) == ["B"]
    assert subjects(assigned_to=str(cast.member.pk)) == ["B"]
    assert subjects(unassigned="true") == ["A", "C"]
    assert subjects(tags="vip") == ["A"]
    bad = client.get(CASES, {"status": "lost"})
    assert bad.status_code == 400
    assert bad.json()["fields"]["status"][0]["code"] == "invalid_choice"


def test_overdue_and_date_range_filters(cast: Cast) -> None:
    now = timezone.now()
    _case(cast, subject="Late", due_at=now - datetime.timedelta(hours=1))
    _case(cast, subject="Late but resolved", status="resolved", due_at=now - datetime.timedelta(hours=1))
    _case(cast, subject="Tomorrow", due_at=now + datetime.timedelta(days=1))
    _case(cast, subject="Undated")
    client = client_for(cast.owner)

    def subjects(**params) -> list[str]:
        return sorted(c["subject"] for c in client.get(CASES, params).json()["results"])

    assert subjects(overdue="true") == ["Late"]
    assert subjects(overdue="false") == ["Late but resolved", "Tomorrow", "Undated"]
    assert subjects(due_after=now.isoformat()) == ["Tomorrow"]
    assert subjects(due_before=now.isoformat()) == ["Late", "Late but resolved"]
    assert subjects(created_after=(now + datetime.timedelta(minutes=5)).isoformat()) == []
    late = client.get(CASES, {"overdue": "true"}).json()["results"][0]
    assert late["is_overdue"] is True


@pytest.mark.parametrize("field", ["first_response_at", "resolved_at", "closed_at", "due_at"])
def test_every_case_date_has_an_after_and_before_range(cast: Cast, field: str) -> None:
    _case(cast, subject="Early", **{field: T0})
    _case(cast, subject="Late", **{field: T0 + datetime.timedelta(days=2)})
    _case(cast, subject="Never")
    client = client_for(cast.owner)
    prefix = field.removesuffix("_at")
    boundary = _iso(T0 + datetime.timedelta(days=2))

    def subjects(**params) -> list[str]:
        return sorted(c["subject"] for c in client.get(CASES, params).json()["results"])

    # After is inclusive and before exclusive, so adjacent ranges never count a case twice.
    assert subjects(**{f"{prefix}_after": boundary}) == ["Late"]
    assert subjects(**{f"{prefix}_before": boundary}) == ["Early"]
    assert subjects(**{f"{prefix}_after": _iso(T0), f"{prefix}_before": boundary}) == ["Early"]
    malformed = client.get(CASES, {f"{prefix}_after": "yesterday"})
    assert malformed.status_code == 400
    assert malformed.json() == {
        "code": "invalid",
        "detail": "Enter a valid date/time.",
        "fields": {f"{prefix}_after": [{"code": "invalid", "detail": "Enter a valid date/time."}]},
    }


def test_ordering_by_first_response_puts_the_slowest_last(cast: Cast) -> None:
    _case(cast, subject="Slow", first_response_at=T0 + datetime.timedelta(hours=5))
    _case(cast, subject="Fast", first_response_at=T0)

    body = client_for(cast.owner).get(CASES, {"ordering": "first_response_at"}).json()

    assert [c["subject"] for c in body["results"]] == ["Fast", "Slow"]


def test_search_finds_subject_and_the_contacts_email(cast: Cast) -> None:
    ada = _contact(cast, first_name="Ada", last_name="Lovelace", email="ada@math.test")
    _case(cast, subject="Boiler makes noise", contact=ada)
    _case(cast, subject="Window will not close")
    client = client_for(cast.owner)

    def subjects(term: str) -> list[str]:
        return [c["subject"] for c in client.get(CASES, {"search": term}).json()["results"]]

    assert subjects("boiler") == ["Boiler makes noise"]
    assert subjects("math.test") == ["Boiler makes noise"]
    assert subjects("lovelace") == ["Boiler makes noise"]
    assert subjects("WINDOW") == ["Window will not close"]


def test_ordering_by_priority_follows_urgency_not_the_alphabet(cast: Cast) -> None:
    for priority in ("medium", "urgent", "low", "high"):
        _case(cast, subject=priority, priority=priority)
    client = client_for(cast.owner)

    ascending = [c["priority"] for c in client.get(CASES, {"ordering": "priority"}).json()["results"]]
    descending = [c["priority"] for c in client.get(CASES, {"ordering": "-priority"}).json()["results"]]

    assert ascending == ["low", "medium", "high", "urgent"]
    assert descending == ["urgent", "high", "medium", "low"]


def test_ordering_refuses_fields_outside_the_whitelist(cast: Cast) -> None:
    _case(cast, subject="B")

    refused = client_for(cast.owner).get(CASES, {"ordering": "description"})

    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_choice")
    assert "description" in refused.json()["fields"]["ordering"][0]["detail"]


def test_page_size_is_capped_at_100(cast: Cast) -> None:
    with org_context(cast.org_a):
        Case.objects.bulk_create([Case(org=cast.org_a, subject=f"C{i}") for i in range(105)])

    body = client_for(cast.owner).get(CASES, {"page_size": 1000}).json()

    assert (body["count"], len(body["results"])) == (105, 100)
    assert len(client_for(cast.owner).get(CASES).json()["results"]) == 25


def test_list_costs_the_same_queries_for_1_row_and_50(cast: Cast) -> None:
    company = _company(cast, name="Acme")
    contact = _contact(cast, first_name="Ada", company=company)
    _case(cast, contact=contact, company=company, assigned_to=[cast.member.pk])
    client = client_for(cast.member)

    def more() -> None:
        with org_context(cast.org_a):
            Case.objects.bulk_create(
                [
                    Case(org=cast.org_a, subject=f"C{i}", contact=contact, company=company,
                         assigned_to=[cast.member.pk])
                    for i in range(49)
                ]
            )  # fmt: skip

    queries = assert_flat_query_count(lambda: client.get(CASES, {"page_size": 50}), more)

    assert queries <= 4
    assert client.get(CASES, {"page_size": 50}).json()["results"][0]["contact_summary"] == {
        "id": str(contact.pk),
        "first_name": "Ada",
        "last_name": "",
        "email": "",
        "phone": "",
    }


# --- membership -----------------------------------------------------------------------------------------------


def test_removing_a_member_hands_their_unfinished_cases_on(cast: Cast) -> None:
    from cases.services import reassign_open_records

    open_case = _case(cast, subject="Open", status="open", assigned_to=[cast.member.pk, cast.admin.pk])
    done = _case(cast, subject="Done", status="closed", assigned_to=[cast.member.pk])

    with org_context(cast.org_a):
        moved = reassign_open_records(cast.org_a, cast.member, cast.manager)

    assert moved == 1
    assert _stored(open_case).assigned_to == [cast.manager.pk, cast.admin.pk]
    assert _stored(done).assigned_to == [cast.member.pk]
