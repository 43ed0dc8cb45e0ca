"""The listing search: every filter, full text, near and bbox, their bad inputs, and the list's query budget."""

from __future__ import annotations

import math
from typing import Any

import pytest

from properties.models import Property
from properties.tests.helpers import PROPERTIES, listing, space, titles
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def inventory(cast: Cast) -> dict[str, Property]:
    return {
        "loft": listing(
            cast, title="Canal Loft", property_type="apartment", listing_type="lease", status="active",
            lease_rate="1500", bedrooms=2, amenities=["balcony", "gym"], city="Amsterdam", region="North Holland",
            postal_code="1011 AB", floor_area="80", tags=["prime"], listing_agent_id=cast.member.pk,
            is_published=True,
        ),
        "offices": listing(
            cast, title="Harbour Offices", property_type="office", listing_type="both", status="active",
            asking_price="2000000", lease_rate="90000", floor_area="10000", area_unit="sq_ft",
            amenities=["elevator", "parking"], city="London", region="Greater London", postal_code="EC2A 4NE",
        ),
        "house": listing(
            cast, title="Family House", property_type="house", asking_price="750000", bedrooms=4, floor_area="180",
            amenities=["garden", "parking"], city="Manchester", postal_code="M1 2AB",
            description="Quiet cul-de-sac near good schools.",
        ),
        "plot": listing(
            cast, title="Riverside Plot", property_type="land", status="coming_soon", asking_price="300000",
            city="London", postal_code="SE10 9NN", description="Offices nearby; consent for twelve homes.",
        ),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "office"}, ["Harbour Offices"]),
        ({"type": ["house", "land"]}, ["Family House", "Riverside Plot"]),
        ({"status": "active"}, ["Canal Loft", "Harbour Offices"]),
        ({"listing_type": "sale"}, ["Family House", "Harbour Offices", "Riverside Plot"]),
        ({"listing_type": "lease"}, ["Canal Loft", "Harbour Offices"]),
        ({"listing_type": "both"}, ["Harbour Offices"]),
        ({"price_min": "500000"}, ["Family House", "Harbour Offices"]),
        ({"price_max": "750000"}, ["Family House", "Riverside Plot"]),
        ({"rate_min": "2000"}, ["Harbour Offices"]),
        ({"rate_max": "2000"}, ["Canal Loft"]),
        ({"area_min": "900"}, ["Harbour Offices"]),
        ({"area_min": "1000", "area_unit": "sq_ft"}, ["Family House", "Harbour Offices"]),
        ({"area_max": "1000", "area_unit": "sq_ft"}, ["Canal Loft"]),
        ({"area_min": "10000", "area_max": "10000", "area_unit": "sq_ft"}, ["Harbour Offices"]),
        ({"bedrooms_min": "3"}, ["Family House"]),
        ({"amenities": "parking"}, ["Family House", "Harbour Offices"]),
        ({"amenities": "parking,garden"}, ["Family House"]),
        ({"city": "london"}, ["Harbour Offices", "Riverside Plot"]),
        ({"region": "north holland"}, ["Canal Loft"]),
        ({"postal_code": "ec2a"}, ["Harbour Offices"]),
        ({"tags": "prime"}, ["Canal Loft"]),
        ({"is_published": "true"}, ["Canal Loft"]),
        ({"currency": "usd", "type": "land"}, ["Riverside Plot"]),
        ({"search": "harbour"}, ["Harbour Offices"]),
    ],
)
def test_each_filter_finds_exactly_its_listings(
    cast: Cast, inventory: dict[str, Property], query: dict[str, Any], expected: list[str]
) -> None:
    assert titles(client_for(cast.owner).get(PROPERTIES, {**query, "ordering": "title"})) == expected


def test_listing_agent_filter(cast: Cast, inventory: dict[str, Property]) -> None:
    assert titles(client_for(cast.owner).get(PROPERTIES, {"listing_agent": str(cast.member.pk)})) == ["Canal Loft"]


