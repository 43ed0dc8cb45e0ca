"""The saved-search routes: who sees and changes what, requirements of contacts, matches, who wants a listing,
isolation from other orgs, and flat query counts."""

from __future__ import annotations

from typing import Any

import pytest

from common.context import org_context
from properties.matching.models import SavedSearch
from properties.matching.tests.helpers import (
    SEARCHES,
    contact,
    listing,
    match_all,
    saved_search,
    search_url,
)
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import EMPTY_PAGE, RANDOM_ID, assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def _stored(search_id: Any) -> SavedSearch | None:
    from common.models import Profile

    org = Profile.objects.select_related("org").filter(org__slug="alpha").first().org
    with org_context(org):
        return SavedSearch.objects.filter(pk=search_id).first()


# --- Members' own searches ---------------------------------------------------------------------------------


def test_a_member_saves_a_search_for_themselves_and_forged_fields_are_refused(cast: Cast) -> None:
    forged = {"id": RANDOM_ID, "org": str(cast.org_b.pk), "owner": str(cast.manager.pk),
              "created_by": str(cast.manager.pk)}  # fmt: skip
    body = {"name": "Leeds houses", "criteria": {"type": "house", "city": "Leeds"}, "frequency": "daily"}

    refused = client_for(cast.member).post(SEARCHES, {**body, **forged}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "unknown_field")

    response = client_for(cast.member).post(SEARCHES, body, format="json")

    assert response.status_code == 201, response.json()
    row = response.json()
    assert row["id"] != RANDOM_ID
    assert {key: row[key] for key in ("name", "owner", "contact", "frequency", "email_enabled", "is_active")} == {
        "name": "Leeds houses", "owner": str(cast.member.pk), "contact": None, "frequency": "daily",
        "email_enabled": True, "is_active": True,
    }  # fmt: skip
    assert row["created_by"] == str(cast.member.pk)
    assert _stored(row["id"]).org_id == cast.org_a.pk


def test_a_viewer_saves_and_changes_their_own_searches(cast: Cast) -> None:
    client = client_for(cast.viewer)

    created = client.post(SEARCHES, {"name": "Just looking"}, format="json")
    patched = client.patch(search_url(created.json()["id"]), {"frequency": "weekly"}, format="json")
    deleted = client.delete(search_url(created.json()["id"]))

    assert (created.status_code, patched.status_code, deleted.status_code) == (201, 200, 204)
    assert patched.json()["frequency"] == "weekly"


def test_members_see_their_own_searches_and_managers_see_all(cast: Cast) -> None:
    saved_search(cast, cast.member, name="Member's")
    saved_search(cast, cast.viewer, name="Viewer's")
    saved_search(cast, cast.manager, name="Manager's")

    assert _names(client_for(cast.member).get(SEARCHES)) == ["Member's"]
    assert _names(client_for(cast.viewer).get(SEARCHES)) == ["Viewer's"]
    for who in (cast.manager, cast.admin, cast.owner):
        assert _names(client_for(who).get(SEARCHES)) == ["Manager's", "Viewer's", "Member's"]


def test_someone_elses_search_is_a_404_to_a_member_and_a_manager_may_change_it(cast: Cast) -> None:
    theirs = saved_search(cast, cast.viewer, name="Viewer's")
    member, manager = client_for(cast.member), client_for(cast.manager)

    answers = [
        member.get(search_url(theirs)), member.patch(search_url(theirs), {"name": "Mine"}, format="json"),
        member.delete(search_url(theirs)), member.get(search_url(theirs, "matches/")),
    ]  # fmt: skip
    renamed = manager.patch(search_url(theirs), {"name": "Tidied"}, format="json")

    assert [(answer.status_code, answer.json()) for answer in answers] == [(404, NOT_FOUND)] * 4
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["owner"]) == (
        200,
        "Tidied",
        str(cast.viewer.pk),
    )


