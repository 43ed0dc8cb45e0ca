"""Consent and the suppression list: web-to-lead and listing inquiries record consent on the lead and conversion
carries it to the contact; consent recorded by hand; each change on the contact's timeline; the org's list of
suppressed addresses; the org's email settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from common.context import org_context
from contacts.models import Contact
from emailing.models import Suppression
from emailing.tests import helpers as h
from leads.models import Lead
from leads.services import lead_convert, web_form_create
from properties.tests.helpers import listing
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import EMPTY_PAGE
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def _consent_entries(org: Any, contact_id: Any) -> list[dict[str, Any]]:
    with org_context(org):
        rows = ActivityEntry.objects.filter(target_id=contact_id, verb="email_consent_changed").order_by(
            "created_at"
        )
        return [row.changes for row in rows]


def _convert(cast: Cast, lead: Lead) -> Contact:
    with org_context(cast.org_a):
        converted = lead_convert(org=cast.org_a, actor=cast.owner, lead_id=lead.pk)
        return Contact.objects.get(pk=converted.lead.converted_contact_id)


def test_web_to_lead_consent_reaches_the_contact_at_conversion(cast: Cast) -> None:
    with org_context(cast.org_a):
        token = web_form_create(org=cast.org_a, actor=cast.admin, data={"name": "Website"}).token
    body = {"form_token": token, "first_name": "Ada", "email": "ada@example.test", "consent": True}

    client_for(None).post("/api/public/leads/", body, format="json")
    client_for(None).post(
        "/api/public/leads/", {**body, "email": "bo@example.test", "consent": False}, format="json"
    )
    with org_context(cast.org_a):
        ada, bo = Lead.objects.get(email="ada@example.test"), Lead.objects.get(email="bo@example.test")
    contact = _convert(cast, ada)
    plain = _convert(cast, bo)

    assert (ada.email_consent_source, bo.email_consent_at) == ("web_form", None)
    assert (contact.email_consent, contact.email_consent_source) == ("subscribed", "web_form")
    assert contact.email_consent_at == ada.email_consent_at
    assert _consent_entries(cast.org_a, contact.pk) == [
        {"email_consent": ["never_asked", "subscribed"], "source": "web_form", "lead_id": str(ada.pk)}
    ]
    assert (plain.email_consent, _consent_entries(cast.org_a, plain.pk)) == ("never_asked", [])


def test_an_inquiry_records_consent_and_a_newer_unsubscribe_wins(cast: Cast) -> None:
    loft = listing(cast, is_published=True, title="Canal Loft")
    url = f"/api/public/orgs/alpha/properties/{loft.public_slug}/inquiries/"
    client_for(None).post(url, {"name": "Cy Twombly", "email": "cy@example.test", "consent": True}, format="json")
    with org_context(cast.org_a):
        lead = Lead.objects.get(email="cy@example.test")
    existing = h.contact(cast.org_a, "cy@example.test", consent="unsubscribed", email_consent_at=timezone.now())

    contact = _convert(cast, lead)

    assert lead.email_consent_source == "listing_inquiry"
    assert contact.pk == existing.pk and contact.email_consent == "unsubscribed"


def test_consent_recorded_by_hand_is_logged_and_bounced_cannot_be_set(cast: Cast) -> None:
    person = h.contact(cast.org_a, "dee@example.test", consent="never_asked")
    bravo = h.contact(cast.org_b, "bravo@example.test")
    url = f"/api/email/contacts/{person.pk}/consent/"

    answer = client_for(cast.member).post(
        url, {"email_consent": "subscribed", "note": "Asked at the open house"}, format="json"
    )
    bounced = client_for(cast.member).post(url, {"email_consent": "bounced"}, format="json")
    foreign = client_for(cast.member).post(
        f"/api/email/contacts/{bravo.pk}/consent/", {"email_consent": "unsubscribed"}, format="json"
    )

    assert answer.status_code == 200
    assert (answer.json()["email_consent"], answer.json()["email_consent_source"]) == ("subscribed", "manual")
    assert _consent_entries(cast.org_a, person.pk) == [
        {"email_consent": ["never_asked", "subscribed"], "source": "manual", "note": "Asked at the open house"}
    ]
    assert bounced.status_code == 400 and foreign.status_code == 404
    with org_context(cast.org_b):
        assert Contact.objects.get(pk=bravo.pk).email_consent == "subscribed"


def test_managers_keep_the_suppression_list(cast: Cast) -> None:
    manager = client_for(cast.manager)

    added = manager.post("/api/email/suppressions/", {"email": "Gone@Example.test"}, format="json")
    again = manager.post("/api/email/suppressions/", {"email": "gone@example.test"}, format="json")
    with org_context(cast.org_b):
        bravo = Suppression.objects.create(org=cast.org_b, email="b@example.test", reason="manual")

    assert (added.status_code, again.status_code, added.json()["email"]) == (201, 200, "gone@example.test")
    assert manager.get("/api/email/suppressions/", {"reason": "manual"}).json()["count"] == 1
    assert manager.get("/api/email/suppressions/", {"reason": "bounce"}).json() == EMPTY_PAGE
    assert manager.get("/api/email/suppressions/", {"search": "b@example"}).json() == EMPTY_PAGE
    assert manager.delete(f"/api/email/suppressions/{bravo.pk}/").status_code == 404
    assert manager.delete(f"/api/email/suppressions/{added.json()['id']}/").status_code == 204
    with org_context(cast.org_b):
        assert Suppression.objects.filter(pk=bravo.pk).exists()


def test_admins_change_the_email_settings(cast: Cast) -> None:
    before = client_for(cast.viewer).get("/api/email/settings/").json()

    changed = client_for(cast.admin).patch(
        "/api/email/settings/",
        {
            "sender_domains": ["Mail.Alpha.test", "alpha.test"],
            "include_never_asked": True,
            "messages_per_minute": 120,
            "tracking_enabled": False,
        },
        format="json",
    )
    bad = client_for(cast.admin).patch("/api/email/settings/", {"sender_domains": ["not a domain"]}, format="json")

    assert (before["sender_domains"], before["tracking_enabled"], before["include_never_asked"]) == (
        [],
        True,
        False,
    )
    assert changed.json()["sender_domains"] == ["alpha.test", "mail.alpha.test"]
    assert (changed.json()["messages_per_minute"], changed.json()["tracking_enabled"]) == (120, False)
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["sender_domains.0"]