def test_ordering_is_a_whitelist(cast: Cast, inventory: dict[str, Property]) -> None:
    client = client_for(cast.owner)

    by_price = titles(client.get(PROPERTIES, {"ordering": "-asking_price", "type": ["house", "land", "office"]}))
    unknown = client.get(PROPERTIES, {"ordering": "description"})

    assert by_price == ["Harbour Offices", "Family House", "Riverside Plot"]
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_choice")


# --- full text --------------------------------------------------------------------------------------------------


def test_full_text_searches_title_description_and_address_best_first(
    cast: Cast, inventory: dict[str, Property]
) -> None:
    client = client_for(cast.owner)

    assert titles(client.get(PROPERTIES, {"q": "office"})) == ["Harbour Offices", "Riverside Plot"]  # title first
    assert titles(client.get(PROPERTIES, {"q": "school"})) == ["Family House"]
    assert titles(client.get(PROPERTIES, {"q": "manchester"})) == ["Family House"]
    assert titles(client.get(PROPERTIES, {"q": "canal -harbour"})) == ["Canal Loft"]
    assert titles(client.get(PROPERTIES, {"q": "offices", "ordering": "title"})) == [
        "Harbour Offices", "Riverside Plot",
    ]  # fmt: skip
    assert titles(client.get(PROPERTIES, {"q": "castle"})) == []


# --- geo --------------------------------------------------------------------------------------------------------

