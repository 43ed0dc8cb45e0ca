"""Threaded campaign comments that carry files (timeline comments with `attachment_ids`), and the watchers who
hear of them through the registry's comment listener."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.tests.helpers import RANDOM_ID, campaign, png
from common import registry
from common.context import org_context
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from timeline.models import Attachment, Notification

pytestmark = pytest.mark.django_db

COMMENTS = "/api/timeline/comments/"
ATTACHMENTS = "/api/timeline/attachments/"
TARGET = "campaigns.campaign"


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _attach(client: Any, target_type: str, target_id: object, name: str = "brief.png") -> str:
    file = SimpleUploadedFile(name, png(), "image/png")
    response = client.post(ATTACHMENTS, {"target_type": target_type, "target_id": str(target_id), "file": file},
                           format="multipart")  # fmt: skip
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def _comment(client: Any, target_id: object, body: str, **extra: Any) -> Any:
    return client.post(COMMENTS, {"target_type": TARGET, "target_id": str(target_id), "body": body, **extra},
                       format="json")  # fmt: skip


def _notes(kind: str, target_id: object, org: Any) -> list[tuple[object, str]]:
    with org_context(org):
        rows = Notification.objects.filter(kind=kind, target_id=target_id).order_by("recipient_id", "created_at")
        return [(row.recipient_id, row.message) for row in rows]


def test_the_campaign_module_listens_to_comments_on_its_own_records_only() -> None:
    from campaigns.services import campaign_comment_heard

    assert registry.comment_listener_of(TARGET) is campaign_comment_heard
    assert registry.comment_listener_of("contacts.contact") is None


def test_comments_and_replies_tell_watchers_and_the_owner_after_commit_except_the_author_and_the_mentioned(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks
) -> None:
    made = campaign(cast, owner_id=cast.admin.pk, watchers=[cast.manager.pk, cast.viewer.pk, cast.member.pk])
    cast.viewer.user.email_opt_outs = ["campaign_comment"]
    cast.viewer.user.save(update_fields=["email_opt_outs"])
    client = client_for(cast.owner)

    with django_capture_on_commit_callbacks(execute=True):
        first = _comment(client, made.pk, f"Can @[Manager]({cast.manager.pk}) sign off the copy?")
    with django_capture_on_commit_callbacks(execute=True):
        reply = _comment(client_for(cast.admin), made.pk, "Done, going live Monday.", parent=first.json()["id"])

    assert (first.status_code, reply.status_code) == (201, 201)
    said = f"Owner commented on the campaign {made.name}: Can @[Manager]({cast.manager.pk}) sign off the copy?"
    replied = f"Admin replied on the campaign {made.name}: Done, going live Monday."
    # The member watches but cannot see the campaign; the manager was mentioned (told as `mentioned`).
    notes = _notes("campaign_comment", made.pk, cast.org_a)
    assert sorted(notes, key=str) == sorted([
        (cast.admin.pk, said), (cast.viewer.pk, said), (cast.manager.pk, replied), (cast.viewer.pk, replied),
    ], key=str)  # fmt: skip
    assert [row[0] for row in _notes("mentioned", made.pk, cast.org_a)] == [cast.manager.pk]
    emailed = sorted((email.to[0], said in email.body) for email in mail.outbox)
    assert emailed == [("admin@alpha.test", True), ("manager@alpha.test", False), ("manager@alpha.test", False)]


@pytest.mark.usefixtures("media_root")
def test_a_comment_carries_files_its_author_attached_to_the_same_campaign(cast: Cast) -> None:
    made = campaign(cast)
    client = client_for(cast.owner)
    files = [_attach(client, TARGET, made.pk, "a.png"), _attach(client, TARGET, made.pk, "b.png")]

    response = _comment(client, made.pk, "Both layouts attached.", attachment_ids=files)

    assert response.status_code == 201, response.json()
    comment = response.json()
    assert comment["attachment_ids"] == files
    listed = client_for(cast.viewer).get(COMMENTS, {"target_type": TARGET, "target_id": str(made.pk)}).json()
    assert listed["results"][0]["attachment_ids"] == files
    attachment = client.get(f"{ATTACHMENTS}{files[0]}/").json()
    assert attachment["comment_id"] == comment["id"]
    timeline = client.get(f"/api/campaigns/{made.pk}/timeline/").json()["results"]
    commented = [entry for entry in timeline if entry["kind"] == "comment"]
    assert commented[0]["body"] == "Both layouts attached."
    with org_context(cast.org_a):
        assert set(Attachment.objects.filter(comment_id=comment["id"]).values_list("file_name", flat=True)) == {
            "a.png", "b.png"
        }  # fmt: skip


@pytest.mark.usefixtures("media_root")
def test_files_of_another_author_record_org_or_comment_are_the_same_400_as_a_random_id(cast: Cast) -> None:
    made, other = campaign(cast), campaign(cast, name="Other")
    theirs = campaign(cast, org=cast.org_b)
    owner, admin = client_for(cast.owner), client_for(cast.admin)
    admins_file = _attach(admin, TARGET, made.pk)
    other_records_file = _attach(owner, TARGET, other.pk)
    their_file = _attach(client_for(cast.other_owner), TARGET, theirs.pk)
    carried = _attach(owner, TARGET, made.pk)
    assert _comment(owner, made.pk, "First", attachment_ids=[carried]).status_code == 201

    for pk in (admins_file, other_records_file, their_file, carried, RANDOM_ID):
        response = _comment(owner, made.pk, "With a file", attachment_ids=[pk])
        error = {"code": "does_not_exist", "detail": f'Invalid pk "{pk}" - object does not exist.'}
        assert (response.status_code, response.json()) == (400, {**error, "fields": {"attachment_ids": [error]}})
    with org_context(cast.org_a):
        assert Attachment.objects.get(pk=admins_file).comment_id is None
        assert Notification.objects.filter(kind="campaign_comment").count() == 0


@pytest.mark.usefixtures("media_root")
def test_comments_on_other_records_carry_files_too_and_the_list_stays_flat(cast: Cast) -> None:
    from contacts.models import Contact

    with org_context(cast.org_a):
        contact = Contact.objects.create(org=cast.org_a, first_name="Ada", created_by=cast.owner)
    client = client_for(cast.owner)
    file = _attach(client, "contacts.contact", contact.pk)
    assert _comment(client, contact.pk, "Signed lease", target_type="contacts.contact",
                    attachment_ids=[file]).json()["attachment_ids"] == [file]  # fmt: skip
    params = {"target_type": "contacts.contact", "target_id": str(contact.pk)}

    def grow() -> None:
        for n in range(10):
            attached = _attach(client, "contacts.contact", contact.pk, f"f{n}.png")
            _comment(client, contact.pk, f"Note {n}", target_type="contacts.contact", attachment_ids=[attached])

    assert_flat_query_count(lambda: client.get(COMMENTS, params), grow)
