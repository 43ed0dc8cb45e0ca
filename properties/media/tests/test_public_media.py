"""Published listings' photos at unguessable public addresses: no user, no org header, only while the listing is
published and not archived, only variants; everything else is the same 404 as a random token."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from common.context import org_context
from properties.media.selectors import public_galleries_of, public_images_of
from properties.media.tests.helpers import gallery_url, image_of, photo_bytes, ready_image_of
from properties.models import Property
from properties.tests.helpers import listing
from tenants.models import Org
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import count_queries

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}
BASE = "https://listings.example.test"


@pytest.fixture(autouse=True)
def _public_base(settings) -> None:
    settings.PUBLIC_BASE_URL = BASE + "/"


def _public(slug: str, token: str, variant: str = "large") -> str:
    return f"/api/public/orgs/{slug}/media/{token}/{variant}/"


def _set(listing_: Property, **fields) -> None:
    with org_context(listing_.org):
        Property.objects.filter(pk=listing_.pk).update(**fields)


def test_a_published_photo_is_served_to_anyone_without_credentials_or_org(cast: Cast) -> None:
    house = listing(cast, is_published=True)
    image = ready_image_of(cast, house, data=photo_bytes((1600, 1200)))

    response = client_for(None).get(_public("alpha", image.public_token, "medium"))

    assert response.status_code == 200
    assert (response["Content-Type"], response["Cache-Control"], response["X-Content-Type-Options"]) == (
        "image/webp", "public, max-age=300", "nosniff",
    )  # fmt: skip
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (1024, 768)


def test_the_private_api_shows_the_public_addresses_only_while_the_listing_is_public(cast: Cast) -> None:
    house = listing(cast, is_published=True)
    image = ready_image_of(cast, house)
    client = client_for(cast.viewer)

    published = client.get(gallery_url(house)).json()[0]["public_urls"]
    _set(house, is_published=False)
    unpublished = client.get(gallery_url(house)).json()[0]["public_urls"]

    token = image.public_token
    assert published == {
        "thumbnail": f"{BASE}/api/public/orgs/alpha/media/{token}/thumbnail/",
        "medium": f"{BASE}/api/public/orgs/alpha/media/{token}/medium/",
        "large": f"{BASE}/api/public/orgs/alpha/media/{token}/large/",
        "enhanced": None, "enhanced_thumbnail": None, "enhanced_medium": None, "enhanced_large": None,
    }  # fmt: skip
    assert unpublished is None
    assert len(token) >= 32


def test_anything_but_a_public_photo_is_the_same_404_as_a_random_token(cast: Cast) -> None:
    house = listing(cast, is_published=True)
    image = ready_image_of(cast, house)
    pending = image_of(cast, house)
    theirs = ready_image_of(cast, listing(cast, org=cast.org_b, is_published=True))
    anyone = client_for(None)

    def answers() -> list:
        return [
            anyone.get(_public("alpha", "x" * 32)),  # a random token
            anyone.get(_public("alpha", image.public_token, "original")),  # keeps the camera's metadata
            anyone.get(_public("alpha", image.public_token, "enhanced")),  # not made
            anyone.get(_public("alpha", image.public_token, "poster")),  # no such variant
            anyone.get(_public("alpha", pending.public_token)),  # not made yet
            anyone.get(_public("alpha", theirs.public_token)),  # org B's token under org A's slug
            anyone.get(_public("nobody", image.public_token)),  # no such org
        ]

    assert [(r.status_code, r.json()) for r in answers()] == [(404, NOT_FOUND)] * 7
    assert anyone.get(_public("bravo", theirs.public_token)).status_code == 200

    _set(house, is_published=False)
    unpublished = anyone.get(_public("alpha", image.public_token))
    _set(house, is_published=True)
    client_for(cast.owner).delete(f"/api/properties/{house.pk}/")
    archived = anyone.get(_public("alpha", image.public_token))
    Org.objects.filter(pk=cast.org_b.pk).update(status="suspended")
    suspended = anyone.get(_public("bravo", theirs.public_token))

    assert [(r.status_code, r.json()) for r in (unpublished, archived, suspended)] == [(404, NOT_FOUND)] * 3


def test_public_images_of_gives_the_published_gallery_as_public_addresses(cast: Cast) -> None:
    house = listing(cast, is_published=True)
    cover = ready_image_of(cast, house, data=photo_bytes((800, 600)), caption="Front", alt_text="Red brick front")
    image_of(cast, house)  # still pending: not shown to the public yet
    hidden = listing(cast, title="Draft")
    ready_image_of(cast, hidden)

    with org_context(cast.org_a):
        gallery = public_images_of(org=cast.org_a, listing=house)
        draft = public_images_of(org=cast.org_a, listing=hidden)

    token = cover.public_token
    assert draft == []
    assert [(image.id, image.position, image.is_cover, image.caption, image.alt_text) for image in gallery] == [
        (cover.pk, 0, True, "Front", "Red brick front")
    ]
    assert {name: (v.url, v.width, v.height) for name, v in gallery[0].variants.items()} == {
        "large": (f"{BASE}/api/public/orgs/alpha/media/{token}/large/", 800, 600),
        "medium": (f"{BASE}/api/public/orgs/alpha/media/{token}/medium/", 800, 600),
        "thumbnail": (f"{BASE}/api/public/orgs/alpha/media/{token}/thumbnail/", 320, 240),
    }


def test_public_galleries_of_many_listings_cost_one_query(cast: Cast) -> None:
    houses = [listing(cast, title=f"House {n}", is_published=True) for n in range(3)]
    for house in houses:
        ready_image_of(cast, house)

    with org_context(cast.org_a):
        queries, galleries = count_queries(
            lambda: public_galleries_of(org=cast.org_a, listings=houses), include_search_path=False
        )

    assert queries == 1
    assert [len(galleries[house.pk]) for house in houses] == [1, 1, 1]
