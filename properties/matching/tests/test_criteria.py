"""Criteria are the list's filters, checked by the list's own rules, and stored as typed columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.backends.postgresql.psycopg_any import NumericRange

from common.context import org_context
from properties.matching.models import SavedSearch
from properties.matching.tests.helpers import SEARCHES
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
RANDOM_ID = "00000000-0000-7000-8000-00000000abcd"


def _post(cast: Cast, criteria: Any) -> Any:
    return client_for(cast.member).post(SEARCHES, {"name": "Try", "criteria": criteria}, format="json")


def _error(field: str, code: str, detail: str) -> dict[str, Any]:
    return {"code": code, "detail": detail, "fields": {field: [{"code": code, "detail": detail}]}}


def test_criteria_come_back_cleaned_and_the_columns_hold_them_normalised(cast: Cast) -> None:
    response = _post(cast, {
        "type": ["house", "apartment"], "listing_type": "sale", "price_max": "450000", "bedrooms_min": "2.5",
        "area_min": "1000", "area_unit": "sq_ft", "amenities": "Parking, garden", "city": ["Leeds", " York "],
        "postal_code": "ls6", "tags": ["Prime"], "near": "53.8,-1.55", "radius_km": 10, "currency": "gbp",
    })  # fmt: skip

    assert response.status_code == 201, response.json()
    assert response.json()["criteria"] == {
        "amenities": ["garden", "parking"], "area_min": "1000", "area_unit": "sq_ft", "bedrooms_min": "2.5",
        "city": ["Leeds", "York"], "currency": "GBP", "listing_type": "sale", "near": "53.8,-1.55",
        "postal_code": ["ls6"], "price_max": "450000", "radius_km": "10", "status": ["active"],
        "tags": ["prime"], "type": ["apartment", "house"],
    }  # fmt: skip
    with org_context(cast.org_a):
        search = SavedSearch.objects.get(pk=response.json()["id"])
    assert (search.property_types, search.listing_types, search.statuses) == (
        ["apartment", "house"],
        ["both", "sale"],
        ["active"],
    )
    assert (search.cities, search.postal_code_prefixes, search.regions, search.tags) == (
        ["LEEDS", "YORK"],
        ["LS6"],
        ["*"],
        ["prime"],
    )
    assert search.amenities == ["garden", "parking"]
    # PostgreSQL writes a missing end as open: "(" or ")".
    assert search.price_range == NumericRange(None, Decimal("450000"), "(]")
    assert search.area_sqm_range == NumericRange(Decimal("92.90"), None, "[)")  # the list's own conversion
    assert search.bedrooms_range == NumericRange(3, None, "[)")
    assert (search.near_latitude, search.near_longitude, search.radius_km) == (53.8, -1.55, 10.0)
    assert search.area_box is not None and search.area_box_wrap is None


def test_no_criteria_is_every_active_listing(cast: Cast) -> None:
    response = _post(cast, {})

    assert (response.status_code, response.json()["criteria"]) == (201, {"status": ["active"]})


@pytest.mark.parametrize(
    ("criteria", "error"),
    [
        ({"q": "garden"}, ("criteria.q", "unsupported", "Not a saved-search criterion; use any of: ")),
        ({"type": "castle"}, ("criteria.type", "invalid_choice", "Select a valid choice. castle is not one")),
        ({"status": ["active", "nope"]}, ("criteria.status", "invalid_choice", "Select a valid choice. nope")),
        ({"price_min": "cheap"}, ("criteria.price_min", "invalid", "Enter a number.")),
        (
            {"price_min": "500", "price_max": "400"},
            ("criteria.price_max", "invalid", "price_max must not be below"),
        ),
        ({"amenities": "parking,moat"}, ("criteria.amenities", "invalid_choice", 'Unknown amenity "moat"')),
        ({"near": "53.8,-1.5"}, ("criteria.radius_km", "required", "near needs a radius_km.")),
        ({"radius_km": 5}, ("criteria.near", "required", "radius_km needs a centre")),
        ({"near": "95,0", "radius_km": 5}, ("criteria.near", "invalid", "A latitude must be between -90 and 90.")),
        ({"near": "53,0", "radius_km": 5000}, ("criteria.radius_km", "invalid", "The radius must be more than 0")),
        ({"bbox": "1,2,3"}, ("criteria.bbox", "invalid", "Give 4 comma-separated numbers.")),
        ({"bbox": "10,0,5,1"}, ("criteria.bbox", "invalid", "The south edge must not be above the north edge.")),
        ({"bbox": "1,1,2,2", "near": "1,1", "radius_km": 5}, ("criteria.bbox", "invalid", "Give either near")),
        ({"listing_type": ["sale", "lease"]}, ("criteria.listing_type", "invalid", "Give one value.")),
        ({"city": "*"}, ("criteria.city", "invalid", '"*" is not a value')),
        ({"tags": "prime, *"}, ("criteria.tags", "invalid", '"*" is not a value')),
        ({"bedrooms_min": 10**9}, ("criteria.bedrooms_min", "invalid", "Give a number no larger than 32,767.")),
        ({"area_min": "1e30"}, ("criteria.area_min", "invalid", "Give a number no larger than")),
        ({"tags": ["x" * 51]}, ("criteria.tags", "invalid", "Each value must have at most 50 characters.")),
        ({"city": {"name": "Leeds"}}, ("criteria.city", "invalid", "Give a string or a number")),
        ({"currency": "euro"}, ("criteria.currency", "invalid", "Use a three-letter ISO 4217 code")),
        ({"listing_agent": RANDOM_ID}, ("criteria.listing_agent", "does_not_exist", f'Invalid pk "{RANDOM_ID}"')),
    ],
)
def test_bad_criteria_are_the_lists_own_field_errors_under_criteria(
    cast: Cast, criteria: dict, error: tuple[str, str, str]
) -> None:
    field, code, detail_start = error

    response = _post(cast, criteria)

    assert response.status_code == 400, response.json()
    body = response.json()
    assert (body["code"], list(body["fields"])) == (code, [field])
    assert body["fields"][field][0]["detail"].startswith(detail_start), body
    with org_context(cast.org_a):
        assert not SavedSearch.objects.exists()


def test_another_orgs_member_as_listing_agent_is_does_not_exist_like_a_random_id(cast: Cast) -> None:
    foreign, random = (
        _post(cast, {"listing_agent": str(cast.other_owner.pk)}),
        _post(cast, {"listing_agent": RANDOM_ID}),
    )

    assert foreign.status_code == random.status_code == 400
    assert foreign.json() == _error(
        "criteria.listing_agent", "does_not_exist", f'Invalid pk "{cast.other_owner.pk}" - object does not exist.'
    )
    assert random.json()["fields"]["criteria.listing_agent"][0]["code"] == "does_not_exist"


def test_criteria_must_be_an_object(cast: Cast) -> None:
    response = _post(cast, ["type=house"])

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["criteria"]
