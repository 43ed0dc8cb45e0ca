"""A listing's gallery over the API: uploads checked by content, bytes and pixels; caption and alt text; one
request to reorder; delete with the files; roles, isolation, archived listings and query counts."""

from __future__ import annotations

import io
import struct
import uuid
import zlib

import pytest
from PIL import Image

from common.context import org_context
from properties.media.models import PropertyImage
from properties.media.tests.helpers import (
    PROPERTIES,
    exists,
    files_of,
    gallery_url,
    image_of,
    image_url,
    photo,
    photo_bytes,
    ready_image_of,
)
from properties.tests.helpers import listing
from tenants.testing.fixtures import Cast, client_for
from tenants.testing.queries import assert_flat_query_count
from timeline.models import ActivityEntry

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}
RANDOM_ID = "00000000-0000-7000-8000-00000000abcd"


def _activity(listing_) -> list[tuple[str, dict]]:
    with org_context(listing_.org):
        entries = ActivityEntry.objects.filter(target_id=listing_.pk).order_by("created_at", "id")
        return [(entry.verb, entry.changes) for entry in entries if entry.verb.startswith("image")]


def _file_error(code: str, detail: str) -> dict:
    return {"code": code, "detail": detail, "fields": {"file": [{"code": code, "detail": detail}]}}


def _gallery_rows(cast: Cast, listing_) -> list[PropertyImage]:
    with org_context(listing_.org):
        return list(PropertyImage.objects.filter(property=listing_).order_by("position"))


# --- upload ---------------------------------------------------------------------------------------------------


def test_upload_is_pending_until_the_worker_made_the_variants_and_lands_on_the_timeline(cast: Cast) -> None:
    house = listing(cast, actor=cast.member, title="Mill House")
    body = {"file": photo("Front door.JPG"), "caption": " The front ", "alt_text": "A red front door"}

    response = client_for(cast.member).post(gallery_url(house), body, format="multipart")

    assert response.status_code == 201, response.json()
    row = response.json()
    image_id = row["id"]
    original = f"/api/properties/{house.pk}/images/{image_id}/files/original/"
    assert {key: row[key] for key in ("property", "position", "is_cover", "caption", "alt_text", "file_name",
                                      "content_type", "width", "height", "variants_status", "variants_error",
                                      "public_urls")} == {
        "property": str(house.pk), "position": 0, "is_cover": True, "caption": "The front",
        "alt_text": "A red front door", "file_name": "Front door.jpg", "content_type": "image/jpeg",
        "width": 64, "height": 48, "variants_status": "pending", "variants_error": "", "public_urls": None,
    }  # fmt: skip
    assert row["urls"] == {"original": original, "thumbnail": None, "medium": None, "large": None,
                           "enhanced": None, "enhanced_thumbnail": None, "enhanced_medium": None,
                           "enhanced_large": None}  # fmt: skip
    saved = _gallery_rows(cast, house)
    assert [(image.org_id, image.created_by_id, image.size) for image in saved] == [
        (cast.org_a.pk, cast.member.pk, len(photo_bytes()))
    ]
    assert exists(saved[0].original.name)
    assert _activity(house) == [("image_added", {"image_id": image_id, "file_name": "Front door.jpg"})]


def test_the_next_upload_goes_to_the_end_and_the_first_stays_the_cover(cast: Cast) -> None:
    house = listing(cast)
    first = image_of(cast, house)
    client = client_for(cast.owner)

    second = client.post(gallery_url(house), {"file": photo("b.jpg")}, format="multipart").json()
    listed = client.get(gallery_url(house)).json()

    assert [(row["id"], row["position"], row["is_cover"]) for row in listed] == [
        (str(first.pk), 0, True),
        (second["id"], 1, False),
    ]