def test_patch_replaces_the_criteria_as_a_whole_and_a_bad_body_changes_nothing(cast: Cast) -> None:
    search = saved_search(cast, criteria={"type": "house", "city": "Leeds"})
    client = client_for(cast.member)

    bad = client.patch(search_url(search), {"name": "New", "criteria": {"price_max": "x"}}, format="json")
    good = client.patch(search_url(search), {"criteria": {"type": "office"}}, format="json")

    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["criteria.price_max"]
    assert good.json()["criteria"] == {"status": ["active"], "type": ["office"]}
    stored = _stored(search.pk)
    assert (stored.name, stored.cities, stored.property_types) == ("My search", ["*"], ["office"])


def test_the_list_filters_by_owner_contact_frequency_and_kind(cast: Cast) -> None:
    buyer = contact(cast, first_name="Bea", assigned_to=[cast.member.pk])
    saved_search(cast, cast.manager, name="Daily", frequency="daily")
    saved_search(cast, cast.member, name="Instant")
    saved_search(cast, cast.member, name="Bea's", contact=buyer)
    client = client_for(cast.owner)

    assert _names(client.get(SEARCHES, {"owner": str(cast.member.pk)})) == ["Instant"]
    assert _names(client.get(SEARCHES, {"contact": str(buyer.pk)})) == ["Bea's"]
    assert _names(client.get(SEARCHES, {"frequency": "daily"})) == ["Daily"]
    assert _names(client.get(SEARCHES, {"is_requirement": "true"})) == ["Bea's"]
    assert _names(client.get(SEARCHES, {"is_requirement": "false"})) == ["Instant", "Daily"]


# --- Requirements of contacts ------------------------------------------------------------------------------


def test_a_member_adds_a_requirement_to_their_contact_which_mails_nobody_unless_asked(cast: Cast) -> None:
    buyer = contact(cast, first_name="Bea", last_name="Buyer", assigned_to=[cast.member.pk])
    body = {"name": "3-bed in Leeds", "contact": str(buyer.pk), "criteria": {"bedrooms_min": 3}}

    response = client_for(cast.member).post(SEARCHES, body, format="json")

    assert response.status_code == 201, response.json()
    assert {key: response.json()[key] for key in ("owner", "contact", "contact_name", "email_enabled")} == {
        "owner": None,
        "contact": str(buyer.pk),
        "contact_name": "Bea Buyer",
        "email_enabled": False,
    }


def test_a_contact_the_member_cannot_see_or_of_another_org_is_does_not_exist_like_a_random_id(cast: Cast) -> None:
    unseen = contact(cast, first_name="Not theirs")
    foreign = contact(cast, org=cast.org_b, first_name="Bravo's")
    client = client_for(cast.member)

    answers = {
        name: client.post(SEARCHES, {"name": "Req", "contact": contact_id}, format="json")
        for name, contact_id in (("unseen", str(unseen.pk)), ("foreign", str(foreign.pk)), ("random", RANDOM_ID))
    }

    for name, contact_id in (("unseen", unseen.pk), ("foreign", foreign.pk), ("random", RANDOM_ID)):
        detail = f'Invalid pk "{contact_id}" - object does not exist.'
        assert (answers[name].status_code, answers[name].json()) == (400, {
            "code": "does_not_exist", "detail": detail,
            "fields": {"contact": [{"code": "does_not_exist", "detail": detail}]},
        }), name  # fmt: skip
    with org_context(cast.org_a):
        assert not SavedSearch.objects.exists()


def test_a_viewer_reads_requirements_but_may_not_add_or_change_them(cast: Cast) -> None:
    buyer = contact(cast, first_name="Bea")
    requirement = saved_search(cast, cast.owner, name="Bea's", contact=buyer)
    client = client_for(cast.viewer)
    refused = {
        "code": "permission_denied",
        "detail": "You may not change this contact's requirements: only those who may change the contact may.",
        "fields": {},
    }

    added = client.post(SEARCHES, {"name": "Mine too", "contact": str(buyer.pk)}, format="json")
    changed = client.patch(search_url(requirement), {"name": "x"}, format="json")
    removed = client.delete(search_url(requirement))

    assert _names(client.get(f"/api/contacts/{buyer.pk}/requirements/")) == ["Bea's"]
    assert [(r.status_code, r.json()) for r in (added, changed, removed)] == [(403, refused)] * 3
    assert _stored(requirement.pk).name == "Bea's"