LONDON = (51.5074, -0.1278)
PLACES = {
    "Canary Wharf": (51.5054, -0.0235),
    "Greenwich": (51.4826, -0.0077),
    "Oxford": (51.7520, -1.2577),
    "Paris": (48.8566, 2.3522),
    "Suva West": (-17.7, 179.9),
    "Suva East": (-17.7, -179.9),
}


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Written out again here, so the SQL is checked against an independent computation."""
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    d_phi, d_lambda = phi2 - phi1, math.radians(b[1] - a[1])
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@pytest.fixture
def places(cast: Cast) -> None:
    for name, (lat, lng) in PLACES.items():
        listing(cast, title=name, latitude=lat, longitude=lng)
    listing(cast, title="Nowhere")  # no coordinates: never in a geo search


@pytest.mark.parametrize(
    ("radius", "expected"),
    [("10", ["Canary Wharf", "Greenwich"]), ("100", ["Canary Wharf", "Greenwich", "Oxford"]),
     ("1000", ["Canary Wharf", "Greenwich", "Oxford", "Paris"]), ("7.2", [])],
)  # fmt: skip
def test_near_finds_what_lies_within_the_radius_nearest_first_with_its_distance(
    cast: Cast, places: None, radius: str, expected: list[str]
) -> None:
    response = client_for(cast.owner).get(PROPERTIES, {"near": "51.5074,-0.1278", "radius_km": radius})

    rows = response.json()["results"]
    assert [row["title"] for row in rows] == expected
    for row in rows:
        assert row["distance_km"] == pytest.approx(_haversine_km(LONDON, PLACES[row["title"]]), abs=0.001)
    assert [round(row["distance_km"], 1) for row in rows] == [7.2, 8.8, 82.6, 343.6][: len(rows)]


def test_near_and_bbox_work_across_the_antimeridian(cast: Cast, places: None) -> None:
    client = client_for(cast.owner)

    near = client.get(PROPERTIES, {"near": "-17.7,179.95", "radius_km": "20"}).json()["results"]
    boxed = titles(client.get(PROPERTIES, {"bbox": "-18,179,-17,-179", "ordering": "title"}))

    assert [(row["title"], round(row["distance_km"], 2)) for row in near] == [
        ("Suva West", 5.3),
        ("Suva East", 15.89),
    ]
    assert boxed == ["Suva East", "Suva West"]


def test_bbox_finds_what_lies_inside_edges_included(cast: Cast, places: None) -> None:
    client = client_for(cast.owner)

    city = titles(client.get(PROPERTIES, {"bbox": "51.4,-0.2,51.6,0", "ordering": "title"}))
    edge = titles(client.get(PROPERTIES, {"bbox": "51.5054,-0.0235,51.6,0"}))
    with_filter = titles(client.get(PROPERTIES, {"bbox": "40,-5,60,5", "q": "oxford"}))

    assert (city, edge, with_filter) == (["Canary Wharf", "Greenwich"], ["Canary Wharf"], ["Oxford"])


def _error(field: str, code: str, detail: str) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": {field: [{"code": code, "detail": detail}]}}


RADIUS = "The radius must be more than 0 and at most 1000 km."


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"near": "91,0", "radius_km": "5"}, _error("near", "invalid", "A latitude must be between -90 and 90.")),
        ({"near": "0,181", "radius_km": "5"},
         _error("near", "invalid", "A longitude must be between -180 and 180.")),
        ({"near": "north", "radius_km": "5"}, _error("near", "invalid", "Give 2 comma-separated numbers.")),
        ({"near": "1,2,3", "radius_km": "5"}, _error("near", "invalid", "Give 2 comma-separated numbers.")),
        ({"near": "nan,0", "radius_km": "5"}, _error("near", "invalid", "Give 2 comma-separated numbers.")),
        ({"near": "51,0"}, _error("radius_km", "required", "near needs a radius_km.")),
        ({"radius_km": "5"}, _error("near", "required", "radius_km needs a centre: near=<lat>,<lng>.")),
        ({"near": "51,0", "radius_km": "0"}, _error("radius_km", "invalid", RADIUS)),
        ({"near": "51,0", "radius_km": "-3"}, _error("radius_km", "invalid", RADIUS)),
        ({"near": "51,0", "radius_km": "1000.1"}, _error("radius_km", "invalid", RADIUS)),
        ({"near": "51,0", "radius_km": "far"}, _error("radius_km", "invalid", "Enter a number.")),
        ({"bbox": "52,0,51,1"}, _error("bbox", "invalid", "The south edge must not be above the north edge.")),
        ({"bbox": "0,0,1"}, _error("bbox", "invalid", "Give 4 comma-separated numbers.")),
        ({"bbox": "0,-190,1,0"}, _error("bbox", "invalid", "A longitude must be between -180 and 180.")),
        ({"bbox": "-91,0,1,1"}, _error("bbox", "invalid", "A latitude must be between -90 and 90.")),
        ({"area_unit": "acre"}, _error("area_unit", "invalid_choice",
                                       "Select a valid choice. acre is not one of the available choices.")),
        ({"price_min": "cheap"}, _error("price_min", "invalid", "Enter a number.")),
        ({"amenities": "parking,moat"}, _error("amenities", "invalid_choice",
            'Unknown amenity "moat"; use any of: parking, garage, elevator, air_conditioning, heating, gym, pool, '
            "garden, balcony, terrace, concierge, security, storage, loading_dock, high_ceilings, fiber_internet, "
            "bike_storage, ev_charging, wheelchair_access, furnished, pet_friendly.")),
        ({"space_available_before": "soon"}, _error("space_available_before", "invalid", "Enter a valid date.")),
    ],
)  # fmt: skip
def test_bad_search_input_is_a_400_in_the_envelope(
    cast: Cast, query: dict[str, str], error: dict[str, Any]
) -> None:
    response = client_for(cast.owner).get(PROPERTIES, query)

    assert (response.status_code, response.json()) == (400, error)


# --- query budgets ----------------------------------------------------------------------------------------------


def _grow(cast: Cast, count: int, **data: Any) -> Any:
    def grow() -> None:
        for n in range(count):
            made = listing(cast, title=f"Grown {n}", latitude=51.5, longitude=-0.12, **data)
            space(cast, made, name="Suite 1", size="100")

    return grow


@pytest.mark.parametrize(
    "query",
    [{}, {"near": "51.5,-0.12", "radius_km": "5"}, {"q": "grown"}, {"space_area_min": "10", "bbox": "51,-1,52,1"}],
)
def test_the_list_costs_the_same_for_one_row_and_for_fifty(cast: Cast, query: dict[str, str]) -> None:
    space(cast, listing(cast, title="Grown first", latitude=51.5, longitude=-0.12, asking_price="1"), size="100")
    client = client_for(cast.member)

    def page() -> Any:
        response = client.get(PROPERTIES, {**query, "page_size": 50})
        assert response.status_code == 200
        return response

    assert_flat_query_count(page, _grow(cast, 49, asking_price="100"))
    assert page().json()["count"] == 50


def test_price_history_and_spaces_cost_the_same_for_one_row_and_for_many(cast: Cast) -> None:
    from common.context import org_context
    from properties import services

    home = listing(cast, asking_price="100")
    space(cast, home, name="Suite 0")
    client = client_for(cast.member)
    history, spaces = f"{PROPERTIES}{home.pk}/price-history/", f"{PROPERTIES}{home.pk}/spaces/"

    def more_prices() -> None:
        with org_context(cast.org_a):
            for n in range(20):
                services.property_update(
                    org=cast.org_a, actor=cast.owner, property_id=home.pk, data={"asking_price": 200 + n}
                )

    def more_spaces() -> None:
        for n in range(1, 21):
            space(cast, home, name=f"Suite {n}")

    assert_flat_query_count(lambda: client.get(history), more_prices)
    assert_flat_query_count(lambda: client.get(spaces), more_spaces)
    assert (len(client.get(history).json()), len(client.get(spaces).json())) == (21, 21)


# --- map pins ----------------------------------------------------------------------------------------------------


def test_pins_are_the_searched_located_listings_with_the_fewest_fields(cast: Cast) -> None:
    from properties.tests.helpers import listing

    inside = listing(cast, title="Inside", latitude=51.51, longitude=-0.12, asking_price="500000")
    listing(cast, title="Outside", latitude=48.85, longitude=2.35)
    listing(cast, title="Nowhere")
    client = client_for(cast.member)

    answer = client.get(f"{PROPERTIES}pins/", {"bbox": "51.0,-1.0,52.0,1.0"})

    assert answer.status_code == 200
    assert answer.json() == {
        "truncated": False,
        "pins": [
            {"id": str(inside.pk), "title": "Inside", "latitude": 51.51, "longitude": -0.12,
             "property_type": "office", "listing_type": "sale", "status": "draft", "asking_price": "500000.00",
             "lease_rate": None, "currency": "USD"},
        ],
    }  # fmt: skip
    assert client.get(f"{PROPERTIES}pins/", {"bbox": "52,0,51,1"}).status_code == 400


def test_pins_stop_at_the_limit_and_say_so(cast: Cast, settings: Any) -> None:
    from properties.tests.helpers import listing

    settings.PROPERTY_MAP_PINS = 2
    for number in range(3):
        listing(cast, title=f"Pin {number}", latitude=51.5, longitude=-0.1)

    answer = client_for(cast.owner).get(f"{PROPERTIES}pins/").json()

    assert (answer["truncated"], len(answer["pins"])) == (True, 2)


# --- custom fields -----------------------------------------------------------------------------------------------


def test_custom_fields_are_written_checked_and_filtered_like_any_records(cast: Cast) -> None:
    from common.context import org_context
    from customfields.models import CustomFieldDefinition

    with org_context(cast.org_a):
        CustomFieldDefinition.objects.create(
            org=cast.org_a, module="properties.property", key="zoning", label="Zoning", field_type="text"
        )
    client = client_for(cast.owner)
    made = client.post(PROPERTIES, {"title": "Zoned", "property_type": "land", "custom_fields": {"zoning": "B1"}},
                       format="json")  # fmt: skip
    listing(cast, title="Unzoned", property_type="land")
    unknown = client.post(PROPERTIES, {"title": "X", "property_type": "land", "custom_fields": {"height": 3}},
                          format="json")  # fmt: skip

    assert (made.status_code, made.json()["custom_fields"]) == (201, {"zoning": "B1"})
    assert titles(client.get(PROPERTIES, {"cf_zoning": "B1"})) == ["Zoned"]
    assert unknown.status_code == 400


@pytest.mark.parametrize("params", [{"area_min": "1e30"}, {"area_max": "-5"}, {"space_area_min": "1e13"}])
def test_an_area_out_of_any_range_is_a_400_not_a_500(cast: Cast, params: dict[str, str]) -> None:
    answer = client_for(cast.owner).get(PROPERTIES, params)

    assert (answer.status_code, answer.json()["code"]) == (400, "invalid")
    assert set(answer.json()["fields"]) == set(params)
