"""Sends over the API: drafting, checks before it goes, freezing the audience (each contact once, the others
counted by reason), approval above the threshold, scheduling in the org's time zone, previews, test sends, AI
copy, and another org's sends, segments and contacts finding nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.ai.models import SuggestionState
from campaigns.ai.tests.helpers import campaign_make, job_make, suggestion_make
from common.context import org_context
from emailing import send_services
from emailing.models import EmailSend, Recipient, Segment, Suppression
from emailing.tests import helpers as h
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import EMPTY_PAGE, RANDOM_ID

pytestmark = pytest.mark.django_db
SENDS = "/api/email/sends/"


@pytest.fixture
def audience(cast: Cast) -> Segment:
    org = cast.org_a
    h.settings_row(org)
    h.contact(org, "ann@example.test", first_name="Ann")
    h.contact(org, "bob@example.test", consent="unsubscribed")
    h.contact(org, "cy@example.test", consent="never_asked")
    h.contact(org, "dee@example.test", consent="bounced")
    h.contact(org, "eve@example.test", consent="complained")
    h.contact(org, "fay@example.test", do_not_contact=True)
    h.contact(org, "", first_name="Nomail")
    h.contact(org, "gus@example.test")
    with org_context(org):
        Suppression.objects.create(org=org, email="gus@example.test", reason="manual")
    return h.segment_everyone(org)


def _draft(cast: Cast, segment: Segment, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "June news",
        "subject": "Hi {{ contact.first_name }}",
        "html": h.HTML,
        "segment_ids": [str(segment.pk)],
        **fields,
    }
    response = client_for(cast.member).post(SENDS, body, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_a_member_drafts_and_a_manager_sends_to_each_consenting_contact_once(
    cast: Cast, audience: Segment
) -> None:
    other = h.segment_everyone(cast.org_a, name="Same people again")
    draft = _draft(cast, audience, exclude_segment_ids=[])
    client_for(cast.member).patch(
        f"{SENDS}{draft['id']}/", {"segment_ids": [str(audience.pk), str(other.pk)]}, format="json"
    )

    started = client_for(cast.manager).post(f"{SENDS}{draft['id']}/start/")

    body = started.json()
    assert (started.status_code, body["status"], body["recipient_count"], body["audience_count"]) == (
        200,
        "sending",
        1,
        8,
    )
    assert body["excluded"] == {
        "unsubscribed": 1,
        "never_asked": 1,
        "bounced": 1,
        "complained": 1,
        "do_not_contact": 1,
        "no_email": 1,
        "suppressed": 1,
    }
    assert body["from_email"] == "news@alpha.test" and body["from_name"] == "Alpha Realty"
    with org_context(cast.org_a):
        assert list(Recipient.objects.values_list("email", "state")) == [("ann@example.test", "queued")]
    again = client_for(cast.manager).post(f"{SENDS}{draft['id']}/start/")
    assert (again.status_code, again.json()["code"]) == (409, "send_not_startable")


def test_never_asked_contacts_are_sent_to_when_the_org_says_so_and_duplicates_once(
    cast: Cast, audience: Segment
) -> None:
    h.settings_row(cast.org_a, include_never_asked=True)
    h.contact(cast.org_a, "ANN@example.test".replace("ANN", "ann2"), first_name="Ann two")
    draft = _draft(cast, audience)

    body = client_for(cast.owner).post(f"{SENDS}{draft['id']}/start/").json()

    assert body["recipient_count"] == 3
    assert "never_asked" not in body["excluded"]


def test_a_send_that_is_not_ready_says_what_is_missing_and_writes_nothing(cast: Cast, audience: Segment) -> None:
    draft = _draft(cast, audience, from_email="news@elsewhere.test", subject="")

    refused = client_for(cast.manager).post(f"{SENDS}{draft['id']}/start/")

    assert refused.status_code == 409
    assert refused.json()["code"] == "send_not_ready"
    assert refused.json()["fields"] == {
        "subject": [{"code": "required", "detail": "A send needs a subject."}],
        "from_email": [
            {
                "code": "sender_domain_not_allowed",
                "detail": "The from address must be on a domain listed in the email settings (alpha.test).",
            }
        ],
    }
    with org_context(cast.org_a):
        assert not Recipient.objects.exists()
        assert EmailSend.objects.get(pk=draft["id"]).status == "draft"


def test_content_with_a_bad_merge_field_is_refused_with_the_field(cast: Cast, audience: Segment) -> None:
    response = client_for(cast.member).post(SENDS, {"name": "x", "subject": "{{ contact.ssn }}"}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["subject"][0]["code"] == "merge_field_invalid"


def test_above_the_threshold_content_must_be_approved_and_editing_takes_approval_back(
    cast: Cast, audience: Segment, settings: Any
) -> None:
    settings.EMAILING_APPROVAL_THRESHOLD = 0
    draft = _draft(cast, audience)
    url = f"{SENDS}{draft['id']}/"

    refused = client_for(cast.manager).post(f"{url}start/")
    approved = client_for(cast.manager).post(f"{url}approve/").json()
    client_for(cast.member).patch(url, {"subject": "Changed {{ contact.first_name }}"}, format="json")
    after_edit = client_for(cast.viewer).get(url).json()
    client_for(cast.admin).post(f"{url}approve/")
    started = client_for(cast.manager).post(f"{url}start/")

    assert (refused.status_code, refused.json()["code"]) == (409, "approval_required")
    assert approved["is_content_approved"] is True
    assert (after_edit["is_content_approved"], after_edit["content_approved_by"]) == (False, None)
    assert started.status_code == 200
    assert client_for(cast.member).post(f"{url}approve/").status_code == 403


def test_scheduling_takes_the_org_local_time_and_the_beat_starts_it(cast: Cast, audience: Segment) -> None:
    cast.org_a.timezone = "Europe/Lisbon"
    cast.org_a.save(update_fields=["timezone"])
    draft = _draft(cast, audience)
    url = f"{SENDS}{draft['id']}/"

    scheduled = client_for(cast.manager).post(
        f"{url}schedule/", {"scheduled_at": "2030-07-01T09:30"}, format="json"
    )
    past = client_for(cast.manager).post(f"{url}schedule/", {"scheduled_at": "2001-07-01T09:30"}, format="json")

    assert scheduled.json()["scheduled_at"] == "2030-07-01T08:30:00Z"
    assert scheduled.json()["scheduled_local"] == "2030-07-01T09:30:00+01:00"
    assert (past.status_code, past.json()["code"]) == (400, "in_the_past")
    with org_context(cast.org_a):
        EmailSend.objects.filter(pk=draft["id"]).update(
            scheduled_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        assert send_services.start_due_sends(org=cast.org_a) == 1
        assert EmailSend.objects.get(pk=draft["id"]).status == "sending"


def test_a_scheduled_send_that_cannot_start_fails_with_its_reason(cast: Cast, audience: Segment) -> None:
    draft = _draft(cast, audience)
    client_for(cast.manager).post(
        f"{SENDS}{draft['id']}/schedule/", {"scheduled_at": "2030-01-01T00:00Z"}, format="json"
    )
    with org_context(cast.org_a):
        Recipient.objects.all().delete()
        h.settings_row(cast.org_a, sender_domains=["other.test"])
        EmailSend.objects.filter(pk=draft["id"]).update(scheduled_at=timezone.now())
        send_services.start_due_sends(org=cast.org_a)
        send = EmailSend.objects.get(pk=draft["id"])

    assert send.status == "failed"
    assert send.failure_reason.startswith("The send is not ready to go out. from_email: The from address must be")


def test_the_preview_renders_for_a_chosen_contact_and_refuses_another_orgs(cast: Cast, audience: Segment) -> None:
    draft = _draft(cast, audience)
    with org_context(cast.org_a):
        ann = h.contact(cast.org_a, "ann.p@example.test", first_name="Annie")
    bravo = h.contact(cast.org_b, "b@example.test")
    url = f"{SENDS}{draft['id']}/preview/"

    mine = client_for(cast.viewer).get(url, {"contact": str(ann.pk)}).json()
    sample = client_for(cast.viewer).get(url).json()

    assert mine["subject"] == "Hi Annie" and "Hello Annie," in mine["html"] and "Hello Annie," in mine["text"]
    assert (
        mine["links"] == ["https://example.com/listing"] and 'href="https://example.com/listing"' in mine["html"]
    )
    assert sample["subject"] == "Hi Alex" and sample["to"] == "alex@example.com"
    for value in (str(bravo.pk), RANDOM_ID):
        refused = client_for(cast.viewer).get(url, {"contact": value})
        detail = f'Invalid pk "{value}" - object does not exist.'
        assert (refused.status_code, refused.json()["fields"]) == (
            400,
            {"contact": [{"code": "does_not_exist", "detail": detail}]},
        )


def test_a_test_send_goes_to_the_member_themself(
    cast: Cast, audience: Segment, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    draft = _draft(cast, audience)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(cast.member).post(f"{SENDS}{draft['id']}/test/", {}, format="json")

    assert (answer.status_code, answer.json()) == (202, {"to": "member@alpha.test", "queued": True})
    assert len(mail.outbox) == 1
    message = mail.outbox[0].message()
    assert (message["To"], message["Subject"]) == ("member@alpha.test", "[Test] Hi Alex")
    assert message["List-Unsubscribe"] is None


def test_approved_ai_copy_of_the_campaign_becomes_approved_content(cast: Cast, audience: Segment) -> None:
    campaign = campaign_make(cast.org_a, cast.owner, channels=["email"], assigned_to=[cast.member.pk])
    job = job_make(cast.org_a, campaign, cast.manager, channels=["email"])
    content = {"subject": "Harbour Lofts are here", "preheader": "Views", "body_html": "<p>Come see.</p>"}
    approved = suggestion_make(
        job,
        channel="email",
        content=content,
        state=SuggestionState.APPROVED,
        decided_by=cast.manager,
        decided_at=timezone.now(),
    )
    waiting = suggestion_make(job, channel="email", variant=1, content=content)
    draft = _draft(cast, audience, campaign=str(campaign.pk))
    url = f"{SENDS}{draft['id']}/ai-copy/"

    listed = client_for(cast.viewer).get(url).json()
    taken = client_for(cast.member).post(url, {"suggestion_id": str(approved.pk)}, format="json").json()
    not_approved = client_for(cast.member).post(url, {"suggestion_id": str(waiting.pk)}, format="json")

    assert [row["id"] for row in listed] == [str(approved.pk)]
    assert (taken["subject"], taken["preheader"], taken["html"]) == (
        "Harbour Lofts are here",
        "Views",
        "<p>Come see.</p>",
    )
    assert taken["is_content_approved"] and taken["content_source"] == f"ai_suggestion:{approved.pk}"
    assert not_approved.json()["fields"]["suggestion_id"][0]["code"] == "does_not_exist"


def test_another_orgs_send_is_404_everywhere_and_its_segments_do_not_exist(cast: Cast, audience: Segment) -> None:
    bravo_segment = h.segment_everyone(cast.org_b, name="Bravo")
    bravo = h.draft(cast.org_b, cast.other_owner, [bravo_segment])
    owner = client_for(cast.owner)
    for path in ("", "preview/", "audience/", "recipients/", "report/", "report/csv/", "ai-copy/"):
        assert owner.get(f"{SENDS}{bravo.pk}/{path}").json()["code"] == "not_found", path
    for path in (
        "test/",
        "approve/",
        "start/",
        "schedule/",
        "unschedule/",
        "pause/",
        "resume/",
        "cancel/",
        "retry-unknown/",
        "ai-copy/",
    ):
        assert owner.post(f"{SENDS}{bravo.pk}/{path}", {}, format="json").status_code == 404, path
    assert owner.patch(f"{SENDS}{bravo.pk}/", {"name": "x"}, format="json").status_code == 404
    assert owner.delete(f"{SENDS}{bravo.pk}/").status_code == 404
    for value in (str(bravo_segment.pk), RANDOM_ID):
        refused = owner.post(SENDS, {"name": "x", "segment_ids": [value]}, format="json")
        assert refused.json()["fields"] == {
            "segment_ids.0": [
                {"code": "does_not_exist", "detail": f'Invalid pk "{value}" - object does not exist.'}
            ]
        }
    _draft(cast, audience)
    campaign_b = campaign_make(cast.org_b, cast.other_owner)
    assert owner.get(SENDS, {"campaign": str(campaign_b.pk)}).json() == EMPTY_PAGE
    assert owner.get(SENDS, {"campaign": RANDOM_ID}).json() == EMPTY_PAGE
    with org_context(cast.org_b):
        assert EmailSend.objects.get(pk=bravo.pk).status == "draft"


def test_the_list_costs_the_same_queries_for_one_send_or_many(cast: Cast, audience: Segment) -> None:
    from tenants.testing.queries import assert_flat_query_count

    _draft(cast, audience)
    viewer = client_for(cast.viewer)

    assert_flat_query_count(
        lambda: viewer.get(SENDS), lambda: [h.draft(cast.org_a, cast.owner, [audience]) for _ in range(30)]
    )
