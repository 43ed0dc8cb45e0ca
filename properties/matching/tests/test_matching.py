"""Matching in SQL: which searches a listing event reaches, what each saver is told, and each told only once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.context import org_context
from properties.matching import services
from properties.matching.matching import NOTICE_COLUMNS, notice_rows, notices_insert
from properties.matching.models import ListingEvent, MatchNotice, SavedSearch
from properties.matching.tests.helpers import (
    change,
    contact,
    events_of,
    listing,
    match_all,
    match_notifications,
    notices,
    saved_search,
)
from tenants.testing.fixtures import Cast

pytestmark = pytest.mark.django_db


def test_a_listing_that_becomes_active_reaches_the_searches_it_satisfies_and_their_owners_in_app(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    saved_search(cast, name="Leeds houses", criteria={"type": "house", "city": "leeds"})
    saved_search(cast, cast.manager, name="Any office", criteria={"type": ["office"]})
    draft = listing(cast, title="Mill House", property_type="house", city="Leeds")

    with django_capture_on_commit_callbacks(execute=True):
        change(cast, draft, status="active")

    assert events_of(draft) == [("listed", "active")]
    assert notices(cast.org_a) == [("Leeds houses", "Mill House", "new_listing")]
    assert match_notifications(cast.org_a) == [
        (cast.member.pk, 'New listing "Mill House" matches the saved search "Leeds houses".')
    ]


def test_a_draft_or_a_listing_that_is_not_active_reaches_nobody(cast: Cast) -> None:
    saved_search(cast, name="Anything")
    listing(cast, title="Draft")
    listing(cast, title="Soon", status="coming_soon")

    match_all(cast.org_a)

    assert notices(cast.org_a) == []


def test_status_criteria_let_a_search_hear_of_other_statuses(cast: Cast) -> None:
    saved_search(cast, name="Coming soon", criteria={"status": ["coming_soon"]})

    listing(cast, title="Soon", status="coming_soon")
    match_all(cast.org_a)

    assert notices(cast.org_a) == [("Coming soon", "Soon", "new_listing")]


def test_the_same_event_matched_twice_makes_one_notice_and_one_notification(cast: Cast) -> None:
    saved_search(cast, name="Anything")
    active = listing(cast, title="Quay", status="active")
    with org_context(cast.org_a):
        event = ListingEvent.objects.get(property=active)

        first = notices_insert(org=cast.org_a, event=event, listing=active)
        again = notices_insert(org=cast.org_a, event=event, listing=active)
        matched = services.listing_event_match(org=cast.org_a, event_id=event.pk)
        rematched = services.listing_event_match(org=cast.org_a, event_id=event.pk)

    assert (len(first), again, matched, rematched) == (1, [], 0, 0)
    assert notices(cast.org_a) == [("Anything", "Quay", "new_listing")]


def test_the_database_refuses_a_second_notice_for_the_same_search_and_event(cast: Cast) -> None:
    from django.db import IntegrityError, transaction

    search = saved_search(cast, name="Anything")
    active = listing(cast, title="Quay", status="active")
    match_all(cast.org_a)
    with org_context(cast.org_a):
        event = ListingEvent.objects.get(property=active)
        with pytest.raises(IntegrityError), transaction.atomic():
            MatchNotice.objects.create(search=search, event=event, property=active, kind="new_listing")


def test_a_price_drop_reaches_searches_the_listing_now_fits_and_a_rise_reaches_nobody(cast: Cast) -> None:
    saved_search(cast, name="Under 500k", criteria={"price_max": "500000"})
    saved_search(cast, cast.manager, name="Under 400k", criteria={"price_max": "400000"})
    house = listing(
        cast, title="Elm House", property_type="house", status="active", asking_price="520000", currency="EUR"
    )
    match_all(cast.org_a)

    change(cast, house, asking_price="480000")
    change(cast, house, asking_price="490000")
    match_all(cast.org_a)

    assert events_of(house) == [("listed", "active"), ("price_drop", "active")]
    assert notices(cast.org_a) == [("Under 500k", "Elm House", "price_drop")]
    assert match_notifications(cast.org_a) == [
        (
            cast.member.pk,
            '"Elm House": Price reduced to 480,000 EUR (was 520,000) (the saved search "Under 500k").',
        )
    ]


def test_each_drop_is_its_own_event(cast: Cast) -> None:
    saved_search(cast, name="Anything")
    house = listing(cast, title="Elm House", status="active", asking_price="520000")

    change(cast, house, asking_price="500000")
    change(cast, house, asking_price="450000")
    match_all(cast.org_a)

    assert [kind for _, _, kind in notices(cast.org_a)] == ["new_listing", "price_drop", "price_drop"]


def test_a_status_change_reaches_only_searches_that_were_sent_the_listing(cast: Cast) -> None:
    saved_search(cast, name="Sent it", criteria={"city": "York"})
    active = listing(cast, title="Minster View", status="active", city="York")
    match_all(cast.org_a)
    saved_search(cast, cast.manager, name="Came later", criteria={"city": "York"})

    change(cast, active, status="under_contract")
    match_all(cast.org_a)
    change(cast, active, status="sold")
    match_all(cast.org_a)

    assert notices(cast.org_a) == [
        ("Sent it", "Minster View", "new_listing"),
        ("Sent it", "Minster View", "status_changed"),
        ("Sent it", "Minster View", "status_changed"),
    ]
    assert match_notifications(cast.org_a)[1:] == [
        (cast.member.pk, '"Minster View": Now under contract (the saved search "Sent it").'),
        (cast.member.pk, '"Minster View": Now sold (the saved search "Sent it").'),
    ]


def test_back_on_the_market_is_news_to_those_who_knew_it_and_new_to_the_rest(cast: Cast) -> None:
    saved_search(cast, name="Knew it")
    active = listing(cast, title="Quay", status="active")
    match_all(cast.org_a)
    saved_search(cast, cast.manager, name="New here")
    change(cast, active, status="withdrawn")
    match_all(cast.org_a)

    change(cast, active, status="active")
    match_all(cast.org_a)

    assert notices(cast.org_a) == [
        ("Knew it", "Quay", "new_listing"),
        ("Knew it", "Quay", "status_changed"),
        ("Knew it", "Quay", "status_changed"),
        ("New here", "Quay", "new_listing"),
    ]


def test_a_status_event_the_listing_moved_on_from_is_not_matched(cast: Cast) -> None:
    saved_search(cast, name="Anything")
    active = listing(cast, title="Quay", status="active")
    change(cast, active, status="withdrawn")

    match_all(cast.org_a)

    assert notices(cast.org_a) == []
    with org_context(cast.org_a):
        assert not ListingEvent.objects.filter(matched_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("criteria", "matches"),
    [
        ({"near": "53.8008,-1.5491", "radius_km": 5}, True),  # Leeds centre to Headingley: about 2.6 km
        ({"near": "53.8008,-1.5491", "radius_km": 2}, False),
        ({"near": "53.4808,-2.2426", "radius_km": 60}, True),  # Manchester: about 55 km away
        ({"near": "53.4808,-2.2426", "radius_km": 50}, False),
        ({"bbox": "53.8,-1.6,53.9,-1.5"}, True),
        ({"bbox": "53.83,-1.6,53.9,-1.5"}, False),
    ],
)
def test_geo_criteria_match_by_great_circle_distance_or_box(cast: Cast, criteria: dict, matches: bool) -> None:
    saved_search(cast, name="Geo", criteria=criteria)

    listing(cast, title="Headingley", status="active", latitude=53.8190, longitude=-1.5800)
    match_all(cast.org_a)

    assert bool(notices(cast.org_a)) is matches


def test_geo_criteria_across_the_antimeridian(cast: Cast) -> None:
    saved_search(cast, name="Fiji circle", criteria={"near": "-17.0,179.9", "radius_km": 50})
    saved_search(cast, cast.manager, name="Fiji box", criteria={"bbox": "-18,179,-16,-179"})
    saved_search(cast, cast.admin, name="Greenwich", criteria={"near": "51.48,0.0", "radius_km": 50})

    listing(cast, title="Taveuni", status="active", latitude=-16.95, longitude=-179.95)
    match_all(cast.org_a)

    assert sorted(name for name, _, _ in notices(cast.org_a)) == ["Fiji box", "Fiji circle"]


def test_a_listing_without_coordinates_matches_only_searches_without_a_place_on_the_map(cast: Cast) -> None:
    saved_search(cast, name="Near", criteria={"near": "53.8,-1.5", "radius_km": 50})
    saved_search(cast, cast.manager, name="Anywhere")

    listing(cast, title="Somewhere", status="active")
    match_all(cast.org_a)

    assert [name for name, _, _ in notices(cast.org_a)] == ["Anywhere"]


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [(["parking"], True), (["parking", "garden"], True), (["parking", "gym"], False), ([], True)],
)
def test_amenities_are_all_of_them(cast: Cast, wanted: list[str], matches: bool) -> None:
    saved_search(cast, name="Amenities", criteria={"amenities": wanted} if wanted else {})

    listing(cast, title="Garden Flat", status="active", amenities=["garden", "parking", "balcony"])
    match_all(cast.org_a)

    assert bool(notices(cast.org_a)) is matches


@pytest.mark.parametrize(
    ("criteria", "matches"),
    [
        ({"type": ["house", "apartment"]}, True),
        ({"type": "office"}, False),
        ({"listing_type": "sale"}, True),  # a listing for sale or lease is for sale
        ({"listing_type": "lease"}, True),
        ({"listing_type": "both"}, True),
        ({"price_min": "400000", "price_max": "450000"}, True),
        ({"price_min": "450000.01"}, False),
        ({"rate_max": "2000"}, True),
        ({"rate_max": "1999.99"}, False),
        ({"currency": "eur"}, True),
        ({"currency": "GBP"}, False),
        ({"area_min": "1076", "area_unit": "sq_ft"}, True),  # 99.96 m² against 100 m²
        ({"area_min": "1077", "area_unit": "sq_ft"}, False),  # 100.06 m²
        ({"area_max": "100"}, True),
        ({"bedrooms_min": 3}, True),
        ({"bedrooms_min": "2.5"}, True),
        ({"bedrooms_min": 4}, False),
        ({"city": ["York", "LEEDS"]}, True),
        ({"city": "Bradford"}, False),
        ({"region": "west yorkshire"}, True),
        ({"postal_code": "ls6"}, True),
        ({"postal_code": ["LS6 3", "BD1"]}, True),
        ({"postal_code": "LS1"}, False),
        ({"tags": "prime,new-build"}, True),
        ({"tags": ["off-market"]}, False),
    ],
)
def test_each_list_filter_means_what_it_means_in_the_list(cast: Cast, criteria: dict, matches: bool) -> None:
    saved_search(cast, name="Criteria", criteria=criteria)

    listing(
        cast, title="Headingley House", property_type="house", listing_type="both", status="active",
        asking_price="450000", lease_rate="2000", currency="EUR", floor_area="100", bedrooms=3, city="Leeds",
        region="West Yorkshire", postal_code="LS6 3AB", tags=["prime"],
    )  # fmt: skip
    match_all(cast.org_a)

    assert bool(notices(cast.org_a)) is matches


def test_a_search_of_a_listing_agent_hears_of_that_agents_listings_only(cast: Cast) -> None:
    saved_search(cast, name="Member's listings", criteria={"listing_agent": str(cast.member.pk)})

    listing(cast, title="Not theirs", status="active")
    listing(cast, title="Theirs", status="active", listing_agent_id=cast.member.pk)
    match_all(cast.org_a)

    assert [title for _, title, _ in notices(cast.org_a)] == ["Theirs"]


def test_paused_searches_archived_contacts_and_members_who_left_hear_nothing(cast: Cast) -> None:
    from django.utils import timezone

    saved_search(cast, name="Paused", is_active=False)
    gone = contact(cast, first_name="Gone", archived_at=timezone.now())
    with org_context(cast.org_a):
        SavedSearch.objects.create(org=cast.org_a, name="Of an archived contact", contact=gone)
    saved_search(cast, cast.admin, name="Of a member who left")
    cast.admin.removed_at, cast.admin.is_active = timezone.now(), False
    cast.admin.save(update_fields=["removed_at", "is_active"])
    saved_search(cast, name="Live")

    listing(cast, title="Quay", status="active")
    match_all(cast.org_a)

    assert [name for name, _, _ in notices(cast.org_a)] == ["Live"]


def test_another_orgs_searches_are_never_matched_and_never_see_its_listings(cast: Cast) -> None:
    saved_search(cast, name="Alpha's")
    saved_search(cast, cast.other_owner, name="Bravo's")

    listing(cast, title="Alpha quay", status="active")
    listing(cast, org=cast.org_b, title="Bravo quay", status="active")
    match_all(cast.org_a)
    match_all(cast.org_b)

    assert notices(cast.org_a) == [("Alpha's", "Alpha quay", "new_listing")]
    assert notices(cast.org_b) == [("Bravo's", "Bravo quay", "new_listing")]


def test_matching_is_one_statement_whatever_the_number_of_searches(cast: Cast) -> None:
    """Two queries per event (the listing, then INSERT ... SELECT), one searches or a thousand."""

    def statements_for_one_event(title: str) -> list[str]:
        active = listing(cast, title=title, status="active", city="Leeds", property_type="house")
        with org_context(cast.org_a):
            event = ListingEvent.objects.get(property=active)
            with CaptureQueriesContext(connection) as captured:
                made = notices_insert(org=cast.org_a, event=event, listing=active)
        assert made
        return [query["sql"] for query in captured.captured_queries]

    saved_search(cast, name="One", criteria={"city": "Leeds"})
    with_one = statements_for_one_event("First")
    with org_context(cast.org_a):
        template = SavedSearch.objects.get(name="One")
        SavedSearch.objects.bulk_create(
            SavedSearch(**{**_columns(template), "name": f"Copy {n}"}) for n in range(1000)
        )
    with_many = statements_for_one_event("Second")

    assert len(with_one) == len(with_many) == 1
    assert with_many[0].startswith("INSERT INTO") and "SELECT" in with_many[0]
    assert "ON CONFLICT DO NOTHING" in with_many[0]
    with org_context(cast.org_a):
        assert MatchNotice.objects.filter(property__title="Second").count() == 1001


def test_the_plan_is_one_insert_fed_by_one_scan_of_the_searches(cast: Cast) -> None:
    saved_search(cast, name="Anything")
    active = listing(cast, title="Quay", status="active", latitude=53.8, longitude=-1.5, city="Leeds")
    with org_context(cast.org_a):
        event = ListingEvent.objects.get(property=active)
        sql, params = notice_rows(cast.org_a, event, active).query.sql_with_params()
        with connection.cursor() as cursor:
            columns = ", ".join(NOTICE_COLUMNS)
            cursor.execute(
                f"EXPLAIN INSERT INTO property_matching_matchnotice ({columns}) {sql} ON CONFLICT DO NOTHING",
                params,
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())

    assert plan.startswith("Insert on property_matching_matchnotice"), plan
    assert "Conflict Resolution: NOTHING" in plan
    assert len(re.findall(r"Scan(?: using \S+)? on property_matching_savedsearch\b", plan)) == 1, plan


def _columns(search: SavedSearch) -> dict[str, Any]:
    skip = {"id", "created_at", "updated_at"}
    return {
        f.attname: getattr(search, f.attname) for f in SavedSearch._meta.concrete_fields if f.attname not in skip
    }


def test_the_sweep_matches_events_a_lost_worker_left_in_every_org_and_only_once(cast: Cast) -> None:
    import datetime

    from django.utils import timezone

    from properties.matching.tasks import sweep

    saved_search(cast, name="Alpha's")
    saved_search(cast, cast.other_owner, name="Bravo's")
    listing(cast, title="Alpha quay", status="active")  # no job ran: nothing routed the enqueued tasks
    listing(cast, org=cast.org_b, title="Bravo quay", status="active")
    for org in (cast.org_a, cast.org_b):
        with org_context(org):
            ListingEvent.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    listing(cast, title="Just now", status="active")  # its job is still due to run: left to it

    swept, again = sweep.apply().get(), sweep.apply().get()

    assert (swept, again) == (2, 0)
    assert notices(cast.org_a) == [("Alpha's", "Alpha quay", "new_listing")]
    assert notices(cast.org_b) == [("Bravo's", "Bravo quay", "new_listing")]
    with org_context(cast.org_a):
        assert list(
            ListingEvent.objects.filter(matched_at__isnull=True).values_list("property__title", flat=True)
        ) == ["Just now"]


def test_a_contact_merge_moves_its_requirements_to_the_kept_contact(cast: Cast) -> None:
    from contacts.services import contact_merge

    kept, gone = contact(cast, first_name="Kept"), contact(cast, first_name="Gone")
    requirement = saved_search(cast, cast.owner, name="Gone's", contact=gone)

    with org_context(cast.org_a):
        contact_merge(org=cast.org_a, actor=cast.owner, keep_id=kept.pk, merge_id=gone.pk)
        assert SavedSearch.objects.get(pk=requirement.pk).contact_id == kept.pk
