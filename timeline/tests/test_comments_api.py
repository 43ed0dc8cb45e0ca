"""Comments on any record: who may read and write them, sanitised Markdown, threads, @mentions, soft delete."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from common.context import org_context
from records.services import record_etag
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry, Comment, Notification
from timeline.tests.factories import make_contact, target_of

pytestmark = pytest.mark.django_db

COMMENTS = "/api/timeline/comments/"
RANDOM_ID = "00000000-0000-7000-8000-000000000009"


def _comments(cast: Cast, org: Any = None) -> list[Comment]:
    with org_context(org or cast.org_a):
        return list(Comment.objects.all())


def _comment(cast: Cast, contact: Any, author: Any, body: str = "Hello", **fields: Any) -> Comment:
    with org_context(cast.org_a):
        return Comment.objects.create(
            org=cast.org_a, created_by=author, updated_by=author, target_type="contacts.contact",
            target_id=contact.pk, body=body, **fields,
        )  # fmt: skip


def _mention(profile: Any, name: str = "Ada") -> str:
    return f"@[{name}]({profile.pk})"


def _not_found() -> dict[str, Any]:
    return {"code": "not_found", "detail": "Not found.", "fields": {}}


# --- Writing ----------------------------------------------------------------------------------------------


def test_member_comments_on_an_assigned_contact_as_sanitised_markdown_logged_on_its_timeline(cast: Cast) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    body = "**Called** her <script>alert(1)</script><b>today</b> [site](javascript:alert(1)) a < b"

    response = client_for(cast.member).post(COMMENTS, {**target_of(contact), "body": body}, format="json")

    assert response.status_code == 201, response.json()
    [comment] = _comments(cast)
    assert response.json() == {
        "id": str(comment.pk),
        "target_type": "contacts.contact",
        "target_id": str(contact.pk),
        "parent_id": None,
        "body": "**Called** her today [site](#) a < b",
        "mentions": [],
        "attachment_ids": [],
        "author": {"id": str(cast.member.pk), "name": "Member"},
        "edited_at": None,
        "deleted_at": None,
        "created_at": comment.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": comment.updated_at.isoformat().replace("+00:00", "Z"),
        "can_edit": True,
        "can_delete": True,
    }
    assert response["ETag"] == record_etag(comment)
    assert (comment.org_id, comment.created_by_id, comment.body) == (
        cast.org_a.pk,
        cast.member.pk,
        "**Called** her today [site](#) a < b",
    )
    with org_context(cast.org_a):
        entry = ActivityEntry.objects.get(target_id=contact.pk, verb="commented")
    assert (entry.created_by_id, entry.changes) == (cast.member.pk, {"comment_id": str(comment.pk)})


def test_the_record_can_be_named_in_the_query_string_when_posting(cast: Cast) -> None:
    contact = make_contact(cast)
    query = f"{COMMENTS}?target_type=contacts.contact&target_id={contact.pk}"

    response = client_for(cast.owner).post(query, {"body": "From the query"}, format="json")

    assert response.status_code == 201
    assert response.json()["target_id"] == str(contact.pk)


def test_query_string_and_body_naming_different_records_is_refused_and_nothing_is_written(cast: Cast) -> None:
    contact, other = make_contact(cast), make_contact(cast, first_name="Bob")
    query = f"{COMMENTS}?target_type=contacts.contact&target_id={contact.pk}"

    response = client_for(cast.owner).post(query, {**target_of(other), "body": "Which?"}, format="json")

    assert response.status_code == 400
    detail = "The query string and the body name different records."
    assert response.json() == {
        "code": "target_mismatch",
        "detail": detail,
        "fields": {"target_id": [{"code": "target_mismatch", "detail": detail}]},
    }
    assert not list(_comments(cast))


def test_create_refuses_an_org_id_or_author_forged_in_the_body_and_writes_nothing(cast: Cast) -> None:
    contact = make_contact(cast)
    forged = {**target_of(contact), "body": "Forged", "org": str(cast.org_b.pk), "id": RANDOM_ID,
              "created_by": str(cast.other_owner.pk), "author": str(cast.admin.pk)}  # fmt: skip

    response = client_for(cast.manager).post(COMMENTS, forged, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "unknown_field")
    assert set(response.json()["fields"]) == {"org", "id", "created_by", "author"}
    assert not list(_comments(cast))


def test_viewer_reads_comments_but_gets_403_when_commenting_and_nothing_is_written(cast: Cast) -> None:
    contact = make_contact(cast)
    _comment(cast, contact, cast.owner)
    client = client_for(cast.viewer)

    listed = client.get(COMMENTS, target_of(contact))
    posted = client.post(COMMENTS, {**target_of(contact), "body": "Let me in"}, format="json")

    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert listed.json()["results"][0]["can_edit"] is False
    assert listed.json()["results"][0]["can_delete"] is False
    assert posted.status_code == 403
    assert posted.json() == {
        "code": "permission_denied",
        "detail": "Your role does not allow this action.",
        "fields": {},
    }
    assert len(_comments(cast)) == 1


def _no_such_target(pk: Any) -> dict[str, Any]:
    detail = f'Invalid pk "{pk}" - object does not exist.'
    return {"code": "does_not_exist", "detail": detail, "fields": {"target_id": [{"code": "does_not_exist",
            "detail": detail}]}}  # fmt: skip


def test_another_orgs_record_in_the_query_string_gets_the_same_404_as_a_random_id(cast: Cast) -> None:
    foreign = make_contact(cast, org=cast.org_b)
    client = client_for(cast.owner)
    random = {"target_type": "contacts.contact", "target_id": RANDOM_ID}

    answers = [
        client.get(COMMENTS, target_of(foreign)),
        client.get(COMMENTS, random),
        client.post(f"{COMMENTS}?target_type=contacts.contact&target_id={foreign.pk}", {"body": "Hi"}),
        client.post(f"{COMMENTS}?target_type=contacts.contact&target_id={RANDOM_ID}", {"body": "Hi"}),
    ]

    assert [(a.status_code, a.json()) for a in answers] == [(404, _not_found())] * 4
    assert _comments(cast, cast.org_b) == []


def test_another_orgs_record_in_the_body_is_does_not_exist_like_a_random_id_and_nothing_is_written(
    cast: Cast,
) -> None:
    foreign = make_contact(cast, org=cast.org_b)
    client = client_for(cast.owner)

    foreign_answer = client.post(COMMENTS, {**target_of(foreign), "body": "Hi"}, format="json")
    random_answer = client.post(
        COMMENTS, {"target_type": "contacts.contact", "target_id": RANDOM_ID, "body": "Hi"}, format="json"
    )

    assert (foreign_answer.status_code, foreign_answer.json()) == (400, _no_such_target(foreign.pk))
    assert (random_answer.status_code, random_answer.json()) == (400, _no_such_target(RANDOM_ID))
    assert not list(_comments(cast)) and _comments(cast, cast.org_b) == []
    with org_context(cast.org_b):
        assert list(ActivityEntry.objects.filter(verb="commented")) == []


def test_member_gets_404_on_a_record_they_cannot_see_even_when_it_has_comments(cast: Cast) -> None:
    contact = make_contact(cast)  # created by the owner, not assigned to the member
    comment = _comment(cast, contact, cast.owner)
    client = client_for(cast.member)

    answers = [
        client.get(COMMENTS, target_of(contact)),
        client.post(f"{COMMENTS}?target_type=contacts.contact&target_id={contact.pk}", {"body": "Hi"}),
        client.get(f"{COMMENTS}{comment.pk}/"),
        client.patch(f"{COMMENTS}{comment.pk}/", {"body": "Mine now"}, format="json"),
        client.delete(f"{COMMENTS}{comment.pk}/"),
    ]
    in_the_body = client.post(COMMENTS, {**target_of(contact), "body": "Hi"}, format="json")

    assert [a.status_code for a in answers] == [404] * 5
    assert (in_the_body.status_code, in_the_body.json()) == (400, _no_such_target(contact.pk))
    assert [(c.body, c.deleted_at) for c in _comments(cast)] == [("Hello", None)]


def test_outsider_and_other_org_get_404_on_the_comments_of_org_a(cast: Cast) -> None:
    contact = make_contact(cast)
    comment = _comment(cast, contact, cast.owner)

    assert client_for(cast.other_owner).get(f"{COMMENTS}{comment.pk}/").status_code == 404
    assert client_for(cast.other_owner).get(COMMENTS, target_of(contact)).status_code == 404
    assert client_for(cast.outsider, org=cast.org_a).get(COMMENTS, target_of(contact)).status_code == 404
    assert client_for(cast.other_owner).delete(f"{COMMENTS}{comment.pk}/").status_code == 404
    assert _comments(cast)[0].deleted_at is None


def test_an_unknown_record_type_is_a_field_error_naming_the_allowed_ones(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        COMMENTS, {"target_type": "common.user", "target_id": RANDOM_ID, "body": "Hi"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_choice"
    assert body["detail"].startswith("Not a record type. Use one of: ")
    assert "contacts.contact" in body["detail"] and "common.user" not in body["detail"]
    assert body["fields"] == {"target_type": [{"code": "invalid_choice", "detail": body["detail"]}]}


def test_listing_without_naming_a_record_is_a_field_error(cast: Cast) -> None:
    response = client_for(cast.owner).get(COMMENTS)

    assert response.status_code == 400
    assert response.json() == {
        "code": "required",
        "detail": "The request has invalid fields.",
        "fields": {
            "target_type": [{"code": "required", "detail": "This field is required."}],
            "target_id": [{"code": "required", "detail": "This field is required."}],
        },
    }


def test_a_body_over_10000_characters_or_empty_once_html_is_removed_is_refused(cast: Cast) -> None:
    contact = make_contact(cast)
    client = client_for(cast.owner)

    too_long = client.post(COMMENTS, {**target_of(contact), "body": "x" * 10_001}, format="json")
    only_html = client.post(
        COMMENTS, {**target_of(contact), "body": "<img src=x onerror=alert(1)>"}, format="json"
    )
    longest = client.post(COMMENTS, {**target_of(contact), "body": "x" * 10_000}, format="json")

    assert too_long.status_code == 400
    assert too_long.json()["fields"] == {
        "body": [{"code": "max_length", "detail": "Ensure this field has no more than 10000 characters."}]
    }
    assert only_html.status_code == 400
    assert only_html.json() == {
        "code": "blank",
        "detail": "The comment is empty (HTML is removed from comments).",
        "fields": {"body": [{"code": "blank", "detail": "The comment is empty (HTML is removed from comments)."}]},
    }
    assert longest.status_code == 201
    assert [len(c.body) for c in _comments(cast)] == [10_000]


def test_commenting_on_an_archived_record_is_a_409(cast: Cast) -> None:
    from django.utils import timezone

    contact = make_contact(cast, archived_at=timezone.now())

    response = client_for(cast.owner).post(COMMENTS, {**target_of(contact), "body": "Hi"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": "archived",
        "detail": "This contact is archived. Restore it first.",
        "fields": {},
    }


# --- Threads ----------------------------------------------------------------------------------------------


def test_a_reply_to_a_reply_joins_the_same_thread(cast: Cast) -> None:
    contact = make_contact(cast)
    root = _comment(cast, contact, cast.owner)
    reply = _comment(cast, contact, cast.manager, parent=root)

    response = client_for(cast.admin).post(
        COMMENTS, {**target_of(contact), "body": "Agreed", "parent": str(reply.pk)}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["parent_id"] == str(root.pk)
    with org_context(cast.org_a):
        entry = ActivityEntry.objects.get(verb="commented", target_id=contact.pk)
    assert entry.changes == {"comment_id": response.json()["id"], "parent_id": str(root.pk)}


def test_a_parent_on_another_record_or_in_another_org_does_not_exist_like_a_random_id(cast: Cast) -> None:
    contact, elsewhere = make_contact(cast), make_contact(cast, first_name="Bob")
    other_record = _comment(cast, elsewhere, cast.owner)
    foreign_contact = make_contact(cast, org=cast.org_b)
    with org_context(cast.org_b):
        foreign = Comment.objects.create(
            org=cast.org_b, created_by=cast.other_owner, target_type="contacts.contact",
            target_id=foreign_contact.pk, body="Bravo",
        )  # fmt: skip
    client = client_for(cast.owner)

    answers = {
        parent: client.post(COMMENTS, {**target_of(contact), "body": "Re", "parent": parent}, format="json")
        for parent in (str(other_record.pk), str(foreign.pk), RANDOM_ID)
    }

    for parent, answer in answers.items():
        detail = f'Invalid pk "{parent}" - object does not exist.'
        assert (answer.status_code, answer.json()) == (
            400,
            {
                "code": "does_not_exist",
                "detail": detail,
                "fields": {"parent": [{"code": "does_not_exist", "detail": detail}]},
            },
        )
    assert len(_comments(cast)) == 1


# --- Mentions ---------------------------------------------------------------------------------------------


def test_mentioned_members_get_a_notification_and_an_email_after_commit(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact(cast, first_name="Ada", last_name="Lovelace")
    body = f"{_mention(cast.manager, 'Manager')} and {_mention(cast.viewer, 'Viewer')}: call   her back"

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).post(COMMENTS, {**target_of(contact), "body": body}, format="json")

    assert response.status_code == 201
    assert response.json()["mentions"] == [str(cast.manager.pk), str(cast.viewer.pk)]
    with org_context(cast.org_a):
        notifications = list(Notification.objects.order_by("recipient__user__email"))
    message = "Owner mentioned you on the contact Ada Lovelace: @Manager and @Viewer: call her back"
    assert [(n.recipient_id, n.kind, n.target_id, n.message, str(n.comment_id)) for n in notifications] == [
        (cast.manager.pk, "mentioned", contact.pk, message, response.json()["id"]),
        (cast.viewer.pk, "mentioned", contact.pk, message, response.json()["id"]),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["manager@alpha.test", "viewer@alpha.test"]
    assert mail.outbox[0].subject == f"[Alpha Realty] {message}"


def test_a_member_who_opted_out_of_mention_emails_gets_the_notification_but_no_email(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    contact = make_contact(cast)
    cast.manager.user.email_opt_outs = ["mentioned"]
    cast.manager.user.save(update_fields=["email_opt_outs"])

    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast.owner).post(
            COMMENTS, {**target_of(contact), "body": _mention(cast.manager)}, format="json"
        )

    with org_context(cast.org_a):
        assert list(Notification.objects.values_list("recipient_id", "emailed_at")) == [(cast.manager.pk, None)]
    assert mail.outbox == []


def test_mentioning_another_orgs_member_is_does_not_exist_like_a_random_id_and_notifies_nobody(cast: Cast) -> None:
    contact = make_contact(cast)
    client = client_for(cast.owner)

    answers = [
        client.post(COMMENTS, {**target_of(contact), "body": f"@[Eve]({pk})"}, format="json")
        for pk in (cast.other_owner.pk, RANDOM_ID)
    ]

    for answer, pk in zip(answers, (cast.other_owner.pk, RANDOM_ID), strict=True):
        detail = f'Invalid pk "{pk}" - object does not exist.'
        assert (answer.status_code, answer.json()) == (
            400,
            {
                "code": "does_not_exist",
                "detail": detail,
                "fields": {"body": [{"code": "does_not_exist", "detail": detail}]},
            },
        )
    assert not list(_comments(cast))
    with org_context(cast.org_b):
        assert not Notification.objects.exists()


def test_mentioning_a_member_who_cannot_see_the_record_is_refused_rather_than_leaking_it(cast: Cast) -> None:
    contact = make_contact(cast)  # the member is not assigned

    response = client_for(cast.owner).post(
        COMMENTS, {**target_of(contact), "body": f"Look {_mention(cast.member)}"}, format="json"
    )

    assert response.status_code == 400
    detail = "Member cannot see this contact. Assign them to it first, or mention someone who can see it."
    assert response.json() == {
        "code": "mention_cannot_see_target",
        "detail": detail,
        "fields": {"body": [{"code": "mention_cannot_see_target", "detail": detail}]},
    }
    assert not list(_comments(cast))


def test_mentioning_a_deactivated_member_is_does_not_exist(cast: Cast) -> None:
    contact = make_contact(cast)
    cast.manager.is_active = False
    cast.manager.save(update_fields=["is_active"])

    response = client_for(cast.owner).post(
        COMMENTS, {**target_of(contact), "body": _mention(cast.manager)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "does_not_exist"


# --- Editing and deleting ---------------------------------------------------------------------------------


def test_the_author_edits_and_only_newly_mentioned_members_are_notified(cast: Cast) -> None:
    contact = make_contact(cast)
    client = client_for(cast.owner)
    created = client.post(COMMENTS, {**target_of(contact), "body": f"Hi {_mention(cast.manager)}"}, format="json")
    url = f"{COMMENTS}{created.json()['id']}/"

    edited = client.patch(
        url,
        {"body": f"Hi {_mention(cast.manager)} and {_mention(cast.admin)}"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )

    assert edited.status_code == 200, edited.json()
    assert edited.json()["edited_at"] is not None
    assert edited.json()["mentions"] == [str(cast.manager.pk), str(cast.admin.pk)]
    assert edited["ETag"] != created["ETag"]
    with org_context(cast.org_a):
        assert sorted(Notification.objects.values_list("recipient__user__email", flat=True)) == [
            "admin@alpha.test",
            "manager@alpha.test",
        ]


def test_an_edit_with_a_stale_etag_is_a_412_and_changes_nothing(cast: Cast) -> None:
    contact = make_contact(cast)
    comment = _comment(cast, contact, cast.owner, body="First")

    response = client_for(cast.owner).patch(
        f"{COMMENTS}{comment.pk}/", {"body": "Second"}, format="json", HTTP_IF_MATCH='"stale"'
    )

    assert response.status_code == 412
    assert response.json() == {
        "code": "precondition_failed",
        "detail": "The comment changed since you loaded it. Reload it and apply your change again.",
        "fields": {},
    }
    assert [c.body for c in _comments(cast)] == ["First"]


def test_nobody_edits_someone_elses_comment_not_even_an_admin(cast: Cast) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    comment = _comment(cast, contact, cast.member, body="Mine")

    answers = [
        client_for(who).patch(f"{COMMENTS}{comment.pk}/", {"body": "Theirs"}, format="json")
        for who in (cast.owner, cast.admin, cast.manager)
    ]

    expected = {"code": "permission_denied", "detail": "Only the author can edit a comment.", "fields": {}}
    assert [(a.status_code, a.json()) for a in answers] == [(403, expected)] * 3
    assert [(c.body, c.edited_at) for c in _comments(cast)] == [("Mine", None)]


def test_a_member_cannot_delete_someone_elses_comment_but_an_admin_can(cast: Cast) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    comment = _comment(cast, contact, cast.manager)

    by_member = client_for(cast.member).delete(f"{COMMENTS}{comment.pk}/")
    unchanged = _comments(cast)[0]
    by_admin = client_for(cast.admin).delete(f"{COMMENTS}{comment.pk}/")

    assert by_member.status_code == 403
    assert by_member.json() == {
        "code": "permission_denied",
        "detail": "Only the author or an admin can delete a comment.",
        "fields": {},
    }
    assert (unchanged.body, unchanged.deleted_at) == ("Hello", None)
    assert by_admin.status_code == 204
    deleted = _comments(cast)[0]
    assert (deleted.body, deleted.deleted_by_id, deleted.deleted_at is not None) == ("", cast.admin.pk, True)


def test_deleting_keeps_the_thread_wipes_the_text_and_takes_it_out_of_mention_notifications(cast: Cast) -> None:
    contact = make_contact(cast)
    client = client_for(cast.owner)
    root = client.post(
        COMMENTS, {**target_of(contact), "body": f"Password is hunter2 {_mention(cast.manager)}"}, format="json"
    ).json()
    client.post(COMMENTS, {**target_of(contact), "body": "Noted", "parent": root["id"]}, format="json")

    deleted = client.delete(f"{COMMENTS}{root['id']}/")
    listed = client.get(COMMENTS, target_of(contact)).json()["results"]
    edit_after = client.patch(f"{COMMENTS}{root['id']}/", {"body": "Back"}, format="json")

    assert deleted.status_code == 204
    assert [(c["id"], c["parent_id"], c["body"], c["mentions"], c["deleted_at"] is not None) for c in listed] == [
        (root["id"], None, "", [], True),
        (listed[1]["id"], root["id"], "Noted", [], False),
    ]
    assert (listed[0]["can_edit"], listed[0]["can_delete"]) == (False, False)
    with org_context(cast.org_a):
        assert list(Notification.objects.values_list("message", flat=True)) == [
            "You were mentioned on the contact Ada in a comment since deleted."
        ]
        assert (
            ActivityEntry.objects.filter(verb="comment_deleted", changes={"comment_id": root["id"]}).count() == 1
        )
    assert (edit_after.status_code, edit_after.json()["code"]) == (409, "deleted")
    assert client.delete(f"{COMMENTS}{root['id']}/").status_code == 204  # deleting again is harmless


# --- Lists ------------------------------------------------------------------------------------------------


def test_comment_list_costs_the_same_queries_for_one_comment_and_for_fifty(cast: Cast) -> None:
    contact = make_contact(cast, assigned_to=[cast.member.pk])
    _comment(cast, contact, cast.owner)
    client = client_for(cast.member)

    def grow() -> None:
        authors = [cast.owner, cast.admin, cast.manager, cast.member]
        for index in range(49):
            _comment(cast, contact, authors[index % 4], body=f"Comment {index}")

    assert_flat_query_count(lambda: client.get(COMMENTS, {**target_of(contact), "page_size": 100}), grow)
    assert client.get(COMMENTS, target_of(contact)).json()["count"] == 50


def test_comment_list_is_oldest_first_filters_by_author_and_caps_the_page_size_at_100(cast: Cast) -> None:
    contact = make_contact(cast)
    with org_context(cast.org_a):
        Comment.objects.bulk_create(
            [
                Comment(org=cast.org_a, created_by=cast.admin if i % 2 else cast.owner,
                        target_type="contacts.contact", target_id=contact.pk, body=f"#{i}")
                for i in range(120)
            ]
        )  # fmt: skip
    client = client_for(cast.owner)

    page = client.get(COMMENTS, {**target_of(contact), "page_size": 1000}).json()
    by_admin = client.get(COMMENTS, {**target_of(contact), "author": str(cast.admin.pk)}).json()
    newest = client.get(COMMENTS, {**target_of(contact), "ordering": "-created_at"}).json()
    searched = client.get(COMMENTS, {**target_of(contact), "search": "#11"}).json()

    assert (page["count"], len(page["results"])) == (120, 100)
    assert by_admin["count"] == 60
    assert sorted(c["body"] for c in searched["results"]) == ["#11", *(f"#11{i}" for i in range(10))]
    assert page["results"][0]["created_at"] <= page["results"][-1]["created_at"]
    assert newest["results"][0]["created_at"] >= newest["results"][-1]["created_at"]
