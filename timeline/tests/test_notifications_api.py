"""Each member's notification inbox in an org, marking read, and the per-person email opt-outs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from common.context import org_context
from common.models import User
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from timeline.models import Notification
from timeline.notifications import notify
from timeline.tests.factories import make_contact

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/api/notifications/"
PREFERENCES = "/api/notifications/preferences/"
RANDOM_ID = "00000000-0000-7000-8000-000000000009"


def _notification(
    cast: Cast, recipient: Any, message: str = "Hello", org: Any = None, **fields: Any
) -> Notification:
    org = org or cast.org_a
    with org_context(org):
        return Notification.objects.create(
            org=org, recipient=recipient, kind=fields.pop("kind", "assigned"), target_type="contacts.contact",
            target_id=fields.pop("target_id", RANDOM_ID), message=message, **fields,
        )  # fmt: skip


def _read_at(cast: Cast) -> dict[str, Any]:
    with org_context(cast.org_a):
        return dict(Notification.objects.values_list("message", "read_at"))


def test_a_member_lists_only_their_own_notifications_newest_first(cast: Cast) -> None:
    first = _notification(cast, cast.member, "First", created_by=cast.owner)
    second = _notification(cast, cast.member, "Second", kind="mentioned")
    _notification(cast, cast.manager, "Not yours")
    _notification(cast, cast.other_owner, "Other org", org=cast.org_b)

    response = client_for(cast.member).get(NOTIFICATIONS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"] == [
        {
            "id": str(second.pk), "kind": "mentioned", "target_type": "contacts.contact", "target_id": RANDOM_ID,
            "comment_id": None, "message": "Second", "actor_id": None, "is_read": False, "read_at": None,
            "created_at": second.created_at.isoformat().replace("+00:00", "Z"),
        },
        {
            "id": str(first.pk), "kind": "assigned", "target_type": "contacts.contact", "target_id": RANDOM_ID,
            "comment_id": None, "message": "First", "actor_id": str(cast.owner.pk), "is_read": False,
            "read_at": None, "created_at": first.created_at.isoformat().replace("+00:00", "Z"),
        },
    ]  # fmt: skip


def test_unread_filter_kind_filter_and_unread_count(cast: Cast) -> None:
    _notification(cast, cast.viewer, "Read", read_at="2026-01-01T00:00:00Z")
    _notification(cast, cast.viewer, "Unread")
    _notification(cast, cast.viewer, "Mention", kind="mentioned")
    client = client_for(cast.viewer)

    unread = client.get(NOTIFICATIONS, {"unread": "true"}).json()
    read = client.get(NOTIFICATIONS, {"unread": "false"}).json()
    mentions = client.get(NOTIFICATIONS, {"kind": "mentioned"}).json()
    count = client.get(f"{NOTIFICATIONS}unread-count/")

    assert sorted(n["message"] for n in unread["results"]) == ["Mention", "Unread"]
    assert [n["message"] for n in read["results"]] == ["Read"]
    assert [n["message"] for n in mentions["results"]] == ["Mention"]
    assert (count.status_code, count.json()) == (200, {"unread": 2})


def test_marking_read_keeps_the_first_time_and_only_works_on_your_own(cast: Cast) -> None:
    mine = _notification(cast, cast.member, "Mine")
    theirs = _notification(cast, cast.manager, "Theirs")
    foreign = _notification(cast, cast.other_owner, "Bravo", org=cast.org_b)
    client = client_for(cast.member)

    first = client.post(f"{NOTIFICATIONS}{mine.pk}/read/")
    again = client.post(f"{NOTIFICATIONS}{mine.pk}/read/")
    answers = [
        client.post(f"{NOTIFICATIONS}{theirs.pk}/read/"),
        client.post(f"{NOTIFICATIONS}{foreign.pk}/read/"),
        client.post(f"{NOTIFICATIONS}{RANDOM_ID}/read/"),
        client_for(cast.outsider, org=cast.org_a).post(f"{NOTIFICATIONS}{mine.pk}/read/"),
    ]

    assert first.status_code == 200
    assert first.json()["is_read"] is True
    assert again.json()["read_at"] == first.json()["read_at"]
    assert [(a.status_code, a.json()) for a in answers[:3]] == [
        (404, {"code": "not_found", "detail": "Not found.", "fields": {}})
    ] * 3
    assert answers[3].status_code == 404
    assert _read_at(cast)["Theirs"] is None
    with org_context(cast.org_b):
        assert Notification.objects.get(pk=foreign.pk).read_at is None


def test_read_all_marks_only_my_unread_notifications_in_this_org(cast: Cast) -> None:
    _notification(cast, cast.member, "One")
    _notification(cast, cast.member, "Two")
    _notification(cast, cast.manager, "Manager's")
    _notification(cast, cast.other_owner, "Bravo", org=cast.org_b)

    response = client_for(cast.member).post(f"{NOTIFICATIONS}read-all/")

    assert (response.status_code, response.json()) == (200, {"marked_read": 2})
    read_at = _read_at(cast)
    assert (read_at["One"] is not None, read_at["Two"] is not None, read_at["Manager's"]) == (True, True, None)
    assert client_for(cast.member).get(f"{NOTIFICATIONS}unread-count/").json() == {"unread": 0}
    assert client_for(cast.manager).get(f"{NOTIFICATIONS}unread-count/").json() == {"unread": 1}


def test_notification_list_costs_the_same_queries_for_one_and_for_fifty_and_caps_the_page_at_100(
    cast: Cast,
) -> None:
    _notification(cast, cast.member)
    client = client_for(cast.member)

    def grow() -> None:
        with org_context(cast.org_a):
            Notification.objects.bulk_create(
                Notification(org=cast.org_a, recipient=cast.member, kind="assigned",
                             target_type="contacts.contact", target_id=RANDOM_ID, message=f"#{i}",
                             created_by=cast.owner)
                for i in range(119)
            )  # fmt: skip

    assert_flat_query_count(lambda: client.get(NOTIFICATIONS, {"page_size": 100}), grow)
    page = client.get(NOTIFICATIONS, {"page_size": 1000}).json()
    assert (page["count"], len(page["results"])) == (120, 100)


def test_other_org_owner_sees_none_of_org_as_notifications(cast: Cast) -> None:
    _notification(cast, cast.owner, "Alpha only")

    assert client_for(cast.other_owner).get(NOTIFICATIONS).json()["count"] == 0
    assert client_for(cast.other_owner, org=cast.org_a).get(NOTIFICATIONS).status_code == 404


# --- Email preferences ------------------------------------------------------------------------------------


def test_preferences_list_the_kinds_and_what_i_opted_out_of(cast: Cast) -> None:
    cast.member.user.email_opt_outs = ["task_due"]
    cast.member.user.save(update_fields=["email_opt_outs"])

    response = client_for(cast.member.user).get(PREFERENCES)

    assert response.status_code == 200
    assert response.json() == {
        "email_opt_outs": ["task_due"],
        "kinds": [
            {"kind": "assigned", "label": "Assigned to you", "is_emailed": True},
            {"kind": "mentioned", "label": "Mentioned", "is_emailed": True},
            {"kind": "task_due", "label": "Task due", "is_emailed": True},
            {"kind": "case_assigned", "label": "Case assigned", "is_emailed": True},
            {"kind": "listing_match", "label": "A listing matches a saved search", "is_emailed": True},
            {"kind": "listing_inquiry", "label": "An inquiry about your listing", "is_emailed": True},
            {"kind": "enhancement_done", "label": "An image enhancement finished", "is_emailed": False},
            {"kind": "campaign_status", "label": "A campaign you watch changed status", "is_emailed": True},
            {"kind": "campaign_comment", "label": "A comment on a campaign you watch", "is_emailed": True},
            {"kind": "budget_exceeded", "label": "A campaign budget is spent", "is_emailed": True},
            {"kind": "ai_job_finished", "label": "AI copy is ready", "is_emailed": False},
        ],
    }


def test_putting_preferences_replaces_the_opt_outs_of_that_person_only(cast: Cast) -> None:
    response = client_for(cast.member.user).put(
        PREFERENCES, {"email_opt_outs": ["mentioned", "assigned", "mentioned"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["email_opt_outs"] == ["assigned", "mentioned"]
    opt_outs = dict(User.objects.values_list("email", "email_opt_outs"))
    assert opt_outs["member@alpha.test"] == ["assigned", "mentioned"]
    assert opt_outs["manager@alpha.test"] == []


def test_an_unknown_kind_is_a_field_error_and_changes_nothing(cast: Cast) -> None:
    response = client_for(cast.member.user).put(PREFERENCES, {"email_opt_outs": ["spam"]}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_choice",
        "detail": '"spam" is not a valid choice.',
        "fields": {"email_opt_outs.0": [{"code": "invalid_choice", "detail": '"spam" is not a valid choice.'}]},
    }
    assert User.objects.get(pk=cast.member.user.pk).email_opt_outs == []


def test_preferences_need_a_signed_in_person_but_no_org(cast: Cast) -> None:
    anonymous = client_for(None).put(PREFERENCES, {"email_opt_outs": ["mentioned"]}, format="json")
    outsider = client_for(cast.outsider).put(PREFERENCES, {"email_opt_outs": ["mentioned"]}, format="json")

    assert anonymous.status_code == 401
    assert outsider.status_code == 200
    assert User.objects.get(pk=cast.outsider.pk).email_opt_outs == ["mentioned"]


def test_an_opt_out_stops_the_email_of_that_kind_only(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact(cast)
    client_for(cast.member.user).put(PREFERENCES, {"email_opt_outs": ["assigned"]}, format="json")
    cast.member.user.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True), org_context(cast.org_a):
        for kind in ("assigned", "mentioned"):
            notify(
                org=cast.org_a, actor=cast.owner, recipient_ids=[cast.member.pk], kind=kind,
                target_type="contacts.contact", target_id=contact.pk, message=f"About {kind}",
            )  # fmt: skip

    assert [m.subject for m in mail.outbox] == ["[Alpha Realty] About mentioned"]
    assert client_for(cast.member).get(f"{NOTIFICATIONS}unread-count/").json() == {"unread": 2}
