"""The spaces of a listing: CRUD under the listing, its rules and timeline, and the list's space search."""

from __future__ import annotations

import uuid

import pytest

from common.context import org_context
from properties.models import Space
from properties.tests.helpers import PROPERTIES, listing, space, stored, titles
from tenants.testing.fixtures import Cast, client_for
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db


def _spaces(pk: object) -> str:
    return f"{PROPERTIES}{pk}/spaces/"


def test_spaces_crud_normalises_sizes_and_lands_on_the_listings_timeline(cast: Cast) -> None:
    tower = listing(cast)
    client = client_for(cast.owner)

    created = client.post(
        _spaces(tower.pk),
        {"name": " Suite 300 ", "floor": "3", "size": "2500", "size_unit": "sq_ft", "rate": "45.00",
         "rate_period": "year", "rate_basis": "per_area", "available_from": "2026-05-01"},
        format="json",
    )  # fmt: skip
    space_id = created.json()["id"]
    changed = client.patch(
        f"{_spaces(tower.pk)}{space_id}/", {"status": "under_offer", "size": "2600"}, format="json"
    )
    listed = client.get(_spaces(tower.pk))
    one = client.get(f"{_spaces(tower.pk)}{space_id}/")
    removed = client.delete(f"{_spaces(tower.pk)}{space_id}/")

    assert created.status_code == 201, created.json()
    assert {key: created.json()[key] for key in ("name", "property", "size", "size_sqm", "rate", "status")} == {
        "name": "Suite 300", "property": str(tower.pk), "size": "2500.00", "size_sqm": "232.26", "rate": "45.00",
        "status": "available",
    }  # fmt: skip
    assert (changed.status_code, changed.json()["size_sqm"], changed.json()["status"]) == (
        200,
        "241.55",
        "under_offer",
    )
    assert [row["name"] for row in listed.json()] == ["Suite 300"]
    assert (one.status_code, removed.status_code) == (200, 204)
    with org_context(cast.org_a):
        assert not Space.objects.exists()
        entries = ActivityEntry.objects.filter(target_id=tower.pk).order_by("created_at", "id")
        story = [(entry.verb, entry.changes) for entry in entries][-3:]
    assert story == [
        ("space_added", {"space_id": space_id, "name": "Suite 300"}),
        ("space_changed", {"space_id": space_id, "name": "Suite 300", "changes": {
            "size": ["2500.00", "2600.00"], "size_sqm": ["232.26", "241.55"],
            "status": ["available", "under_offer"]}}),
        ("space_removed", {"space_id": space_id, "name": "Suite 300"}),
    ]  # fmt: skip


def test_a_space_name_is_unique_in_its_listing(cast: Cast) -> None:
    tower, other = listing(cast), listing(cast, title="Other")
    space(cast, tower, name="Suite 100")
    client = client_for(cast.owner)

    taken = client.post(_spaces(tower.pk), {"name": "suite 100"}, format="json")
    elsewhere = client.post(_spaces(other.pk), {"name": "Suite 100"}, format="json")
    nameless = client.post(_spaces(tower.pk), {"floor": "2"}, format="json")

    detail = "This property already has a space with this name."
    assert (taken.status_code, taken.json()) == (
        400,
        {"code": "unique", "detail": detail, "fields": {"name": [{"code": "unique", "detail": detail}]}},
    )
    assert elsewhere.status_code == 201
    assert (nameless.status_code, nameless.json()["fields"]) == (
        400,
        {"name": [{"code": "required", "detail": "A space needs a name."}]},
    )


def test_spaces_of_another_orgs_listing_or_another_listing_are_404(cast: Cast) -> None:
    theirs = listing(cast, org=cast.org_b)
    their_space = space(cast, theirs)
    mine = listing(cast)
    client = client_for(cast.owner)

    not_found = {"code": "not_found", "detail": "Not found.", "fields": {}}
    for response in (
        client.get(_spaces(theirs.pk)),
        client.post(_spaces(theirs.pk), {"name": "Mine"}, format="json"),
        client.get(f"{_spaces(theirs.pk)}{their_space.pk}/"),
        client.get(f"{_spaces(mine.pk)}{their_space.pk}/"),
        client.patch(f"{_spaces(mine.pk)}{their_space.pk}/", {"status": "let"}, format="json"),
        client.delete(f"{_spaces(mine.pk)}{their_space.pk}/"),
        client.get(f"{_spaces(uuid.uuid4())}"),
    ):
        assert (response.status_code, response.json()) == (404, not_found)
    with org_context(cast.org_b):
        assert Space.objects.get(pk=their_space.pk).status == "available"


