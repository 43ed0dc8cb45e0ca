"""Tracking and unsubscribe: the open pixel and click redirects on signed tokens, machine opens counted apart, no
open redirect, one-click (RFC 8058) and page unsubscribes that set consent and write the timeline, tracking that
an org can switch off, and tokens of another org's messages that are 404 and change nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common.context import org_context
from contacts.models import Contact
from emailing.models import EmailEvent, EmailLink, Recipient
from emailing.tests import helpers as h
from emailing.tracking import recipient_token
from tenants.testing.fixtures import Cast
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def _message(cast: Cast, org: Any = None, *, sent_ago: float = 3600) -> tuple[Recipient, str]:
    org = org or cast.org_a
    author = cast.owner if org == cast.org_a else cast.other_owner
    segment = h.segment_everyone(org)
    send = h.draft(org, author, [segment], status="sending")
    person = h.contact(org, f"reader-{org.slug}@example.test")
    with org_context(org):
        recipient = Recipient.objects.create(
            org=org,
            send=send,
            contact=person,
            email=person.email,
            state="sent",
            sent_at=timezone.now() - datetime.timedelta(seconds=sent_ago),
        )
        EmailLink.objects.create(org=org, send=send, position=0, url="https://example.com/listing?a=1")
    return recipient, recipient_token(org.pk, recipient.pk)


def _base(org: Any, token: str) -> str:
    return f"/api/public/orgs/{org.slug}/email/{token}/"


def test_an_open_is_counted_once_as_a_person_and_proxies_apart(cast: Cast) -> None:
    recipient, token = _message(cast)
    client = APIClient()

    pixel = client.get(_base(cast.org_a, token) + "open.gif", REMOTE_ADDR="203.0.113.9")
    client.get(_base(cast.org_a, token) + "open.gif", REMOTE_ADDR="203.0.113.9")
    client.get(_base(cast.org_a, token) + "open.gif", REMOTE_ADDR="66.249.84.10")
    client.get(
        _base(cast.org_a, token) + "open.gif", HTTP_USER_AGENT="Mozilla/5.0 (via ggpht.com GoogleImageProxy)"
    )

    assert (pixel.status_code, pixel["Content-Type"], pixel.content[:6]) == (200, "image/gif", b"GIF89a")
    assert pixel["Cache-Control"] == "private, no-store, max-age=0"
    with org_context(cast.org_a):
        kinds = list(EmailEvent.objects.order_by("occurred_at").values_list("kind", flat=True))
        recipient.refresh_from_db()
    assert kinds == ["open", "open", "machine_open", "machine_open"]
    assert recipient.first_open_at is not None and recipient.first_machine_open_at is not None


def test_an_open_within_seconds_of_delivery_is_a_machines(cast: Cast) -> None:
    recipient, token = _message(cast, sent_ago=2)

    APIClient().get(_base(cast.org_a, token) + "open.gif")

    with org_context(cast.org_a):
        recipient.refresh_from_db()
        event = EmailEvent.objects.get()
    assert (event.kind, event.details, recipient.first_open_at) == (
        "machine_open",
        {"soon_after_delivery": True},
        None,
    )


def test_a_click_redirects_only_to_a_link_of_that_email(cast: Cast) -> None:
    recipient, token = _message(cast)
    client = APIClient()

    click = client.get(_base(cast.org_a, token) + "click/0/")
    elsewhere = client.get(_base(cast.org_a, token) + "click/1/")
    forged = client.get(_base(cast.org_a, token[:-2] + "AA") + "click/0/")
    smuggled = client.get(_base(cast.org_a, token) + "click/0/?next=https://evil.test/")

    assert (click.status_code, click["Location"]) == (302, "https://example.com/listing?a=1")
    assert smuggled["Location"] == "https://example.com/listing?a=1"
    assert (elsewhere.status_code, forged.status_code) == (404, 404)
    assert elsewhere.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
    with org_context(cast.org_a):
        recipient.refresh_from_db()
        assert EmailEvent.objects.filter(kind="click").count() == 2
    assert recipient.first_click_at is not None and recipient.first_open_at == recipient.first_click_at


def test_one_click_unsubscribe_sets_consent_and_writes_the_timeline_once(cast: Cast) -> None:
    recipient, token = _message(cast)
    client = APIClient()

    first = client.post(
        _base(cast.org_a, token) + "unsubscribe/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    again = client.post(
        _base(cast.org_a, token) + "unsubscribe/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert (first.status_code, first["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert b"You are unsubscribed" in first.content and again.status_code == 200
    with org_context(cast.org_a):
        contact = Contact.objects.get(pk=recipient.contact_id)
        entries = list(
            ActivityEntry.objects.filter(target_id=contact.pk, verb="email_consent_changed").values_list(
                "changes", flat=True
            )
        )
        assert EmailEvent.objects.filter(kind="unsubscribe").count() == 1
    assert (contact.email_consent, contact.email_consent_source) == ("unsubscribed", "one_click_unsubscribe")
    assert entries == [
        {
            "email_consent": ["subscribed", "unsubscribed"],
            "source": "one_click_unsubscribe",
            "send_id": str(recipient.send_id),
        }
    ]


def test_the_unsubscribe_page_asks_first_and_its_button_unsubscribes(cast: Cast) -> None:
    recipient, token = _message(cast)
    client = APIClient()

    page = client.get(_base(cast.org_a, token) + "unsubscribe/")
    with org_context(cast.org_a):
        untouched = Contact.objects.get(pk=recipient.contact_id).email_consent
    client.post(_base(cast.org_a, token) + "unsubscribe/", {"confirm": "yes"}, format="multipart")
    after = client.get(_base(cast.org_a, token) + "unsubscribe/")

    assert b'<form method="post">' in page.content and recipient.email.encode() in page.content
    assert "default-src 'none'" in page["Content-Security-Policy"]
    assert untouched == "subscribed"
    assert b"You are unsubscribed" in after.content
    with org_context(cast.org_a):
        assert Contact.objects.get(pk=recipient.contact_id).email_consent_source == "unsubscribe_page"


def test_with_tracking_off_links_still_work_and_nothing_is_recorded(cast: Cast) -> None:
    h.settings_row(cast.org_a, tracking_enabled=False)
    _, token = _message(cast)
    client = APIClient()

    assert client.get(_base(cast.org_a, token) + "open.gif").status_code == 200
    assert client.get(_base(cast.org_a, token) + "click/0/").status_code == 302
    with org_context(cast.org_a):
        assert not EmailEvent.objects.exists()


def test_a_token_of_another_orgs_message_is_404_on_every_route_and_changes_nothing(cast: Cast) -> None:
    bravo_recipient, bravo_token = _message(cast, cast.org_b)
    _message(cast)  # org A has messages too: a 404 is about the token, not an empty org
    client = APIClient()
    calls = [("get", "open.gif"), ("get", "click/0/"), ("get", "unsubscribe/"), ("post", "unsubscribe/")]

    answers = [
        getattr(client, method)(_base(cast.org_a, bravo_token) + path).status_code for method, path in calls
    ]
    unknown = client.get("/api/public/orgs/nobody/email/x/open.gif").status_code

    assert answers == [404, 404, 404, 404] and unknown == 404
    with org_context(cast.org_b):
        bravo_recipient.refresh_from_db()
        assert not EmailEvent.objects.exists()
        assert Contact.objects.get(pk=bravo_recipient.contact_id).email_consent == "subscribed"
    assert bravo_recipient.unsubscribed_at is None and bravo_recipient.first_open_at is None
    with org_context(cast.org_a):
        assert not EmailEvent.objects.exists()
    assert client.get(_base(cast.org_b, bravo_token) + "open.gif").status_code == 200
