"""Converting a lead: contact, company and deal made or linked in one transaction, idempotent, org-scoped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from common.context import org_context
from contacts.models import Company, Contact
from leads.models import Lead
from tenants.testing.fixtures import Cast, client_for
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db

LEADS = "/api/leads/"
RANDOM_ID = "00000000-0000-7000-8000-000000000009"


def _lead(cast: Cast, **fields) -> Lead:
    with org_context(cast.org_a):
        fields.setdefault("created_by", cast.owner)
        return Lead.objects.create(org=cast.org_a, **fields)


def _reload(cast: Cast, lead: Lead) -> Lead:
    with org_context(cast.org_a):
        return Lead.objects.get(pk=lead.pk)


def _entries(cast: Cast, target_type: str, target_id) -> list[tuple[str, dict]]:
    with org_context(cast.org_a):
        rows = ActivityEntry.objects.filter(target_type=target_type, target_id=target_id).order_by("created_at")
        return [(row.verb, row.changes) for row in rows]


def _counts(cast: Cast) -> tuple[int, int]:
    with org_context(cast.org_a):
        return Contact.objects.count(), Company.objects.count()


def test_converting_creates_a_contact_and_a_company_and_links_them(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada", last_name="Lovelace", email="Ada@Example.test", phone="+1 555 0100",
                 title="CTO", company_name="Analytical Engines", website="https://engines.test", industry="Tech",
                 source="referral", tags=["vip"], assigned_to=[cast.member.pk], status="qualified")  # fmt: skip

    response = client_for(cast.manager).post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    with org_context(cast.org_a):
        contact = Contact.objects.get()
        company = Company.objects.get()
    assert body["contact_id"] == str(contact.pk)
    assert body["company_id"] == str(company.pk)
    assert body["deal_id"] is None
    assert body["created"] == {"contact": True, "company": True, "deal": False}
    assert (body["lead"]["status"], body["lead"]["converted_contact"]) == ("converted", str(contact.pk))
    assert (contact.first_name, contact.last_name, contact.email, contact.phone, contact.title) == (
        "Ada", "Lovelace", "Ada@Example.test", "+1 555 0100", "CTO",
    )  # fmt: skip
    assert (contact.company_id, contact.source, contact.tags, contact.assigned_to) == (
        company.pk, "referral", ["vip"], [cast.member.pk],
    )  # fmt: skip
    assert (contact.created_by_id, company.created_by_id) == (cast.manager.pk, cast.manager.pk)
    assert (company.name, company.website, company.industry) == (
        "Analytical Engines",
        "https://engines.test",
        "Tech",
    )
    fresh = _reload(cast, lead)
    assert (fresh.status, fresh.converted_contact_id, fresh.converted_company_id) == (
        "converted", contact.pk, company.pk,
    )  # fmt: skip
    assert (fresh.converted_by_id, fresh.converted_at is not None) == (cast.manager.pk, True)
    links = {"contact_id": str(contact.pk), "company_id": str(company.pk), "deal_id": None}
    assert _entries(cast, "leads.lead", lead.pk) == [
        ("converted", {"status": ["qualified", "converted"], **links})
    ]
    assert _entries(cast, "contacts.contact", contact.pk)[-1] == ("created_from_lead", {"lead_id": str(lead.pk)})
    assert _entries(cast, "contacts.company", company.pk)[-1] == ("created_from_lead", {"lead_id": str(lead.pk)})


def test_converting_again_answers_200_with_the_same_links_and_creates_nothing(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada", email="ada@example.test", company_name="Acme")
    client = client_for(cast.owner)
    first = client.post(f"{LEADS}{lead.pk}/convert/", {}, format="json")
    counts = _counts(cast)
    entries = _entries(cast, "leads.lead", lead.pk)

    again = client.post(f"{LEADS}{lead.pk}/convert/", {"company_id": None}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    for key in ("contact_id", "company_id", "deal_id"):
        assert again.json()[key] == first.json()[key]
    assert again.json()["created"] == {"contact": False, "company": False, "deal": False}
    assert _counts(cast) == counts == (1, 1)
    assert _entries(cast, "leads.lead", lead.pk) == entries


def test_converting_links_the_contact_with_the_same_email_and_the_company_with_the_same_name(cast: Cast) -> None:
    with org_context(cast.org_a):
        company = Company.objects.create(org=cast.org_a, name="ACME Inc", created_by=cast.owner)
        contact = Contact.objects.create(org=cast.org_a, first_name="Ada", email="ada@example.test")
    lead = _lead(cast, first_name="Ada", email="ADA@example.test", company_name="acme inc", created_by=cast.member)

    response = client_for(cast.member).post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    assert response.status_code == 201
    assert (response.json()["contact_id"], response.json()["company_id"]) == (str(contact.pk), str(company.pk))
    assert response.json()["created"] == {"contact": False, "company": False, "deal": False}
    assert _counts(cast) == (1, 1)
    assert _entries(cast, "contacts.contact", contact.pk) == [("linked_from_lead", {"lead_id": str(lead.pk)})]
    assert _entries(cast, "contacts.company", company.pk) == [("linked_from_lead", {"lead_id": str(lead.pk)})]


def test_converting_links_the_company_given_by_id(cast: Cast) -> None:
    with org_context(cast.org_a):
        chosen = Company.objects.create(org=cast.org_a, name="Chosen", created_by=cast.owner)
    lead = _lead(cast, first_name="Ada", company_name="Something Else")

    response = client_for(cast.owner).post(
        f"{LEADS}{lead.pk}/convert/", {"company_id": str(chosen.pk)}, format="json"
    )

    assert response.json()["company_id"] == str(chosen.pk)
    with org_context(cast.org_a):
        assert Contact.objects.get().company_id == chosen.pk
        assert Company.objects.count() == 1


def test_another_orgs_company_or_contact_is_does_not_exist_like_a_random_id_and_nothing_changes(
    cast: Cast,
) -> None:
    with org_context(cast.org_b):
        foreign_company = Company.objects.create(org=cast.org_b, name="Bravo Co")
        foreign_contact = Contact.objects.create(org=cast.org_b, first_name="Bob")
    lead = _lead(cast, first_name="Ada", company_name="Acme")
    client = client_for(cast.owner)

    answers = [
        client.post(f"{LEADS}{lead.pk}/convert/", {key: value}, format="json")
        for key in ("company_id", "contact_id")
        for value in (str(foreign_company.pk if key == "company_id" else foreign_contact.pk), RANDOM_ID)
    ]

    for answer in answers:
        assert answer.status_code == 400
        assert answer.json()["code"] == "does_not_exist"
    assert answers[0].json()["fields"]["company_id"][0]["code"] == "does_not_exist"
    assert answers[0].json()["fields"] == {
        "company_id": [
            {"code": "does_not_exist", "detail": f'Invalid pk "{foreign_company.pk}" - object does not exist.'}
        ]
    }
    assert answers[1].json()["fields"] == {
        "company_id": [{"code": "does_not_exist", "detail": f'Invalid pk "{RANDOM_ID}" - object does not exist.'}]
    }
    assert _reload(cast, lead).status == "new"
    assert _counts(cast) == (0, 0)


def test_a_member_cannot_link_a_company_they_cannot_see(cast: Cast) -> None:
    with org_context(cast.org_a):
        hidden = Company.objects.create(org=cast.org_a, name="Hidden", created_by=cast.owner)
    lead = _lead(cast, first_name="Ada", created_by=cast.member)

    response = client_for(cast.member).post(
        f"{LEADS}{lead.pk}/convert/", {"company_id": str(hidden.pk)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["company_id"][0]["code"] == "does_not_exist"
    assert _reload(cast, lead).status == "new"


def test_a_failure_half_way_leaves_nothing_behind(cast: Cast) -> None:
    """The company would be made first; the archived contact with the lead's email then stops the conversion."""
    with org_context(cast.org_a):
        archived = Contact.objects.create(org=cast.org_a, first_name="Ada", email="ada@example.test",
                                          archived_at=timezone.now())  # fmt: skip
    lead = _lead(cast, first_name="Ada", email="ada@example.test", company_name="Brand New Co")

    response = client_for(cast.owner).post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    detail = "An archived contact has this email. Restore it, or pass contact_id to link another contact."
    assert response.status_code == 409
    assert response.json() == {
        "code": "contact_archived",
        "detail": detail,
        "fields": {
            "contact_id": [{"code": "contact_archived", "detail": detail, "existing_id": str(archived.pk)}]
        },
    }
    assert _counts(cast) == (1, 0)
    assert _reload(cast, lead).status == "new"
    assert _entries(cast, "leads.lead", lead.pk) == []