def test_the_type_comes_from_the_content_not_the_name(cast: Cast) -> None:
    house = listing(cast)
    png = photo("photo.jpg", photo_bytes(format="PNG"), content_type="image/jpeg")

    response = client_for(cast.owner).post(gallery_url(house), {"file": png}, format="multipart")

    assert (response.status_code, response.json()["content_type"], response.json()["file_name"]) == (
        201, "image/png", "photo.png",
    )  # fmt: skip


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing a huge image with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("upload", "code", "detail"),
    [
        (lambda: photo("photo.jpg", b"<html><script>alert(1)</script></html>"), "invalid_image",
         "This is not a JPEG, PNG or WebP image, or it is damaged."),
        (lambda: photo("photo.jpg", photo_bytes(format="GIF"), "image/gif"), "unsupported_image_type",
         "Upload a JPEG, PNG or WebP image."),
        (lambda: photo("photo.jpg", photo_bytes()[:40]), "invalid_image",
         "This is not a JPEG, PNG or WebP image, or it is damaged."),
        (lambda: photo("empty.jpg", b""), "empty_file", "The file is empty."),
        (lambda: photo("bomb.png", _bomb_png(30_000, 30_000), "image/png"), "image_too_large",
         "Images may have at most 60 megapixels."),
        (lambda: photo("huge.png", _bomb_png(100_000, 100_000), "image/png"), "image_too_large",
         "Images may have at most 60 megapixels."),
    ],
    ids=["html-named-jpg", "gif", "cut-short", "empty", "over-the-pixel-budget", "decompression-bomb"],
)  # fmt: skip
def test_a_file_that_is_not_an_acceptable_photo_is_a_400_and_nothing_is_stored(
    cast: Cast, upload, code: str, detail: str
) -> None:
    house = listing(cast)

    response = client_for(cast.owner).post(gallery_url(house), {"file": upload()}, format="multipart")

    assert (response.status_code, response.json()) == (400, _file_error(code, detail))
    assert _gallery_rows(cast, house) == []
    assert _activity(house) == []


def test_bytes_and_pixels_are_limited_by_the_settings(cast: Cast, settings) -> None:
    house = listing(cast)
    client = client_for(cast.owner)
    settings.PROPERTY_IMAGE_MAX_BYTES = 1024
    heavy = photo("heavy.png", photo_bytes((300, 300), format="PNG", colour=(1, 2, 3), compress_level=0))

    too_heavy = client.post(gallery_url(house), {"file": heavy}, format="multipart")
    settings.PROPERTY_IMAGE_MAX_BYTES, settings.PROPERTY_IMAGE_MAX_PIXELS = 10_000_000, 2_000
    too_wide = client.post(
        gallery_url(house), {"file": photo("wide.jpg", photo_bytes((100, 21)))}, format="multipart"
    )
    just_fits = client.post(
        gallery_url(house), {"file": photo("fits.jpg", photo_bytes((100, 20)))}, format="multipart"
    )

    assert (too_heavy.status_code, too_heavy.json()) == (
        400, _file_error("file_too_large", "Images may be at most 0.000976562 MB."),
    )  # fmt: skip
    assert (too_wide.status_code, too_wide.json()) == (
        400, _file_error("image_too_large", "Images may have at most 0.002 megapixels."),
    )  # fmt: skip
    assert just_fits.status_code == 201


def test_an_upload_without_a_file_is_a_field_error(cast: Cast) -> None:
    response = client_for(cast.owner).post(gallery_url(listing(cast)), {"caption": "x"}, format="multipart")

    assert (response.status_code, response.json()) == (400, _file_error("required", "No file was submitted."))


# --- caption and alt text, reorder, delete ------------------------------------------------------------------