def test_a_requirements_contact_cannot_change(cast: Cast) -> None:
    bea, cy = contact(cast, first_name="Bea"), contact(cast, first_name="Cy")
    requirement = saved_search(cast, cast.owner, name="Bea's", contact=bea)

    response = client_for(cast.owner).patch(search_url(requirement), {"contact": str(cy.pk)}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["contact"][0]["code"] == "read_only"
    assert _stored(requirement.pk).contact_id == bea.pk


def test_a_contacts_requirements_route_is_a_404_for_a_contact_not_seen_or_of_another_org(cast: Cast) -> None:
    unseen = contact(cast, first_name="Unseen")
    foreign = contact(cast, org=cast.org_b, first_name="Bravo's")
    client = client_for(cast.member)

    for contact_id in (unseen.pk, foreign.pk, RANDOM_ID):
        response = client.get(f"/api/contacts/{contact_id}/requirements/")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_a_member_sees_the_requirements_of_their_contacts_only(cast: Cast) -> None:
    mine = contact(cast, first_name="Mine", assigned_to=[cast.member.pk])
    other = contact(cast, first_name="Other")
    saved_search(cast, cast.owner, name="Of mine", contact=mine)
    saved_search(cast, cast.owner, name="Of other", contact=other)

    assert _names(client_for(cast.member).get(SEARCHES)) == ["Of mine"]


# --- Matches and who wants a listing -----------------------------------------------------------------------


def test_the_matches_of_a_search_are_its_listings_the_latest_first(cast: Cast) -> None:
    search = saved_search(cast, name="Anything")
    first = listing(cast, title="First", status="active", asking_price="500000")
    listing(cast, title="Second", status="active")
    match_all(cast.org_a)
    from properties.matching.tests.helpers import change

    change(cast, first, asking_price="450000")
    match_all(cast.org_a)

    response = client_for(cast.member).get(search_url(search, "matches/"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["title"], row["match_kind"]) for row in rows] == [
        ("First", "price_drop"),
        ("Second", "new_listing"),
    ]
    assert rows[0]["asking_price"] == "450000.00"


def test_who_wants_a_listing_lists_the_searches_it_satisfies_that_the_caller_sees(cast: Cast) -> None:
    buyer = contact(cast, first_name="Bea", assigned_to=[cast.member.pk])
    saved_search(cast, cast.member, name="Member's Leeds", criteria={"city": "Leeds"})
    saved_search(cast, cast.member, name="Bea's Leeds", contact=buyer, criteria={"city": "Leeds"})
    saved_search(cast, cast.manager, name="Manager's Leeds", criteria={"city": "Leeds"})
    saved_search(cast, cast.manager, name="Manager's York", criteria={"city": "York"})
    draft = listing(cast, title="Mill House", city="Leeds")
    url = f"/api/properties/{draft.pk}/matches/"

    as_member = client_for(cast.member).get(url)
    as_manager = client_for(cast.manager).get(url)

    assert _names(as_member) == ["Bea's Leeds", "Member's Leeds"]
    assert _names(as_manager) == ["Manager's Leeds", "Bea's Leeds", "Member's Leeds"]
    assert [row["notified_at"] for row in as_manager.json()["results"]] == [None, None, None]


def test_who_wants_a_listing_says_when_each_was_told(cast: Cast) -> None:
    saved_search(cast, name="Anything")
    active = listing(cast, title="Quay", status="active")
    match_all(cast.org_a)

    rows = client_for(cast.member).get(f"/api/properties/{active.pk}/matches/").json()["results"]

    assert len(rows) == 1 and rows[0]["notified_at"] is not None


# --- Isolation ---------------------------------------------------------------------------------------------


def test_another_orgs_search_listing_and_contact_are_404_by_url(cast: Cast) -> None:
    theirs = saved_search(cast, cast.other_owner, name="Bravo's")
    their_listing = listing(cast, org=cast.org_b, title="Bravo quay")
    client = client_for(cast.owner)

    answers = [
        client.get(search_url(theirs)), client.patch(search_url(theirs), {"name": "x"}, format="json"),
        client.delete(search_url(theirs)), client.get(search_url(theirs, "matches/")),
        client.get(f"/api/properties/{their_listing.pk}/matches/"),
    ]  # fmt: skip

    assert [(answer.status_code, answer.json()) for answer in answers] == [(404, NOT_FOUND)] * 5
    with org_context(cast.org_b):
        assert SavedSearch.objects.get(pk=theirs.pk).name == "Bravo's"


def test_filtering_by_another_orgs_ids_finds_nothing_like_a_random_id(cast: Cast) -> None:
    buyer = contact(cast, first_name="Bea")
    saved_search(cast, cast.owner, name="Bea's", contact=buyer)
    saved_search(cast, cast.owner, name="Own")
    foreign_contact = contact(cast, org=cast.org_b, first_name="Bravo's")
    saved_search(cast, cast.other_owner, name="Bravo's", contact=foreign_contact)

    assert_foreign_ids_find_nothing(
        client_for(cast.owner), SEARCHES, {"contact": foreign_contact.pk, "owner": cast.other_owner.pk}
    )


def test_an_outsider_gets_404_and_another_orgs_owner_sees_none_of_org_as_searches(cast: Cast) -> None:
    saved_search(cast, name="Alpha's")

    outsider = client_for(cast.outsider, org=cast.org_a).get(SEARCHES)
    bravo = client_for(cast.other_owner).get(SEARCHES)

    assert outsider.status_code == 404
    assert (bravo.status_code, bravo.json()) == (200, EMPTY_PAGE)


# --- Query budgets -----------------------------------------------------------------------------------------


def _grow_searches(cast: Cast, count: int, **fields: Any) -> Any:
    def grow() -> None:
        buyer = contact(cast, first_name="Grow", assigned_to=[cast.member.pk])
        for n in range(count):
            if n % 2:
                saved_search(cast, cast.member, name=f"Search {n}", **fields)
            else:
                saved_search(cast, cast.member, name=f"Requirement {n}", contact=buyer, **fields)

    return grow


def test_the_search_list_costs_the_same_for_one_row_and_for_fifty(cast: Cast) -> None:
    saved_search(cast, name="First")
    client = client_for(cast.member)

    assert_flat_query_count(lambda: client.get(SEARCHES), _grow_searches(cast, 49))
    assert client.get(SEARCHES).json()["count"] == 50


def test_a_contacts_requirements_cost_the_same_for_one_row_and_for_fifty(cast: Cast) -> None:
    buyer = contact(cast, first_name="Bea", assigned_to=[cast.member.pk])
    saved_search(cast, name="First", contact=buyer)
    client = client_for(cast.member)
    url = f"/api/contacts/{buyer.pk}/requirements/"

    def grow() -> None:
        for n in range(49):
            saved_search(cast, name=f"Requirement {n}", contact=buyer)

    assert_flat_query_count(lambda: client.get(url), grow)
    assert client.get(url).json()["count"] == 50


def test_the_matches_of_a_search_cost_the_same_for_one_listing_and_for_fifty(cast: Cast) -> None:
    search = saved_search(cast, name="Anything")
    listing(cast, title="Listing 0", status="active")
    match_all(cast.org_a)
    client = client_for(cast.member)
    url = search_url(search, "matches/")

    def grow() -> None:
        for n in range(1, 50):
            listing(cast, title=f"Listing {n}", status="active")
        match_all(cast.org_a)

    assert_flat_query_count(lambda: client.get(url), grow)
    assert client.get(url).json()["count"] == 50


def test_who_wants_a_listing_costs_the_same_for_one_search_and_for_fifty(cast: Cast) -> None:
    saved_search(cast, name="First")
    active = listing(cast, title="Quay", status="active")
    client = client_for(cast.member)
    url = f"/api/properties/{active.pk}/matches/"

    assert_flat_query_count(lambda: client.get(url), _grow_searches(cast, 49))
    assert client.get(url).json()["count"] == 50
