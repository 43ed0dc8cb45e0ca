"""A listing's contacts in their roles: linking, changing, unlinking, a contact's listings, merges, isolation."""

from __future__ import annotations

import pytest

from common.context import org_context
from contacts.services import contact_merge
from properties.models import PropertyContact
from properties.tests.helpers import PROPERTIES, contact, listing
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import RANDOM_ID
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def _contacts(pk: object) -> str:
    return f"{PROPERTIES}{pk}/contacts/"


def _verbs(record: object) -> list[str]:
    with org_context(record.org):  # type: ignore[attr-defined]
        entries = ActivityEntry.objects.filter(target_id=record.pk).order_by("created_at", "id")  # type: ignore[attr-defined]
        return [entry.verb for entry in entries]


def test_link_change_and_unlink_a_contact_on_both_timelines(cast: Cast) -> None:
    house = listing(cast, title="Elm House", property_type="house")
    buyer = contact(cast, first_name="Ada", last_name="Byron", email="ada@example.test", created_by=cast.owner)
    client = client_for(cast.owner)

    linked = client.post(_contacts(house.pk), {"contact": str(buyer.pk), "role": "prospect"}, format="json")
    link_id = linked.json()["id"]
    change = {"role": "buyer", "note": "Offer in"}
    changed = client.patch(f"{_contacts(house.pk)}{link_id}/", change, format="json")
    listed = client.get(_contacts(house.pk))
    of_contact = client.get(f"/api/contacts/{buyer.pk}/properties/")
    removed = client.delete(f"{_contacts(house.pk)}{link_id}/")

    assert linked.status_code == 201, linked.json()
    assert linked.json() | {"id": None, "created_at": None} == {
        "id": None, "property": str(house.pk), "contact": str(buyer.pk), "contact_name": "Ada Byron",
        "contact_email": "ada@example.test", "role": "prospect", "note": "", "created_at": None,
    }  # fmt: skip
    assert (changed.status_code, changed.json()["role"], changed.json()["note"]) == (200, "buyer", "Offer in")
    assert [row["role"] for row in listed.json()] == ["buyer"]
    assert [(row["property"], row["property_title"], row["role"]) for row in of_contact.json()] == [
        (str(house.pk), "Elm House", "buyer")
    ]
    assert removed.status_code == 204
    assert client.get(_contacts(house.pk)).json() == []
    linking = ["contact_linked", "contact_link_changed", "contact_unlinked"]
    assert [verb for verb in _verbs(house) if verb.startswith("contact_")] == linking
    assert [verb for verb in _verbs(buyer) if verb.startswith("contact_")] == linking


def test_one_contact_may_hold_two_roles_but_not_one_role_twice(cast: Cast) -> None:
    block = listing(cast)
    person = contact(cast, first_name="Olu", created_by=cast.owner)
    client = client_for(cast.owner)
    url = _contacts(block.pk)

    owner = client.post(url, {"contact": str(person.pk), "role": "owner"}, format="json")
    tenant = client.post(url, {"contact": str(person.pk), "role": "tenant"}, format="json")
    again = client.post(url, {"contact": str(person.pk), "role": "owner"}, format="json")
    clash = client.patch(f"{url}{tenant.json()['id']}/", {"role": "owner"}, format="json")

    assert (owner.status_code, tenant.status_code) == (201, 201)
    assert (again.status_code, again.json()["fields"].keys()) == (400, {"role"})
    assert (clash.status_code, clash.json()["fields"].keys()) == (400, {"role"})
    with org_context(cast.org_a):
        assert sorted(PropertyContact.objects.filter(property=block).values_list("role", flat=True)) == [
            "owner",
            "tenant",
        ]


@pytest.mark.parametrize("body", [{"role": "landlord"}, {"contact": "not-a-uuid", "role": "owner"}, {}])
def test_a_bad_link_body_is_a_400_and_links_nothing(cast: Cast, body: dict[str, str]) -> None:
    block = listing(cast)
    person = contact(cast, first_name="Olu", created_by=cast.owner)

    response = client_for(cast.owner).post(_contacts(block.pk), {"contact": str(person.pk), **body}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "invalid_choice", "required"}
    with org_context(cast.org_a):
        assert not PropertyContact.objects.exists()


def test_another_orgs_contact_is_the_same_400_as_a_random_id(cast: Cast) -> None:
    block = listing(cast)
    foreign = contact(cast, org=cast.org_b, first_name="Bravo")
    client = client_for(cast.owner)

    answers = [
        client.post(_contacts(block.pk), {"contact": str(pk), "role": "owner"}, format="json")
        for pk in (foreign.pk, RANDOM_ID)
    ]

    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json()["fields"]["contact"][0]["code"] == answers[1].json()["fields"]["contact"][0]["code"]
    assert answers[0].json()["detail"].replace(str(foreign.pk), RANDOM_ID) == answers[1].json()["detail"]


