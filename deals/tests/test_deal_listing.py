"""Deals about a listing and one of its spaces: the space belongs to the listing, ids are the org's, filters."""

from __future__ import annotations

import pytest

from common.context import org_context
from deals.models import Deal
from properties.tests.helpers import listing, space
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.isolation import RANDOM_ID, assert_foreign_ids_find_nothing
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

DEALS = "/api/deals/"


def test_a_deal_names_a_listing_and_its_space_and_shows_the_listing(cast: Cast) -> None:
    tower = listing(cast, title="Tower One", city="Leeds")
    suite = space(cast, tower, name="Suite 4")
    client = client_for(cast.owner)

    created = client.post(DEALS, {"name": "Lease of Suite 4", "property": str(tower.pk), "space": str(suite.pk)})

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["property"], body["space"]) == (str(tower.pk), str(suite.pk))
    assert body["property_summary"] == {
        "id": str(tower.pk), "reference": tower.reference, "title": "Tower One", "status": "draft",
        "city": "Leeds",
    }  # fmt: skip


def test_a_space_alone_names_its_listing_too(cast: Cast) -> None:
    tower = listing(cast)
    suite = space(cast, tower)

    created = client_for(cast.owner).post(DEALS, {"name": "Suite deal", "space": str(suite.pk)})

    assert (created.status_code, created.json()["property"]) == (201, str(tower.pk))


def test_a_space_of_another_listing_is_a_400_and_nothing_is_written(cast: Cast) -> None:
    tower, other = listing(cast), listing(cast, title="Other")
    foreign_suite = space(cast, other)
    client = client_for(cast.owner)

    created = client.post(DEALS, {"name": "Bad", "property": str(tower.pk), "space": str(foreign_suite.pk)})
    deal_id = client.post(DEALS, {"name": "Good", "property": str(tower.pk)}).json()["id"]
    changed = client.patch(f"{DEALS}{deal_id}/", {"space": str(foreign_suite.pk)}, format="json")

    assert (created.status_code, created.json()["fields"]["space"][0]["code"]) == (400, "space_not_in_property")
    assert (changed.status_code, changed.json()["fields"]["space"][0]["code"]) == (400, "space_not_in_property")
    with org_context(cast.org_a):
        assert list(Deal.objects.values_list("name", "space_id")) == [("Good", None)]


def test_moving_a_deal_to_another_listing_lets_go_of_the_old_listings_space(cast: Cast) -> None:
    tower, other = listing(cast), listing(cast, title="Other")
    suite = space(cast, tower)
    client = client_for(cast.owner)
    deal_id = client.post(DEALS, {"name": "Moving", "space": str(suite.pk)}).json()["id"]

    moved = client.patch(f"{DEALS}{deal_id}/", {"property": str(other.pk)}, format="json")

    assert (moved.status_code, moved.json()["property"], moved.json()["space"]) == (200, str(other.pk), None)


def test_another_orgs_listing_or_space_is_the_same_400_as_a_random_id(cast: Cast) -> None:
    theirs = listing(cast, org=cast.org_b)
    their_suite = space(cast, theirs)
    client = client_for(cast.owner)

    for field, foreign in (("property", theirs.pk), ("space", their_suite.pk)):
        answers = [client.post(DEALS, {"name": "X", field: str(pk)}) for pk in (foreign, RANDOM_ID)]
        assert [a.status_code for a in answers] == [400, 400]
        assert answers[0].json()["fields"][field][0]["code"] == "does_not_exist"
        assert answers[0].json()["detail"].replace(str(foreign), RANDOM_ID) == answers[1].json()["detail"]
    with org_context(cast.org_a):
        assert not Deal.objects.exists()


def test_deals_filter_by_listing_and_space_and_foreign_ids_find_nothing(cast: Cast) -> None:
    tower = listing(cast)
    suite = space(cast, tower)
    client = client_for(cast.owner)
    client.post(DEALS, {"name": "On the tower", "space": str(suite.pk)})
    client.post(DEALS, {"name": "Elsewhere"})
    theirs = listing(cast, org=cast.org_b)

    by_listing = client.get(DEALS, {"property": str(tower.pk)}).json()["results"]
    by_space = client.get(DEALS, {"space": str(suite.pk)}).json()["results"]

    assert [row["name"] for row in by_listing] == [row["name"] for row in by_space] == ["On the tower"]
    assert_foreign_ids_find_nothing(client, DEALS, {"property": theirs.pk, "space": space(cast, theirs).pk})


def test_the_deal_list_costs_the_same_queries_with_listings(cast: Cast) -> None:
    client = client_for(cast.owner)
    first = listing(cast)
    client.post(DEALS, {"name": "First", "property": str(first.pk)})

    def grow() -> None:
        for number in range(20):
            client.post(DEALS, {"name": f"Deal {number}", "property": str(listing(cast, title=f"L{number}").pk)})

    assert_flat_query_count(lambda: client.get(DEALS), grow)


def test_purging_a_listing_keeps_its_deals(cast: Cast) -> None:
    tower = listing(cast)
    client = client_for(cast.owner)
    deal_id = client.post(DEALS, {"name": "Kept", "property": str(tower.pk)}).json()["id"]
    client.delete(f"/api/properties/{tower.pk}/")

    purged = client.post(f"/api/properties/{tower.pk}/purge/")

    assert purged.status_code == 204
    assert client.get(f"{DEALS}{deal_id}/").json()["property"] is None