def test_a_lead_with_nobody_to_make_a_contact_from_needs_a_contact_id(cast: Cast) -> None:
    lead = _lead(cast, company_name="Acme")
    client = client_for(cast.owner)
    with org_context(cast.org_a):
        existing = Contact.objects.create(org=cast.org_a, first_name="Bob", created_by=cast.owner)

    refused = client.post(f"{LEADS}{lead.pk}/convert/", {}, format="json")
    linked = client.post(f"{LEADS}{lead.pk}/convert/", {"contact_id": str(existing.pk)}, format="json")

    detail = "The lead has no name or email to make a contact from. Add one, or pass contact_id."
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "required",
        "detail": detail,
        "fields": {"contact_id": [{"code": "required", "detail": detail}]},
    }
    assert linked.status_code == 201
    assert (linked.json()["contact_id"], linked.json()["created"]["contact"]) == (str(existing.pk), False)


@pytest.mark.parametrize("status", ["lost", "unqualified"])
def test_a_closed_lead_must_be_reopened_before_converting(cast: Cast, status: str) -> None:
    lead = _lead(cast, first_name="Ada", status=status)

    response = client_for(cast.owner).post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    detail = f"A {status} lead cannot be converted. Move it back to contacted or qualified first."
    assert response.status_code == 400
    assert response.json() == {
        "code": "status_transition_invalid",
        "detail": detail,
        "fields": {"status": [{"code": "status_transition_invalid", "detail": detail}]},
    }
    assert _counts(cast) == (0, 0)