def test_caption_and_alt_text_change_and_the_change_is_on_the_timeline(cast: Cast) -> None:
    house = listing(cast)
    image = image_of(cast, house, caption="Old")

    response = client_for(cast.manager).patch(
        image_url(house, image), {"caption": "Sunny garden", "alt_text": "Lawn with an oak"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200, response.json()
    assert (response.json()["caption"], response.json()["alt_text"], response.json()["position"]) == (
        "Sunny garden", "Lawn with an oak", 0,
    )  # fmt: skip
    assert _activity(house)[-1] == (
        "image_changed",
        {
            "image_id": str(image.pk),
            "changes": {"caption": ["Old", "Sunny garden"], "alt_text": ["", "Lawn with an oak"]},
        },
    )


def test_reorder_takes_the_whole_gallery_in_one_request_and_the_first_becomes_the_cover(cast: Cast) -> None:
    house = listing(cast)
    a, b, c = (image_of(cast, house, name=f"{n}.jpg") for n in "abc")

    response = client_for(cast.owner).put(
        f"{gallery_url(house)}order/", {"image_ids": [str(c.pk), str(a.pk), str(b.pk)]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert [(row["file_name"], row["position"], row["is_cover"]) for row in response.json()] == [
        ("c.jpg", 0, True), ("a.jpg", 1, False), ("b.jpg", 2, False),
    ]  # fmt: skip
    assert [image.file_name for image in _gallery_rows(cast, house)] == ["c.jpg", "a.jpg", "b.jpg"]
    assert _activity(house)[-1] == (
        "images_reordered",
        {"image_ids": [[str(a.pk), str(b.pk), str(c.pk)], [str(c.pk), str(a.pk), str(b.pk)]]},
    )


def test_reorder_must_name_exactly_the_listings_images_and_a_foreign_id_is_like_a_random_one(cast: Cast) -> None:
    house, other = listing(cast), listing(cast, title="Other")
    a, b = image_of(cast, house, name="a.jpg"), image_of(cast, house, name="b.jpg")
    elsewhere = image_of(cast, other)
    theirs = image_of(cast, listing(cast, org=cast.org_b))
    client = client_for(cast.owner)

    def order(*ids: object):
        body = {"image_ids": [str(getattr(pk, "pk", pk)) for pk in ids]}
        return client.put(f"{gallery_url(house)}order/", body, format="json")

    def error(code: str, detail: str) -> dict:
        return {"code": code, "detail": detail, "fields": {"image_ids": [{"code": code, "detail": detail}]}}

    def missing(pk: object) -> dict:
        return error("does_not_exist", f'Invalid pk "{pk}" - object does not exist.')

    foreign = order(b, theirs)
    assert (foreign.status_code, foreign.json()) == (400, missing(theirs.pk))
    assert order(b, RANDOM_ID).json() == missing(RANDOM_ID)
    assert order(b, elsewhere).json() == missing(elsewhere.pk)
    assert order(b).json() == error("incomplete", "Send every image of the listing (2), in the new order.")
    assert order(b, b, a).json() == error("duplicate", f'"{b.pk}" is listed twice.')
    assert [image.pk for image in _gallery_rows(cast, house)] == [a.pk, b.pk]


def test_delete_moves_the_next_image_up_and_removes_the_files_after_commit(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    house = listing(cast)
    cover = ready_image_of(cast, house, name="cover.jpg")
    second, third = image_of(cast, house, name="second.jpg"), image_of(cast, house, name="third.jpg")
    names = files_of(cover)
    assert len(names) == 4 and all(exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(cast.owner).delete(image_url(house, cover))
        assert all(exists(name) for name in names)  # nothing leaves storage before the commit
    for callback in callbacks:
        callback()

    assert response.status_code == 204
    assert [(image.pk, image.position) for image in _gallery_rows(cast, house)] == [(second.pk, 0), (third.pk, 1)]
    assert not any(exists(name) for name in names)
    assert _activity(house)[-1] == ("image_removed", {"image_id": str(cover.pk), "file_name": "cover.jpg"})


def test_purging_a_listing_takes_its_gallery_files_with_it(cast: Cast, django_capture_on_commit_callbacks) -> None:
    house = listing(cast)
    names = files_of(ready_image_of(cast, house)) + files_of(image_of(cast, house))
    client = client_for(cast.owner)
    client.delete(f"{PROPERTIES}{house.pk}/")

    with django_capture_on_commit_callbacks(execute=True):
        purged = client.post(f"{PROPERTIES}{house.pk}/purge/")

    assert purged.status_code == 204
    assert _gallery_rows(cast, house) == []
    assert not any(exists(name) for name in names)


# --- downloads --------------------------------------------------------------------------------------------------


def test_members_download_the_original_and_each_variant_never_cached_by_shared_caches(cast: Cast) -> None:
    house = listing(cast)
    image = ready_image_of(cast, house, data=photo_bytes((3000, 1000)), name="wide.jpg")
    viewer = client_for(cast.viewer)

    original = viewer.get(image_url(house, image, "files/original/"))
    large = viewer.get(image_url(house, image, "files/large/"))
    thumbnail = viewer.get(image_url(house, image, "files/thumbnail/"))
    enhanced = viewer.get(image_url(house, image, "files/enhanced/"))
    unknown = viewer.get(image_url(house, image, "files/poster/"))
    anonymous = client_for(None).get(image_url(house, image, "files/large/"), HTTP_ORG="alpha")

    assert (original.status_code, original["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(original.streaming_content) == photo_bytes((3000, 1000))
    assert (large["Content-Type"], large["Cache-Control"], large["X-Content-Type-Options"]) == (
        "image/webp", "private, max-age=300", "nosniff",
    )  # fmt: skip
    assert Image.open(io.BytesIO(b"".join(large.streaming_content))).size == (2048, 683)
    assert Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).size == (320, 107)
    assert 'filename="wide-large.webp"' in large["Content-Disposition"]
    assert (enhanced.status_code, enhanced.json()) == (404, NOT_FOUND)
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    assert anonymous.status_code == 401


def test_a_variant_not_made_yet_is_a_404_that_says_so(cast: Cast) -> None:
    house = listing(cast)
    image = image_of(cast, house)

    response = client_for(cast.owner).get(image_url(house, image, "files/medium/"))

    detail = "The variants of this image are still being made."
    assert (response.status_code, response.json()) == (
        404, {"code": "variant_pending", "detail": detail, "fields": {}},
    )  # fmt: skip


# --- roles ----------------------------------------------------------------------------------------------------


def test_viewers_read_galleries_and_change_nothing(cast: Cast) -> None:
    house = listing(cast)
    image = image_of(cast, house, caption="Kept")
    viewer = client_for(cast.viewer)

    read = viewer.get(gallery_url(house))
    refused = [
        viewer.post(gallery_url(house), {"file": photo()}, format="multipart"),
        viewer.patch(image_url(house, image), {"caption": "Mine"}, format="json"),
        viewer.put(f"{gallery_url(house)}order/", {"image_ids": [str(image.pk)]}, format="json"),
        viewer.delete(image_url(house, image)),
    ]

    assert (read.status_code, [row["caption"] for row in read.json()]) == (200, ["Kept"])
    assert [response.status_code for response in refused] == [403, 403, 403, 403]
    assert [(row.pk, row.caption) for row in _gallery_rows(cast, house)] == [(image.pk, "Kept")]


def test_members_read_every_gallery_but_change_only_their_listings(cast: Cast) -> None:
    theirs = listing(cast, title="Theirs")
    their_image = image_of(cast, theirs, caption="Theirs")
    mine = listing(cast, actor=cast.member, title="Mine")
    member = client_for(cast.member)

    read = member.get(gallery_url(theirs))
    refused = [
        member.post(gallery_url(theirs), {"file": photo()}, format="multipart"),
        member.patch(image_url(theirs, their_image), {"caption": "Mine now"}, format="json"),
        member.delete(image_url(theirs, their_image)),
    ]
    own = member.post(gallery_url(mine), {"file": photo()}, format="multipart")

    assert [row["id"] for row in read.json()] == [str(their_image.pk)]
    assert [(response.status_code, response.json()["code"]) for response in refused] == [
        (403, "permission_denied")
    ] * 3
    assert [(row.pk, row.caption) for row in _gallery_rows(cast, theirs)] == [(their_image.pk, "Theirs")]
    assert own.status_code == 201


def test_an_archived_listings_gallery_is_read_only(cast: Cast) -> None:
    house = listing(cast)
    image = image_of(cast, house)
    client = client_for(cast.owner)
    client.delete(f"{PROPERTIES}{house.pk}/")

    read = client.get(gallery_url(house))
    upload = client.post(gallery_url(house), {"file": photo()}, format="multipart")
    removal = client.delete(image_url(house, image))

    assert (read.status_code, len(read.json())) == (200, 1)
    assert (upload.status_code, upload.json()["code"], removal.json()["code"]) == (409, "archived", "archived")
    assert len(_gallery_rows(cast, house)) == 1


# --- isolation --------------------------------------------------------------------------------------------------


def test_another_orgs_listing_or_image_in_the_url_is_the_same_404_as_a_random_id(cast: Cast) -> None:
    theirs = listing(cast, org=cast.org_b)
    their_image = image_of(cast, theirs, caption="Theirs")
    mine = listing(cast)
    client = client_for(cast.owner)

    calls = []
    for house, image in ((theirs, their_image), (mine, their_image), (RANDOM_ID, RANDOM_ID), (mine, RANDOM_ID)):
        calls += [
            client.get(image_url(house, image)),
            client.patch(image_url(house, image), {"caption": "Mine"}, format="json"),
            client.delete(image_url(house, image)),
            client.get(image_url(house, image, "files/original/")),
            client.get(image_url(house, image, "enhancements/")),
            client.post(image_url(house, image, "enhancements/")),
        ]
    for house in (theirs, RANDOM_ID):
        calls += [
            client.get(gallery_url(house)),
            client.post(gallery_url(house), {"file": photo()}, format="multipart"),
            client.put(f"{gallery_url(house)}order/", {"image_ids": [str(their_image.pk)]}, format="json"),
        ]

    assert [(response.status_code, response.json()) for response in calls] == [(404, NOT_FOUND)] * len(calls)
    assert [(row.pk, row.caption) for row in _gallery_rows(cast, theirs)] == [(their_image.pk, "Theirs")]


def test_image_visible_finds_an_image_of_a_listing_the_actor_sees_and_nothing_else(cast: Cast) -> None:
    from common.errors import NotFound
    from properties.media.selectors import image_visible

    mine = image_of(cast, listing(cast))
    theirs = image_of(cast, listing(cast, org=cast.org_b))

    with org_context(cast.org_a):
        found = image_visible(org=cast.org_a, actor=cast.member, image_id=str(mine.pk))
        for missing in (theirs.pk, uuid.uuid4(), "not-a-uuid"):
            with pytest.raises(NotFound):
                image_visible(org=cast.org_a, actor=cast.member, image_id=missing)

    assert (found.pk, found.property_id) == (mine.pk, mine.property_id)


# --- query counts --------------------------------------------------------------------------------------------


def _more_images(cast: Cast, house, count: int):
    def grow() -> None:
        with org_context(cast.org_a):
            start = PropertyImage.objects.filter(property=house).count()
            PropertyImage.objects.bulk_create(
                PropertyImage(org=cast.org_a, property=house, position=start + n, original=f"x/{n}.jpg",
                              file_name=f"{n}.jpg", content_type="image/jpeg", width=10, height=10, size=1,
                              sha256="0" * 64, variants_status="ready",
                              variants={"large": {"file": f"x/{n}.webp", "width": 10, "height": 10, "size": 1}})
                for n in range(count)
            )  # fmt: skip

    return grow


def test_the_gallery_costs_the_same_queries_for_1_or_50_images(cast: Cast) -> None:
    house = listing(cast, is_published=True)
    image_of(cast, house)
    client = client_for(cast.viewer)

    assert_flat_query_count(lambda: client.get(gallery_url(house)), _more_images(cast, house, 49))
    assert len(client.get(gallery_url(house)).json()) == 50


def test_listing_rows_and_the_detail_carry_the_cover_with_a_flat_query_count(cast: Cast) -> None:
    house, bare = listing(cast, title="House"), listing(cast, title="Bare")
    cover = ready_image_of(cast, house, alt_text="The house")
    image_of(cast, house)
    client = client_for(cast.member)

    rows = {row["title"]: row["cover_image"] for row in client.get(PROPERTIES).json()["results"]}
    detail = client.get(f"{PROPERTIES}{house.pk}/").json()["cover_image"]

    base = f"/api/properties/{house.pk}/images/{cover.pk}/files"
    assert rows["Bare"] is None and client.get(f"{PROPERTIES}{bare.pk}/").json()["cover_image"] is None
    assert rows["House"] == detail == {
        "id": str(cover.pk), "variants_status": "ready", "alt_text": "The house", "width": 64, "height": 48,
        "urls": {"original": f"{base}/original/", "thumbnail": f"{base}/thumbnail/", "medium": f"{base}/medium/",
                 "large": f"{base}/large/", "enhanced": None, "enhanced_thumbnail": None, "enhanced_medium": None,
                 "enhanced_large": None},
    }  # fmt: skip

    def more_listings() -> None:
        for n in range(48):
            image_of(cast, listing(cast, title=f"More {n}"))

    assert_flat_query_count(lambda: client.get(PROPERTIES, {"page_size": 50}), more_listings)
