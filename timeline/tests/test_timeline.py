"""A record's merged timeline, the helpers record services call on purge and merge, and comment sanitising."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from common.context import org_context
from contacts.models import Contact
from tenants.testing.fixtures import Cast, client_for
from timeline.markdown import mentioned_ids, sanitize_markdown
from timeline.models import ActivityEntry, Attachment, Comment, Notification
from timeline.selectors import target_models, timeline_page
from timeline.services import timeline_target_move, timeline_target_purge
from timeline.tests.factories import make_contact, target_of

pytestmark = pytest.mark.django_db

BASE_KEYS = {"kind", "id", "verb", "changes", "actor_id", "created_at"}
EXTRA_KEYS = {"body", "parent_id", "mentions", "edited_at", "deleted_at", "file_name", "content_type", "size"}


def _contact_with_history(cast: Cast) -> tuple[Contact, dict[str, Any], dict[str, Any]]:
    """Created (activity), then commented on, then a file attached, then renamed (activity)."""
    client = client_for(cast.owner)
    contact_id = client.post("/api/contacts/", {"first_name": "Ada"}, format="json").json()["id"]
    target = {"target_type": "contacts.contact", "target_id": contact_id}
    comment = client.post(
        "/api/timeline/comments/", {**target, "body": "Met at the viewing"}, format="json"
    ).json()
    upload = SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%%EOF\n")
    attachment = client.post("/api/timeline/attachments/", {**target, "file": upload}, format="multipart").json()
    client.patch(f"/api/contacts/{contact_id}/", {"first_name": "Ada L."}, format="json")
    with org_context(cast.org_a):
        return Contact.objects.get(pk=contact_id), comment, attachment


@pytest.mark.usefixtures("media_root")
def test_the_record_timeline_merges_activity_comments_and_attachments_newest_first(cast: Cast) -> None:
    contact, comment, attachment = _contact_with_history(cast)

    response = client_for(cast.viewer).get(f"/api/contacts/{contact.pk}/timeline/")

    assert (response.status_code, response.json()["next"]) == (200, None)
    entries = response.json()["results"]
    assert [(e["kind"], e["verb"]) for e in entries] == [
        ("activity", "updated"),
        ("attachment", "attached"),
        ("comment", "commented"),
        ("activity", "created"),
    ]
    assert [e["id"] for e in entries[1:3]] == [attachment["id"], comment["id"]]


@pytest.mark.usefixtures("media_root")
def test_every_timeline_entry_has_the_same_keys_with_what_each_kind_needs(cast: Cast) -> None:
    contact, _, _ = _contact_with_history(cast)

    with org_context(cast.org_a):
        entries = timeline_page(contact)[0]

    assert all(set(entry) == BASE_KEYS | EXTRA_KEYS for entry in entries)
    by_kind = {entry["kind"]: entry for entry in reversed(entries)}  # the newest of each kind
    assert {k: by_kind["comment"][k] for k in ("body", "parent_id", "mentions", "file_name", "actor_id")} == {
        "body": "Met at the viewing",
        "parent_id": None,
        "mentions": [],
        "file_name": None,
        "actor_id": cast.owner.pk,
    }
    assert {k: by_kind["attachment"][k] for k in ("file_name", "content_type", "size", "body")} == {
        "file_name": "plan.pdf",
        "content_type": "application/pdf",
        "size": 15,
        "body": None,
    }
    assert by_kind["activity"]["changes"] == {"first_name": ["Ada", "Ada L."]}


def test_a_deleted_comment_stays_on_the_timeline_as_an_empty_tombstone(cast: Cast) -> None:
    contact = make_contact(cast)
    client = client_for(cast.owner)
    created = client.post("/api/timeline/comments/", {**target_of(contact), "body": "Oops"}, format="json").json()
    client.delete(f"/api/timeline/comments/{created['id']}/")

    with org_context(cast.org_a):
        entries = timeline_page(contact)[0]
    comments = [e for e in entries if e["kind"] == "comment"]
    verbs = [e["verb"] for e in entries if e["kind"] == "activity"]

    assert [(c["body"], c["deleted_at"] is not None) for c in comments] == [("", True)]
    assert verbs == ["comment_deleted"]


def test_the_timeline_lists_only_business_record_types_of_tenant_apps() -> None:
    labels = set(target_models())

    assert {"contacts.contact", "contacts.company"} <= labels
    assert not labels & {"timeline.comment", "timeline.attachment", "common.user", "tenants.org"}


@pytest.mark.usefixtures("media_root")
def test_purging_a_records_timeline_removes_its_comments_files_and_notifications(
    cast: Cast, media_root: Any, django_capture_on_commit_callbacks: Any
) -> None:
    contact, _, _ = _contact_with_history(cast)
    keep = make_contact(cast, first_name="Keep")
    client_for(cast.owner).post("/api/timeline/comments/", {**target_of(keep), "body": "Stays"}, format="json")
    with org_context(cast.org_a):
        Notification.objects.create(
            org=cast.org_a, recipient=cast.manager, kind="assigned", target_type="contacts.contact",
            target_id=contact.pk, message="About the purged contact",
        )  # fmt: skip
        assert ActivityEntry.objects.filter(target_id=contact.pk).count() == 4

    with django_capture_on_commit_callbacks(execute=True), org_context(cast.org_a):
        timeline_target_purge(org=cast.org_a, target_type="contacts.contact", target_id=contact.pk)

    with org_context(cast.org_a):
        assert list(Comment.objects.values_list("body", flat=True)) == ["Stays"]
        assert not Attachment.objects.exists()
        assert not ActivityEntry.objects.filter(target_id=contact.pk).exists()
        assert not Notification.objects.filter(target_id=contact.pk).exists()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


def test_moving_a_timeline_takes_comments_along_to_the_kept_record(cast: Cast) -> None:
    gone, kept = make_contact(cast), make_contact(cast, first_name="Kept")
    client_for(cast.owner).post("/api/timeline/comments/", {**target_of(gone), "body": "History"}, format="json")

    with org_context(cast.org_a):
        timeline_target_move(org=cast.org_a, target_type="contacts.contact", from_id=gone.pk, to_id=kept.pk)

    with org_context(cast.org_a):
        assert [e["body"] for e in timeline_page(kept)[0] if e["kind"] == "comment"] == ["History"]
        assert timeline_page(gone)[0] == []


# --- Sanitising -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("**bold** _it_ `code`", "**bold** _it_ `code`"),
        ("<script>alert(1)</script>after", "after"),
        ('<img src=x onerror="alert(1)">', ""),
        ("<b>kept text</b>", "kept text"),
        ("<!-- hidden -->shown", "shown"),
        ("a < b, 3 > 2 & 1 <= 2, <3", "a < b, 3 > 2 & 1 <= 2, <3"),
        ("if x<y then", "if x&lt;y then"),
        ("> a quote\n- a list", "> a quote\n- a list"),
        ("[ok](https://example.test) [bad](javascript:alert(1))", "[ok](https://example.test) [bad](#)"),
        ("[x](data:text/html,hi) [y]( JaVaScRiPt:void(0))", "[x](#) [y]( #)"),
        ("[ref]: vbscript:msgbox(1)", "[ref]: #"),
        ("[mail](mailto:a@example.test) [call](tel:+441234)", "[mail](mailto:a@example.test) [call](tel:+441234)"),
        ("&lt;script&gt; stays text", "&lt;script> stays text"),
        ("line\r\nbreak\x00", "line\nbreak"),
    ],
)  # fmt: skip
def test_comment_markdown_keeps_the_text_and_drops_html_and_script_links(written: str, stored: str) -> None:
    assert sanitize_markdown(written) == stored
    assert sanitize_markdown(stored) == stored  # stable: sanitising again changes nothing


def test_mentions_are_read_from_well_formed_tokens_once_each_in_order() -> None:
    first, second = "0190f3c2-1234-7abc-8def-0123456789ab", "0190f3c2-1234-7abc-8def-0123456789ac"
    text = f"@[A]({second}) @[B]({first}) @[A again]({second}) @[bad](not-a-uuid) [plain]({first})"

    assert [str(pk) for pk in mentioned_ids(text)] == [second, first]
