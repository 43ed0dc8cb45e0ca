"""Inquiries about a published listing from an agency's website: the lead, its link to the listing, the agent's
notice and email, repeats, the honeypot, throttles, and one 404 for anything not published in that org."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from common.context import org_context
from leads.models import Lead
from properties.models import Property
from properties.tests.helpers import listing
from tenants.testing.fixtures import Cast
from timeline.models import ActivityEntry, Notification

pytestmark = pytest.mark.django_db

BODY = {"name": "Ada Lovelace", "email": "ada@example.test", "phone": "+44 20 7946 0000",
        "message": "Is the loft still available?"}  # fmt: skip


def _url(listing_: Property, org_slug: str = "alpha") -> str:
    return f"/api/public/orgs/{org_slug}/properties/{listing_.public_slug}/inquiries/"


def _published(cast: Cast, **data: Any) -> Property:
    return listing(cast, actor=data.pop("actor", None), is_published=True, **data)


def _leads(cast: Cast) -> list[Lead]:
    with org_context(cast.org_a):
        return list(Lead.objects.order_by("created_at"))


def _verbs(org: Any, target_id: Any) -> list[str]:
    with org_context(org):
        return list(
            ActivityEntry.objects.filter(target_id=target_id).order_by("created_at").values_list("verb", flat=True)
        )


def test_an_inquiry_makes_a_lead_for_the_listing_agent_and_tells_them(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    loft = _published(cast, actor=cast.member, title="Canal Loft")

    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(_url(loft), BODY, format="json")

    assert (response.status_code, response.json()) == (201, {"received": True})
    [lead] = _leads(cast)
    assert (lead.first_name, lead.last_name, lead.email, lead.source) == (
        "Ada",
        "Lovelace",
        "ada@example.test",
        "website",
    )
    assert (lead.listing_id, lead.assigned_to, lead.created_by_id) == (loft.pk, [cast.member.pk], cast.member.pk)
    assert lead.description == "Is the loft still available?"
    assert "inquiry_received" in _verbs(cast.org_a, loft.pk)
    with org_context(cast.org_a):
        notice = Notification.objects.get(recipient=cast.member)
    assert (notice.kind, notice.target_id) == ("listing_inquiry", lead.pk)
    assert "Ada Lovelace asked about Canal Loft" in notice.message
    assert [message.to for message in mail.outbox] == [["member@alpha.test"]]


def test_a_second_inquiry_with_the_same_email_lands_on_the_open_lead(cast: Cast) -> None:
    loft, house = _published(cast, title="Loft"), _published(cast, title="House", property_type="house")
    client = APIClient()

    client.post(_url(loft), BODY, format="json")
    again = client.post(_url(house), {**BODY, "email": "ADA@example.test", "message": "And the house?"})

    assert again.status_code == 201
    [lead] = _leads(cast)
    assert lead.listing_id == loft.pk  # the first listing stays; the second is on the timeline
    assert _verbs(cast.org_a, lead.pk).count("web_form_repeat") == 1
    assert "inquiry_received" in _verbs(cast.org_a, house.pk)


def test_the_honeypot_answers_like_a_person_and_stores_nothing(cast: Cast) -> None:
    loft = _published(cast)

    response = APIClient().post(_url(loft), {**BODY, "website_url": "http://spam.example"}, format="json")

    assert (response.status_code, response.json()) == (201, {"received": True})
    assert _leads(cast) == []


@pytest.mark.parametrize(
    "body",
    [{}, {"name": "Ada"}, {"name": "Ada", "email": "not-an-email"}, {"name": "", "email": "a@example.test"},
     {"name": "Ada", "email": "a@example.test", "message": "x" * 5001}],
)  # fmt: skip
def test_a_bad_inquiry_is_a_400_and_writes_nothing(cast: Cast, body: dict[str, str]) -> None:
    loft = _published(cast)

    response = APIClient().post(_url(loft), body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]
    assert _leads(cast) == []
    assert "inquiry_received" not in _verbs(cast.org_a, loft.pk)


def test_unpublished_archived_foreign_or_unknown_listings_are_one_404(cast: Cast) -> None:
    hidden = listing(cast, title="Unpublished")
    theirs = listing(cast, org=cast.org_b, is_published=True)
    client = APIClient()

    for url in (_url(hidden), _url(theirs), _url(theirs, org_slug="nobody"),
                "/api/public/orgs/alpha/properties/no-such-slug/inquiries/"):  # fmt: skip
        response = client.post(url, BODY, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url
    assert _leads(cast) == []
    with org_context(cast.org_b):
        assert not Lead.objects.exists()


def test_inquiries_are_throttled_per_address(cast: Cast, settings) -> None:
    settings.INQUIRY_PER_IP_PER_MINUTE = 2
    loft = _published(cast)
    client = APIClient()

    answers = [client.post(_url(loft), {**BODY, "email": f"v{n}@example.test"}).status_code for n in range(3)]

    assert answers == [201, 201, 429]
    assert len(_leads(cast)) == 2


def test_inquiries_are_throttled_per_listing_whatever_the_address(cast: Cast, settings) -> None:
    settings.INQUIRY_PER_LISTING_PER_HOUR = 2
    loft, other = _published(cast, title="Loft"), _published(cast, title="Other")

    answers = [
        APIClient(REMOTE_ADDR=f"10.0.0.{n}").post(_url(loft), {**BODY, "email": f"v{n}@example.test"}).status_code
        for n in range(3)
    ]
    elsewhere = APIClient(REMOTE_ADDR="10.0.1.1").post(_url(other), BODY)

    assert answers == [201, 201, 429]
    assert elsewhere.status_code == 201


def test_the_lead_shows_the_listing_it_came_from(cast: Cast) -> None:
    from tenants.testing.fixtures import client_for

    loft = _published(cast, title="Canal Loft")
    APIClient().post(_url(loft), BODY, format="json")
    [lead] = _leads(cast)

    shown = client_for(cast.owner).get(f"/api/leads/{lead.pk}/").json()

    assert (shown["property"], shown["property_summary"]["title"]) == (str(loft.pk), "Canal Loft")
