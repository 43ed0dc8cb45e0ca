"""The public listing API: published listings only, no internal fields, the same search, a guided search,
CORS for the org's own websites, and nothing of another org reachable through it."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common.context import org_context
from properties.models import Property
from properties.tests.helpers import listing, space
from tenants.models import Org, OrgStatus
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count

pytestmark = pytest.mark.django_db

ALPHA = "/api/public/orgs/alpha/properties/"
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}
INTERNAL = {"listing_agent", "owner_contact", "landlord_company", "tags", "custom_fields", "assigned_to",
            "created_by", "is_published", "id", "noi_is_public"}  # fmt: skip


def _public(cast: Cast, org: Org | None = None, **data: Any) -> Property:
    data.setdefault("is_published", True)
    return listing(cast, org=org, **data)


def _slugs(response: Any) -> list[str]:
    return [row["slug"] for row in response.json()["results"]]


def test_the_list_shows_published_live_listings_without_internal_fields(cast: Cast) -> None:
    shown = _public(cast, title="Shown", tags=["vip"], noi="120000.00", asking_price="900000")
    archived = _public(cast, title="Archived")
    with org_context(cast.org_a):
        Property.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    listing(cast, title="Draft, unpublished")
    _public(cast, org=cast.org_b, title="Bravo's")

    response = APIClient().get(ALPHA)

    assert response.status_code == 200
    assert _slugs(response) == [shown.public_slug]
    row = response.json()["results"][0]
    assert not INTERNAL & row.keys()
    assert (row["title"], row["asking_price"], row["noi"]) == ("Shown", "900000.00", None)


def test_noi_is_public_only_when_the_listing_says_so(cast: Cast) -> None:
    open_book = _public(cast, noi="80000.00", noi_is_public=True)

    detail = APIClient().get(f"{ALPHA}{open_book.public_slug}/")

    assert (detail.status_code, detail.json()["noi"]) == (200, "80000.00")


def test_the_public_search_filters_orders_and_refuses_bad_input(cast: Cast) -> None:
    cheap = _public(cast, title="Cheap flat", property_type="apartment", asking_price="200000", city="Leeds",
                    latitude=53.80, longitude=-1.55)  # fmt: skip
    dear = _public(cast, title="Dear house", property_type="house", asking_price="900000", city="York",
                   latitude=53.96, longitude=-1.08, amenities=["garden"])  # fmt: skip
    client = APIClient()

    assert _slugs(client.get(ALPHA, {"type": "house"})) == [dear.public_slug]
    assert _slugs(client.get(ALPHA, {"price_max": "500000"})) == [cheap.public_slug]
    assert _slugs(client.get(ALPHA, {"amenities": "garden"})) == [dear.public_slug]
    assert _slugs(client.get(ALPHA, {"ordering": "-price"})) == [dear.public_slug, cheap.public_slug]
    assert _slugs(client.get(ALPHA, {"q": "flat"})) == [cheap.public_slug]
    near = client.get(ALPHA, {"near": "53.80,-1.55", "radius_km": "100"}).json()["results"]
    assert [(row["slug"], row["distance_km"] < 1) for row in near] == [
        (cheap.public_slug, True),
        (dear.public_slug, False),
    ]
    for bad in ({"ordering": "agent"}, {"amenities": "moat"}, {"radius_km": "0", "near": "1,1"},
                {"bbox": "10,0,5,1"}, {"near": "95,0", "radius_km": "5"}):  # fmt: skip
        answer = client.get(ALPHA, bad)
        assert answer.status_code == 400, bad
        assert answer.json()["fields"], bad


def test_internal_filters_do_not_exist_on_the_public_list(cast: Cast) -> None:
    _public(cast, tags=["secret"])

    answer = APIClient().get(ALPHA, {"tags": "nothing-like-this", "listing_agent": str(cast.owner.pk)})

    assert answer.json()["count"] == 1  # ignored, like any unknown parameter


def test_the_detail_is_by_public_slug_and_unpublished_or_foreign_ones_are_one_404(cast: Cast) -> None:
    shown = _public(cast, title="Loft")
    suite = space(cast, shown, name="Suite 1", size="100")
    hidden = listing(cast, title="Unpublished")
    theirs = _public(cast, org=cast.org_b, title="Bravo's")
    client = APIClient()

    detail = client.get(f"{ALPHA}{shown.public_slug}/")

    assert detail.status_code == 200
    assert (detail.json()["title"], [s["name"] for s in detail.json()["spaces"]]) == ("Loft", [suite.name])
    for slug in (hidden.public_slug, theirs.public_slug, "no-such-listing"):
        answer = client.get(f"{ALPHA}{slug}/")
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), slug
    assert client.get(f"/api/public/orgs/bravo/properties/{theirs.public_slug}/").status_code == 200


def test_an_unknown_or_suspended_org_is_a_404(cast: Cast) -> None:
    _public(cast)
    Org.objects.filter(pk=cast.org_a.pk).update(status=OrgStatus.SUSPENDED)

    for url in (ALPHA, "/api/public/orgs/nobody/properties/"):
        answer = APIClient().get(url)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), url


def test_a_signed_in_member_sees_the_same_public_answer(cast: Cast) -> None:
    _public(cast)
    listing(cast, title="Unpublished")

    assert client_for(cast.owner.user).get(ALPHA).json()["count"] == 1


def test_guided_search_ranks_within_budget_first_then_a_little_over(cast: Cast) -> None:
    exact = _public(cast, title="Exact", property_type="house", asking_price="500000", city="Leeds")
    under = _public(cast, title="Under", property_type="house", asking_price="420000", city="Leeds")
    stretch = _public(cast, title="Stretch", property_type="house", asking_price="540000", city="Leeds")
    _public(cast, title="Too dear", property_type="house", asking_price="600000", city="Leeds")
    _public(cast, title="Elsewhere", property_type="house", asking_price="500000", city="York")
    _public(cast, title="To let", listing_type="lease", property_type="house", lease_rate="2000", city="Leeds")

    answer = APIClient().get(f"{ALPHA}guided-search/", {"intent": "buy", "budget": "500000", "area": "leeds"})

    assert answer.status_code == 200
    assert [row["slug"] for row in answer.json()] == [exact.public_slug, under.public_slug, stretch.public_slug]


def test_guided_rent_compares_a_monthly_rent_whatever_the_rate_is_quoted_in(cast: Cast) -> None:
    monthly = _public(cast, title="Monthly", listing_type="lease", property_type="office", lease_rate="2400")
    yearly = _public(cast, title="Yearly", listing_type="lease", property_type="office", lease_rate="26400",
                     lease_rate_period="year")  # fmt: skip
    per_area = _public(cast, title="Per m2", listing_type="lease", property_type="office", lease_rate="30",
                       lease_rate_basis="per_area", floor_area="100")  # fmt: skip
    _public(cast, title="Too big", listing_type="lease", property_type="office", lease_rate="30",
            lease_rate_basis="per_area", floor_area="1000")  # fmt: skip

    answer = APIClient().get(f"{ALPHA}guided-search/", {"intent": "rent", "budget": "2500", "type": "office"})

    # 2,400; 26,400 / 12 = 2,200; 30 x 100 = 3,000 is over 110% of 2,500: left out.
    assert [row["slug"] for row in answer.json()] == [monthly.public_slug, yearly.public_slug]
    assert per_area.public_slug not in [row["slug"] for row in answer.json()]


@pytest.mark.parametrize(
    "query",
    [{}, {"intent": "steal", "budget": "1"}, {"intent": "buy", "budget": "-5"}, {"intent": "buy"},
     {"intent": "buy", "budget": "100", "type": "castle"}],
)  # fmt: skip
def test_guided_search_answers_are_checked(cast: Cast, query: dict[str, str]) -> None:
    answer = APIClient().get(f"{ALPHA}guided-search/", query)

    assert answer.status_code == 400
    assert answer.json()["fields"]


def test_cors_headers_go_only_to_the_orgs_own_websites(cast: Cast) -> None:
    _public(cast)
    Org.objects.filter(pk=cast.org_a.pk).update(public_origins=["https://www.alpha.example"])
    client = APIClient()

    allowed = client.get(ALPHA, HTTP_ORIGIN="https://www.alpha.example")
    other = client.get(ALPHA, HTTP_ORIGIN="https://evil.example")
    preflight = client.options(ALPHA, HTTP_ORIGIN="https://www.alpha.example",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")  # fmt: skip

    assert allowed["Access-Control-Allow-Origin"] == "https://www.alpha.example"
    assert "Origin" in allowed["Vary"]
    assert "Access-Control-Allow-Origin" not in other
    assert other.status_code == 200  # the browser, not the server, keeps the answer from the page
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"


def test_another_orgs_website_gets_no_cors_for_this_org(cast: Cast) -> None:
    _public(cast)
    Org.objects.filter(pk=cast.org_b.pk).update(public_origins=["https://www.bravo.example"])

    answer = APIClient().get(ALPHA, HTTP_ORIGIN="https://www.bravo.example")

    assert "Access-Control-Allow-Origin" not in answer


def test_the_public_list_costs_the_same_queries_for_one_listing_and_many(cast: Cast) -> None:
    first = _public(cast, asking_price="800000")
    space(cast, first)
    client = APIClient()

    def grow() -> None:
        for number in range(20):
            made = _public(cast, title=f"Listing {number}")
            space(cast, made, name=f"Suite {number}")

    def grow_priced() -> None:
        for number in range(20):
            space(cast, _public(cast, title=f"Priced {number}", asking_price="900000"), name=f"Suite {number}")

    assert_flat_query_count(lambda: client.get(ALPHA), grow)
    guided = {"intent": "buy", "budget": "1000000"}
    assert_flat_query_count(lambda: client.get(f"{ALPHA}guided-search/", guided), grow_priced)


def test_listings_show_their_public_gallery_the_list_its_cover(cast: Cast, settings) -> None:
    from properties.media.tests.helpers import ready_image_of

    settings.PUBLIC_BASE_URL = "https://listings.example.test/"
    loft = _public(cast, title="Loft")
    first = ready_image_of(cast, loft)
    ready_image_of(cast, loft)
    bare = _public(cast, title="Bare")
    client = APIClient()

    rows = {row["slug"]: row for row in client.get(ALPHA).json()["results"]}
    detail = client.get(f"{ALPHA}{loft.public_slug}/").json()

    assert rows[bare.public_slug]["cover"] is None
    cover = rows[loft.public_slug]["cover"]
    assert (cover["position"], cover["is_cover"]) == (0, True)
    assert cover["variants"]["large"]["url"].startswith(
        "https://listings.example.test/api/public/orgs/alpha/media/"
    )
    assert first.public_token in cover["variants"]["large"]["url"]
    assert "original" not in cover["variants"]
    assert [image["position"] for image in detail["images"]] == [0, 1]


def test_the_public_list_with_galleries_costs_the_same_queries_for_one_listing_and_many(cast: Cast) -> None:
    from properties.media.tests.helpers import ready_image_of

    ready_image_of(cast, _public(cast, title="First"))
    client = APIClient()

    def grow() -> None:
        for number in range(10):
            ready_image_of(cast, _public(cast, title=f"Listing {number}"))

    assert_flat_query_count(lambda: client.get(ALPHA), grow)
