"""Listings over the API: writes, isolation, roles, the status machine, price history, bulk and the hooks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from common.context import org_context
from contacts import services as contact_services
from properties.models import Property
from properties.services import ALLOWED_TRANSITIONS
from properties.tests.helpers import PROPERTIES, company, contact, listing, price_rows, stored, titles
from tenants.members.services import open_records_reassign
from tenants.testing.fixtures import Cast, client_for
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db

UNKNOWN_CURRENCY = "Not a known currency. A three-letter ISO 4217 code, such as EUR."


def _activity(listing_: Property) -> list[tuple[str, Any]]:
    with org_context(listing_.org):
        entries = ActivityEntry.objects.filter(target_type="properties.property", target_id=listing_.pk)
        return [(entry.verb, entry.changes) for entry in entries.order_by("created_at", "id")]


# --- create, read, change, archive ------------------------------------------------------------------------


def test_create_normalises_areas_defaults_the_agent_and_currency_and_ignores_forged_fields(cast: Cast) -> None:
    body = {
        "title": "Dockside Warehouse", "property_type": "warehouse", "listing_type": "lease",
        "floor_area": "10000", "area_unit": "sq_ft", "lot_size": "2.5", "lease_rate": "12.50",
        "lease_rate_period": "year", "lease_rate_basis": "per_area", "bathrooms": "2.5",
        "amenities": ["loading_dock", "parking", "parking"], "highlights": ["Eaves 12 m"],
        "latitude": 51.5, "longitude": -0.12,
        "created_by": str(cast.other_owner.pk), "floor_area_sqm": "1",
        "public_slug": "chosen", "id": "00000000-0000-7000-8000-000000000001",
    }  # fmt: skip

    response = client_for(cast.member).post(PROPERTIES, body, format="json")

    assert response.status_code == 201, response.json()
    row = response.json()
    saved = stored(Property(pk=row["id"], org=cast.org_a))
    assert (saved.org_id, saved.created_by_id, saved.listing_agent_id) == (
        cast.org_a.pk,
        cast.member.pk,
        cast.member.pk,
    )
    assert row["id"] != body["id"]
    assert (row["floor_area"], row["area_unit"], row["floor_area_sqm"]) == ("10000.00", "sq_ft", "929.03")
    assert (row["lot_size"], row["lot_size_unit"], row["lot_size_sqm"]) == ("2.50", "sq_m", "2.50")
    assert (row["lease_rate"], row["currency"], row["bathrooms"]) == ("12.50", "USD", "2.5")
    assert row["amenities"] == ["loading_dock", "parking"]
    assert row["assigned_to"] == [str(cast.member.pk)]
    assert (row["status"], row["is_published"], row["distance_km"]) == ("draft", False, None)
    assert row["reference"].startswith("P-")
    assert (
        row["public_slug"].startswith("dockside-warehouse-")
        and len(row["public_slug"]) == len("dockside-warehouse-") + 12
    )
    assert response["ETag"]


def test_reference_is_unique_in_the_org_whatever_the_case_but_free_in_another_org(cast: Cast) -> None:
    listing(cast, reference="LDN-001")
    listing(cast, org=cast.org_b, reference="LDN-002")
    client = client_for(cast.owner)

    taken = client.post(PROPERTIES, {"title": "X", "property_type": "land", "reference": "ldn-001"}, format="json")
    free = client.post(PROPERTIES, {"title": "Y", "property_type": "land", "reference": "ldn-002"}, format="json")

    detail = "Another listing of the org has this reference."
    assert (taken.status_code, taken.json()) == (
        400,
        {"code": "unique", "detail": detail, "fields": {"reference": [{"code": "unique", "detail": detail}]}},
    )
    assert (free.status_code, free.json()["reference"]) == (201, "ldn-002")


def test_patch_changes_fields_and_recomputes_square_metres_when_only_the_unit_changes(cast: Cast) -> None:
    home = listing(cast, property_type="house", floor_area="100", area_unit="sq_m")
    client = client_for(cast.owner)

    response = client.patch(f"{PROPERTIES}{home.pk}/", {"area_unit": "sq_ft", "bedrooms": 3}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["floor_area_sqm"], response.json()["bedrooms"]) == ("9.29", 3)
    assert _activity(home)[-1] == (
        "updated", {"area_unit": ["sq_m", "sq_ft"], "floor_area_sqm": ["100.00", "9.29"], "bedrooms": [None, 3]}
    )  # fmt: skip


def test_delete_archives_and_the_list_hides_it_until_restored(cast: Cast) -> None:
    home = listing(cast, title="Old Mill")
    client = client_for(cast.owner)

    assert client.delete(f"{PROPERTIES}{home.pk}/").status_code == 204
    hidden = titles(client.get(PROPERTIES))
    archived = titles(client.get(PROPERTIES, {"archived": "true"}))
    restored = client.post(f"{PROPERTIES}{home.pk}/restore/")

    assert (hidden, archived, restored.status_code) == ([], ["Old Mill"], 200)
    assert stored(home).archived_at is None


@pytest.mark.parametrize(
    ("body", "field", "code", "detail"),
    [
        ({"latitude": 91, "longitude": 0}, "latitude", "max_value",
         "Ensure this value is less than or equal to 90."),
        ({"latitude": 0, "longitude": -181}, "longitude", "min_value",
         "Ensure this value is greater than or equal to -180."),
        ({"latitude": 10}, "longitude", "required", "Give both latitude and longitude, or neither."),
        ({"asking_price": "-1"}, "asking_price", "min_value", "Ensure this value is greater than or equal to 0."),
        ({"currency": "euro"}, "currency", "max_length", "Ensure this field has no more than 3 characters."),
        ({"currency": "e1r"}, "currency", "invalid", UNKNOWN_CURRENCY),
        ({"currency": "xyz"}, "currency", "invalid", UNKNOWN_CURRENCY),
        ({"country": "ZZ"}, "country", "invalid",
         "Not a known country. A two-letter ISO 3166-1 code, such as GB."),
        ({"cap_rate": "101"}, "cap_rate", "max_value", "Ensure this value is less than or equal to 100."),
        ({"amenities": ["parking", "sauna", "moat"]}, "amenities", "invalid_choice",
         'Unknown amenity "sauna", "moat"; use any of: parking, garage, elevator, air_conditioning, heating, gym, '
         "pool, garden, balcony, terrace, concierge, security, storage, loading_dock, high_ceilings, "
         "fiber_internet, bike_storage, ev_charging, wheelchair_access, furnished, pet_friendly."),
    ],
)  # fmt: skip
def test_bad_values_are_a_400_naming_the_field_and_nothing_is_written(
    cast: Cast, body: dict[str, Any], field: str, code: str, detail: str
) -> None:
    response = client_for(cast.owner).post(
        PROPERTIES, {"title": "T", "property_type": "office", **body}, format="json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"code": code, "detail": detail, "fields": {field: [{"code": code, "detail": detail}]}},
    )
    with org_context(cast.org_a):
        assert not Property.objects.exists()


def test_the_database_refuses_coordinates_out_of_range_or_half_given(cast: Cast) -> None:
    from django.db import IntegrityError, transaction

    home = listing(cast)
    with org_context(cast.org_a):
        for values in ({"latitude": 95.0, "longitude": 0.0}, {"latitude": 1.0, "longitude": None}):
            with pytest.raises(IntegrityError), transaction.atomic():
                Property.objects.filter(pk=home.pk).update(**values)


# --- isolation ------------------------------------------------------------------------------------------------


def test_another_orgs_listing_is_a_404_everywhere_and_absent_from_lists(cast: Cast) -> None:
    theirs = listing(cast, org=cast.org_b, title="Bravo Tower")
    client = client_for(cast.owner)

    for response in (
        client.get(f"{PROPERTIES}{theirs.pk}/"),
        client.patch(f"{PROPERTIES}{theirs.pk}/", {"title": "Mine now"}, format="json"),
        client.delete(f"{PROPERTIES}{theirs.pk}/"),
        client.get(f"{PROPERTIES}{theirs.pk}/price-history/"),
        client.get(f"{PROPERTIES}{theirs.pk}/spaces/"),
    ):
        assert (response.status_code, response.json()) == (
            404,
            {"code": "not_found", "detail": "Not found.", "fields": {}},
        )
    assert titles(client.get(PROPERTIES)) == []
    assert (stored(theirs).title, stored(theirs).archived_at) == ("Bravo Tower", None)


def test_outsider_gets_404(cast: Cast) -> None:
    listing(cast)

    assert client_for(cast.outsider, org=cast.org_a).get(PROPERTIES).status_code == 404


@pytest.mark.parametrize(("field", "make"), [("owner_contact", contact), ("landlord_company", company)])
def test_another_orgs_contact_or_company_is_does_not_exist_like_a_random_id(cast: Cast, field: str, make) -> None:
    foreign = make(cast, org=cast.org_b, **({"first_name": "Bea"} if make is contact else {"name": "Bravo Co"}))
    client = client_for(cast.owner)

    answers = {}
    for pk in (foreign.pk, uuid.uuid4()):
        response = client.post(
            PROPERTIES, {"title": "T", "property_type": "retail", field: str(pk)}, format="json"
        )
        detail = f'Invalid pk "{pk}" - object does not exist.'
        answers[pk] = (response.status_code, response.json())
        assert answers[pk] == (
            400,
            {
                "code": "does_not_exist",
                "detail": detail,
                "fields": {field: [{"code": "does_not_exist", "detail": detail}]},
            },
        )
    with org_context(cast.org_a):
        assert not Property.objects.exists()


def test_listing_agent_of_another_org_is_does_not_exist(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        PROPERTIES,
        {"title": "T", "property_type": "land", "listing_agent": str(cast.other_owner.pk)},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (400, "does_not_exist")


# --- roles ----------------------------------------------------------------------------------------------------


def test_every_member_reads_the_whole_inventory(cast: Cast) -> None:
    listing(cast, title="Owners Listing")
    listing(cast, title="Managers Listing", actor=cast.manager)

    for who in (cast.member, cast.viewer, cast.manager):
        assert sorted(titles(client_for(who).get(PROPERTIES))) == ["Managers Listing", "Owners Listing"]


def test_member_writes_only_listings_they_created_or_are_assigned(cast: Cast) -> None:
    theirs = listing(cast, title="Someone Elses")
    mine = listing(cast, title="Mine", actor=cast.member)
    marketed = listing(cast, title="Marketed", listing_agent_id=cast.member.pk)
    member = client_for(cast.member)

    refused = member.patch(f"{PROPERTIES}{theirs.pk}/", {"title": "Taken"}, format="json")
    archive = member.delete(f"{PROPERTIES}{theirs.pk}/")
    bad_body = member.patch(f"{PROPERTIES}{theirs.pk}/", {"latitude": "north"}, format="json")
    own = member.patch(f"{PROPERTIES}{mine.pk}/", {"title": "Mine, renamed"}, format="json")
    agent = member.patch(f"{PROPERTIES}{marketed.pk}/", {"status": "active"}, format="json")

    detail = "You may not change this record: only its creator, its assignees and managers may."
    assert (refused.status_code, refused.json()) == (
        403,
        {"code": "permission_denied", "detail": detail, "fields": {}},
    )
    assert (archive.status_code, bad_body.status_code) == (403, 403)  # the rule comes before the body
    assert (own.status_code, agent.status_code) == (200, 200)
    assert (stored(theirs).title, stored(theirs).archived_at) == ("Someone Elses", None)
    assert stored(marketed).assigned_to == [cast.member.pk]


def test_viewer_reads_but_writes_nothing(cast: Cast) -> None:
    home = listing(cast)
    viewer = client_for(cast.viewer)

    assert viewer.get(f"{PROPERTIES}{home.pk}/").status_code == 200
    assert viewer.post(PROPERTIES, {"title": "X", "property_type": "land"}, format="json").status_code == 403
    assert viewer.patch(f"{PROPERTIES}{home.pk}/", {"title": "X"}, format="json").status_code == 403
    assert stored(home).title == "Harbour Offices"


def test_the_listing_agent_keeps_a_seat_and_hands_it_over(cast: Cast) -> None:
    home = listing(cast, listing_agent_id=cast.member.pk, assigned_to=[cast.manager.pk])
    client = client_for(cast.owner)

    response = client.patch(f"{PROPERTIES}{home.pk}/", {"listing_agent": str(cast.admin.pk)}, format="json")

    assert response.status_code == 200
    assert (stored(home).listing_agent_id, stored(home).assigned_to) == (
        cast.admin.pk,
        [cast.admin.pk, cast.manager.pk],
    )
    assert home.assigned_to == [cast.member.pk, cast.manager.pk]


# --- status machine -------------------------------------------------------------------------------------------


ALL_STATUSES = ["draft", "coming_soon", "active", "under_contract", "sold", "leased", "off_market", "withdrawn"]
MOVES = [(old, new) for old in ALL_STATUSES for new in ALL_STATUSES if old != new]


@pytest.mark.parametrize(("old", "new"), MOVES)
def test_every_status_move_follows_the_transition_table(cast: Cast, old: str, new: str) -> None:
    home = listing(cast, status=old, listing_type="both")

    response = client_for(cast.owner).patch(f"{PROPERTIES}{home.pk}/", {"status": new}, format="json")

    if new in ALLOWED_TRANSITIONS[old]:
        assert (response.status_code, stored(home).status) == (200, new)
        assert _activity(home)[-1] == ("status_changed", {"status": [old, new]})
    else:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[old]))
        detail = f"A {old} listing cannot become {new}; it can become: {allowed}."
        assert (response.status_code, response.json()) == (
            409,
            {"code": "invalid_transition", "detail": detail,
             "fields": {"status": [{"code": "invalid_transition", "detail": detail}]}},
        )  # fmt: skip
        assert stored(home).status == old


def test_the_transition_table_is_the_documented_one() -> None:
    assert {old: sorted(new) for old, new in ALLOWED_TRANSITIONS.items()} == {
        "draft": ["active", "coming_soon", "withdrawn"],
        "coming_soon": ["active", "draft", "off_market", "withdrawn"],
        "active": ["leased", "off_market", "under_contract", "withdrawn"],
        "under_contract": ["active", "leased", "sold", "withdrawn"],
        "sold": ["off_market"],
        "leased": ["active", "off_market"],
        "off_market": ["active", "coming_soon", "withdrawn"],
        "withdrawn": ["active", "draft"],
    }


def test_only_a_listing_for_sale_is_sold_and_only_one_for_lease_is_leased(cast: Cast) -> None:
    for_lease = listing(cast, status="under_contract", listing_type="lease")
    for_sale = listing(cast, status="active", listing_type="sale", title="Sale")
    sold = listing(cast, status="sold", listing_type="both", title="Sold")
    client = client_for(cast.owner)

    not_sold = client.patch(f"{PROPERTIES}{for_lease.pk}/", {"status": "sold"}, format="json")
    not_leased = client.patch(f"{PROPERTIES}{for_sale.pk}/", {"status": "leased"}, format="json")
    retyped = client.patch(f"{PROPERTIES}{sold.pk}/", {"listing_type": "lease"}, format="json")

    assert (not_sold.status_code, not_sold.json()["detail"]) == (409, "A listing for lease cannot become sold.")
    assert (not_leased.status_code, not_leased.json()["detail"]) == (
        409,
        "A listing for sale cannot become leased.",
    )
    assert (retyped.status_code, retyped.json()) == (
        400,
        {"code": "listing_type_mismatch", "detail": "A sold listing must stay listed for sale or both.",
         "fields": {"listing_type": [{"code": "listing_type_mismatch",
                                      "detail": "A sold listing must stay listed for sale or both."}]}},
    )  # fmt: skip
    assert (stored(for_lease).status, stored(for_sale).status, stored(sold).listing_type) == (
        "under_contract", "active", "both",
    )  # fmt: skip


def test_a_status_move_with_other_fields_is_one_status_changed_entry(cast: Cast) -> None:
    home = listing(cast)

    client_for(cast.owner).patch(
        f"{PROPERTIES}{home.pk}/", {"status": "active", "is_published": True}, format="json"
    )

    assert _activity(home)[-1] == (
        "status_changed",
        {"status": ["draft", "active"], "is_published": [False, True]},
    )
    assert [verb for verb, _ in _activity(home)].count("status_changed") == 1


# --- price history --------------------------------------------------------------------------------------------


def test_price_history_records_the_first_price_every_change_and_marks_drops(cast: Cast) -> None:
    client = client_for(cast.owner)
    created = client.post(
        PROPERTIES,
        {"title": "Villa", "property_type": "house", "listing_type": "both", "asking_price": "500000",
         "lease_rate": "2000", "currency": "eur"},
        format="json",
    )  # fmt: skip
    pk = created.json()["id"]
    for change in ({"asking_price": "475000.00"}, {"lease_rate": "2100"}, {"title": "Villa Rosa"},
                   {"asking_price": "475000"}, {"currency": "GBP"}, {"asking_price": None}):  # fmt: skip
        assert client.patch(f"{PROPERTIES}{pk}/", change, format="json").status_code == 200

    history = client.get(f"{PROPERTIES}{pk}/price-history/")

    assert price_rows(Property(pk=pk, org=cast.org_a)) == [
        ("asking_price", None, "500000.00", "EUR", False),
        ("lease_rate", None, "2000.00", "EUR", False),
        ("asking_price", "500000.00", "475000.00", "EUR", True),
        ("lease_rate", "2000.00", "2100.00", "EUR", False),
        ("asking_price", "475000.00", "475000.00", "GBP", False),
        ("lease_rate", "2100.00", "2100.00", "GBP", False),
        ("asking_price", "475000.00", None, "GBP", False),
    ]
    rows = history.json()
    assert history.status_code == 200
    assert [(row["field"], row["old_value"], row["new_value"], row["is_drop"]) for row in rows][:3] == [
        ("asking_price", "475000.00", None, False),
        ("lease_rate", "2100.00", "2100.00", False),
        ("asking_price", "475000.00", "475000.00", False),
    ]
    assert {row["changed_by"] for row in rows} == {str(cast.owner.pk)}
    assert len(rows) == 7


def test_a_listing_without_a_price_has_no_history_and_a_refused_change_writes_none(cast: Cast) -> None:
    home = listing(cast, status="sold", listing_type="sale", asking_price="100")
    client = client_for(cast.owner)

    refused = client.patch(f"{PROPERTIES}{home.pk}/", {"asking_price": "90", "status": "active"}, format="json")

    assert refused.status_code == 409
    assert price_rows(home) == [("asking_price", None, "100.00", "USD", False)]
    assert price_rows(listing(cast, title="No price")) == []


# --- bulk -----------------------------------------------------------------------------------------------------


def _bulk(client, ids: list[Any], changes: dict[str, Any]) -> Any:
    return client.post(
        f"{PROPERTIES}bulk/",
        {"action": "update", "ids": [str(pk) for pk in ids], "changes": changes},
        format="json",
    )


def test_bulk_status_follows_the_rules_per_listing(cast: Cast) -> None:
    draft = listing(cast, title="Draft")
    sold = listing(cast, title="Sold", status="sold")
    foreign = listing(cast, org=cast.org_b)

    response = _bulk(client_for(cast.owner), [draft.pk, sold.pk, foreign.pk], {"status": "active"})

    assert response.json() == {
        "results": [
            {"id": str(draft.pk), "status": "updated"},
            {"id": str(sold.pk), "status": "invalid", "code": "invalid_transition",
             "detail": "A sold listing cannot become active; it can become: off_market."},
            {"id": str(foreign.pk), "status": "not_found"},
        ]
    }  # fmt: skip
    assert (stored(draft).status, stored(sold).status) == ("active", "sold")


def test_bulk_member_changes_their_listings_and_is_forbidden_the_rest(cast: Cast) -> None:
    mine = listing(cast, actor=cast.member, title="Mine")
    theirs = listing(cast, title="Theirs")

    response = _bulk(client_for(cast.member), [mine.pk, theirs.pk], {"is_published": True, "tags_add": ["prime"]})

    assert response.json() == {
        "results": [{"id": str(mine.pk), "status": "updated"}, {"id": str(theirs.pk), "status": "forbidden"}]
    }
    assert (stored(mine).is_published, stored(mine).tags) == (True, ["prime"])
    assert (stored(theirs).is_published, stored(theirs).tags) == (False, [])


def test_bulk_listing_agent_moves_agent_and_seat(cast: Cast) -> None:
    home = listing(cast)

    response = _bulk(client_for(cast.owner), [home.pk], {"listing_agent": str(cast.member.pk)})

    assert response.json()["results"] == [{"id": str(home.pk), "status": "updated"}]
    assert (stored(home).listing_agent_id, stored(home).assigned_to) == (cast.member.pk, [cast.member.pk])


def test_bulk_refuses_fields_outside_its_list(cast: Cast) -> None:
    home = listing(cast)

    response = _bulk(client_for(cast.owner), [home.pk], {"asking_price": "1"})

    assert (response.status_code, response.json()["code"]) == (400, "invalid")


# --- hooks: member removal and merges --------------------------------------------------------------------------


def test_a_removed_members_live_listings_go_to_another_member_sold_ones_keep_their_agent(cast: Cast) -> None:
    live = listing(cast, listing_agent_id=cast.member.pk, title="Live")
    seat_only = listing(cast, assigned_to=[cast.member.pk], title="Seat")
    sold = listing(cast, listing_agent_id=cast.member.pk, status="sold", title="Sold")
    other = listing(cast, title="Other")

    with org_context(cast.org_a):
        moved = open_records_reassign(org=cast.org_a, from_profile=cast.member, to_profile=cast.manager)

    assert moved["properties"] == 2
    assert (stored(live).listing_agent_id, stored(live).assigned_to) == (cast.manager.pk, [cast.manager.pk])
    assert stored(seat_only).assigned_to == [cast.owner.pk, cast.manager.pk]
    assert (stored(sold).listing_agent_id, stored(sold).assigned_to) == (cast.member.pk, [cast.member.pk])
    assert stored(other).assigned_to == [cast.owner.pk]


def test_a_contact_or_company_merge_repoints_owner_and_landlord(cast: Cast) -> None:
    keep_person, gone_person = contact(cast, first_name="Ada"), contact(cast, first_name="Ada L")
    keep_firm, gone_firm = company(cast, name="Acme"), company(cast, name="ACME Ltd")
    home = listing(cast, owner_contact=gone_person, landlord_company=gone_firm)
    archived = listing(cast, owner_contact=gone_person, title="Archived")
    client_for(cast.owner).delete(f"{PROPERTIES}{archived.pk}/")

    with org_context(cast.org_a):
        contact_services.contact_merge(
            org=cast.org_a, actor=cast.owner, keep_id=keep_person.pk, merge_id=gone_person.pk
        )
        contact_services.company_merge(
            org=cast.org_a, actor=cast.owner, keep_id=keep_firm.pk, merge_id=gone_firm.pk
        )

    assert (stored(home).owner_contact_id, stored(home).landlord_company_id) == (keep_person.pk, keep_firm.pk)
    assert stored(archived).owner_contact_id == keep_person.pk
    assert _activity(home)[-1] == ("updated", {"landlord_company": [str(gone_firm.pk), str(keep_firm.pk)]})


def test_an_agent_can_save_a_listing_whose_owner_contact_they_cannot_see(cast: Cast) -> None:
    owners_contact = contact(cast, first_name="Private", created_by=cast.owner)
    home = listing(cast, owner_contact=owners_contact, listing_agent_id=cast.member.pk)
    member = client_for(cast.member)
    loaded = member.get(f"{PROPERTIES}{home.pk}/").json()

    saved = member.put(f"{PROPERTIES}{home.pk}/", {**loaded, "title": "Renamed"}, format="json")
    relinked = member.patch(f"{PROPERTIES}{home.pk}/", {"owner_contact": str(contact(cast).pk)}, format="json")

    assert (saved.status_code, saved.json()["owner_contact"]) == (200, str(owners_contact.pk))
    assert (relinked.status_code, relinked.json()["code"]) == (400, "does_not_exist")