def test_another_orgs_listing_link_or_contact_is_a_404_like_a_random_one(cast: Cast) -> None:
    theirs = listing(cast, org=cast.org_b)
    their_contact = contact(cast, org=cast.org_b, first_name="Bravo")
    with org_context(cast.org_b):
        their_link = PropertyContact.objects.create(
            org=cast.org_b, property=theirs, contact=their_contact, role="owner"
        )
    mine = listing(cast)
    client = client_for(cast.owner)

    for url in (_contacts(theirs.pk), _contacts(RANDOM_ID), f"/api/contacts/{their_contact.pk}/properties/"):
        assert client.get(url).status_code == 404, url
    for link in (their_link.pk, RANDOM_ID):
        assert client.patch(f"{_contacts(mine.pk)}{link}/", {"note": "x"}, format="json").status_code == 404
        assert client.delete(f"{_contacts(mine.pk)}{link}/").status_code == 404
    with org_context(cast.org_b):
        assert PropertyContact.objects.filter(pk=their_link.pk, note="").exists()


def test_a_member_links_only_contacts_they_see_and_only_on_listings_they_may_change(cast: Cast) -> None:
    theirs = listing(cast, title="Owner's listing")
    mine = listing(cast, actor=cast.member, title="Member's listing")
    hidden = contact(cast, first_name="Hidden", created_by=cast.owner)
    visible = contact(cast, first_name="Seen", created_by=cast.member)
    client = client_for(cast.member)

    on_theirs = client.post(_contacts(theirs.pk), {"contact": str(visible.pk), "role": "buyer"}, format="json")
    hidden_contact = client.post(_contacts(mine.pk), {"contact": str(hidden.pk), "role": "buyer"}, format="json")
    allowed = client.post(_contacts(mine.pk), {"contact": str(visible.pk), "role": "buyer"}, format="json")
    viewer = client_for(cast.viewer).post(_contacts(mine.pk), {"contact": str(visible.pk), "role": "owner"})

    assert (on_theirs.status_code, on_theirs.json()["code"]) == (403, "permission_denied")
    assert (hidden_contact.status_code, hidden_contact.json()["fields"]["contact"][0]["code"]) == (
        400,
        "does_not_exist",
    )
    assert allowed.status_code == 201
    assert viewer.status_code == 403


def test_the_list_hides_links_to_contacts_the_caller_does_not_see(cast: Cast) -> None:
    block = listing(cast)
    secret = contact(cast, first_name="Secret", created_by=cast.owner)
    with org_context(cast.org_a):
        PropertyContact.objects.create(org=cast.org_a, property=block, contact=secret, role="owner")

    assert [row["contact_name"] for row in client_for(cast.owner).get(_contacts(block.pk)).json()] == ["Secret"]
    assert client_for(cast.member).get(_contacts(block.pk)).json() == []


def test_link_lists_cost_the_same_queries_for_one_row_and_many(cast: Cast) -> None:
    block = listing(cast)
    person = contact(cast, first_name="Many", created_by=cast.owner)
    client = client_for(cast.owner)

    def grow() -> None:
        with org_context(cast.org_a):
            for number in range(25):
                other = listing(cast, title=f"Listing {number}")
                PropertyContact.objects.create(org=cast.org_a, property=other, contact=person, role="buyer")
                buyer = contact(cast, first_name=f"Buyer {number}")
                PropertyContact.objects.create(org=cast.org_a, property=block, contact=buyer, role="prospect")

    assert_flat_query_count(lambda: client.get(_contacts(block.pk)), grow)
    assert_flat_query_count(lambda: client.get(f"/api/contacts/{person.pk}/properties/"), grow)


def test_merging_contacts_moves_their_roles_without_doubling_one(cast: Cast) -> None:
    block, house = listing(cast), listing(cast, title="Elm House", property_type="house")
    kept = contact(cast, first_name="Kept", created_by=cast.owner)
    gone = contact(cast, first_name="Gone", created_by=cast.owner)
    with org_context(cast.org_a):
        for person, where, role in [(kept, block, "owner"), (gone, block, "owner"), (gone, house, "buyer")]:
            PropertyContact.objects.create(org=cast.org_a, property=where, contact=person, role=role)

        contact_merge(org=cast.org_a, actor=cast.owner, keep_id=kept.pk, merge_id=gone.pk)

        links = PropertyContact.objects.filter(org=cast.org_a)
        rows = sorted(links.values_list("property_id", "contact_id", "role"))
    assert rows == sorted([(block.pk, kept.pk, "owner"), (house.pk, kept.pk, "buyer")])