def test_an_archived_lead_is_not_converted(cast: Cast) -> None:
    lead = _lead(cast, first_name="Ada", archived_at=timezone.now())

    response = client_for(cast.owner).post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "archived"
    assert _counts(cast) == (0, 0)


def test_create_deal_makes_a_deal_linked_to_the_new_contact_and_company_and_stores_its_id(cast: Cast) -> None:
    from deals.models import Deal

    lead = _lead(cast, first_name="Ada", company_name="Acme", estimated_value=Decimal("1200.00"), currency="EUR")

    response = client_for(cast.owner).post(f"{LEADS}{lead.pk}/convert/", {"create_deal": True}, format="json")

    assert response.status_code == 201, response.json()
    with org_context(cast.org_a):
        contact, company, deal = Contact.objects.get(), Company.objects.get(), Deal.objects.get()
    assert (response.json()["deal_id"], response.json()["created"]["deal"]) == (str(deal.pk), True)
    assert (deal.contact_id, deal.company_id, deal.owner_id, deal.source_lead_id) == (
        contact.pk, company.pk, cast.owner.pk, lead.pk,
    )  # fmt: skip
    assert (deal.name, deal.amount, deal.currency) == ("Acme", Decimal("1200.00"), "EUR")
    assert _reload(cast, lead).converted_deal_id == deal.pk
    assert _entries(cast, "deals.deal", deal.pk)[-1] == ("created_from_lead", {"lead_id": str(lead.pk)})


def test_create_deal_with_the_real_deals_module_links_one_deal_even_when_repeated(cast: Cast) -> None:
    from deals.models import Deal

    lead = _lead(cast, first_name="Ada", company_name="Acme", estimated_value=Decimal("500.00"))
    client = client_for(cast.owner)

    first = client.post(f"{LEADS}{lead.pk}/convert/", {"create_deal": True}, format="json")
    again = client.post(f"{LEADS}{lead.pk}/convert/", {"create_deal": True}, format="json")

    assert (first.status_code, again.status_code) == (201, 200), first.json()
    with org_context(cast.org_a):
        deal = Deal.objects.get()
    assert first.json()["deal_id"] == again.json()["deal_id"] == str(deal.pk)
    assert (deal.source_lead_id, deal.amount, deal.name) == (lead.pk, Decimal("500.00"), "Acme")
    assert _entries(cast, "deals.deal", deal.pk)[-1] == ("created_from_lead", {"lead_id": str(lead.pk)})


def test_deal_name_and_amount_can_be_given(cast: Cast) -> None:
    from deals.models import Deal

    lead = _lead(cast, first_name="Ada")

    response = client_for(cast.owner).post(
        f"{LEADS}{lead.pk}/convert/",
        {"create_deal": True, "deal_name": "Ada's flat", "deal_amount": "300000"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    with org_context(cast.org_a):
        deal = Deal.objects.get()
    assert (deal.name, deal.amount, deal.company_id) == ("Ada's flat", Decimal("300000"), None)


def test_assignees_of_new_records_are_notified_and_removed_members_are_left_out(cast: Cast) -> None:
    cast.viewer.is_active = False
    cast.viewer.save(update_fields=["is_active"])
    lead = _lead(cast, first_name="Ada", assigned_to=[cast.member.pk, cast.viewer.pk])

    client_for(cast.owner).post(f"{LEADS}{lead.pk}/convert/", {}, format="json")

    with org_context(cast.org_a):
        assert Contact.objects.get().assigned_to == [cast.member.pk]
        assert list(Notification.objects.values_list("recipient_id", "target_type")) == [
            (cast.member.pk, "contacts.contact")
        ]


def test_a_lead_about_a_listing_converts_into_a_deal_about_that_listing(cast: Cast) -> None:
    from properties.tests.helpers import listing

    tower = listing(cast, title="Tower One")
    client = client_for(cast.owner)
    lead_id = client.post(LEADS, {"first_name": "Ada", "property": str(tower.pk)}, format="json").json()["id"]

    converted = client.post(f"{LEADS}{lead_id}/convert/", {"create_deal": True}, format="json")

    assert converted.status_code == 201, converted.json()
    deal = client.get(f"/api/deals/{converted.json()['deal_id']}/").json()
    assert (deal["property"], deal["property_summary"]["title"]) == (str(tower.pk), "Tower One")
    assert client.get(LEADS, {"property": str(tower.pk)}).json()["count"] == 1