def test_member_reads_every_listings_spaces_but_changes_only_their_own(cast: Cast) -> None:
    theirs = listing(cast)
    their_space = space(cast, theirs)
    mine = listing(cast, actor=cast.member, title="Mine")
    member = client_for(cast.member)

    read = member.get(_spaces(theirs.pk))
    refused = member.patch(f"{_spaces(theirs.pk)}{their_space.pk}/", {"status": "let"}, format="json")
    refused_add = member.post(_spaces(theirs.pk), {"name": "Suite 9"}, format="json")
    own = member.post(_spaces(mine.pk), {"name": "Suite 9"}, format="json")
    viewer = client_for(cast.viewer).post(_spaces(mine.pk), {"name": "Suite 10"}, format="json")

    assert (read.status_code, [row["name"] for row in read.json()]) == (200, ["Suite 100"])
    assert (refused.status_code, refused_add.status_code, own.status_code, viewer.status_code) == (
        403,
        403,
        201,
        403,
    )
    with org_context(cast.org_a):
        assert Space.objects.get(pk=their_space.pk).status == "available"
        assert sorted(Space.objects.values_list("name", flat=True)) == ["Suite 100", "Suite 9"]


def test_an_archived_listings_spaces_are_read_only(cast: Cast) -> None:
    tower = listing(cast)
    client = client_for(cast.owner)
    client.delete(f"{PROPERTIES}{tower.pk}/")

    assert client.get(_spaces(tower.pk)).status_code == 200
    assert client.post(_spaces(tower.pk), {"name": "Late"}, format="json").json()["code"] == "archived"
    assert stored(tower).archived_at is not None


# --- the space search -------------------------------------------------------------------------------------


def test_an_office_with_a_suite_of_2000_to_3000_sq_ft_available_before_june(cast: Cast) -> None:
    match = listing(cast, title="Match")
    space(cast, match, name="Too small", size="1500", size_unit="sq_ft", available_from="2026-03-01")
    space(cast, match, name="Right", size="2000", size_unit="sq_ft", available_from="2026-05-31")
    space(cast, match, name="Also right", size="278.71", size_unit="sq_m")  # 3,000 sq ft; no date: available now
    late = listing(cast, title="Late")
    space(cast, late, name="Right size", size="2500", size_unit="sq_ft", available_from="2026-06-01")
    # Big enough and early enough, but not in the same space.
    split = listing(cast, title="Split")
    space(cast, split, name="Big", size="2500", size_unit="sq_ft", available_from="2026-09-01")
    space(cast, split, name="Early", size="500", size_unit="sq_ft", available_from="2026-01-01")
    let = listing(cast, title="Let")
    space(cast, let, name="Let", size="2500", size_unit="sq_ft", status="let")
    listing(cast, title="Shop", property_type="retail")
    client = client_for(cast.owner)
    query = {"type": "office", "space_area_min": "2000", "space_area_max": "3000", "area_unit": "sq_ft",
             "space_available_before": "2026-06-01", "space_status": "available"}  # fmt: skip

    response = client.get(PROPERTIES, query)

    assert (titles(response), response.json()["count"]) == (["Match"], 1)
    assert titles(
        client.get(PROPERTIES, {**query, "space_status": ["available", "let"], "ordering": "title"})
    ) == ["Let", "Match"]
    assert titles(client.get(PROPERTIES, {"space_status": "let"})) == ["Let"]
    assert titles(client.get(PROPERTIES, {"space_area_min": "232", "ordering": "title"})) == [
        "Late", "Let", "Match", "Split",
    ]  # fmt: skip


def test_the_space_search_is_one_exists_without_distinct(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tower = listing(cast)
    for n in range(3):
        space(cast, tower, name=f"Suite {n}", size="100")

    with CaptureQueriesContext(connection) as captured:
        response = client_for(cast.owner).get(PROPERTIES, {"space_area_min": "50", "space_status": "available"})

    assert response.json()["count"] == 1
    pages = [
        q["sql"] for q in captured.captured_queries if "properties_property" in q["sql"] and "ORDER BY" in q["sql"]
    ]
    assert len(pages) == 1
    assert "EXISTS" in pages[0] and "DISTINCT" not in pages[0] and "JOIN" not in pages[0]
