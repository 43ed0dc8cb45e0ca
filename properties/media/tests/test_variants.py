"""The worker's code path for variants, run in this process: upright WebP without the camera's metadata, sizes
never scaled up, transparency kept, a damaged photo ending `failed`, and safe to run twice or too late."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from common.context import org_context
from properties.media import processing
from properties.media.models import PropertyImage
from properties.media.tests.helpers import exists, image_of, photo_bytes, stored, variants_made
from properties.tests.helpers import listing
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db


def _camera_photo() -> bytes:
    """A landscape JPEG a phone held upright took: EXIF says rotate, and carries the camera and a position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "KeystoneCam"
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (51.0, 30.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 60, 40)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _variant(image: PropertyImage, name: str) -> tuple[Image.Image, bytes]:
    with image.original.storage.open(image.variants[name]["file"], "rb") as handle:
        data = handle.read()
    return Image.open(io.BytesIO(data)), data


def test_variants_are_upright_webp_without_the_cameras_metadata(cast: Cast) -> None:
    image = image_of(cast, listing(cast), data=_camera_photo(), name="portrait.jpg")
    assert (image.width, image.height, image.variants_status) == (2000, 3000, "pending")

    made = variants_made(image)

    assert made.variants_status == "ready"
    assert {name: (v["width"], v["height"]) for name, v in made.variants.items()} == {
        "large": (1365, 2048), "medium": (683, 1024), "thumbnail": (213, 320),
    }  # fmt: skip
    large, data = _variant(made, "large")
    assert (large.format, large.size, dict(large.getexif())) == ("WEBP", (1365, 2048), {})
    assert b"KeystoneCam" not in data


def test_small_photos_are_not_scaled_up_and_transparency_is_kept(cast: Cast) -> None:
    logo = photo_bytes((200, 100), format="PNG", colour=(10, 20, 30, 0))

    made = variants_made(image_of(cast, listing(cast), data=logo, name="sign.png"))

    assert {name: (v["width"], v["height"]) for name, v in made.variants.items()} == {
        "large": (200, 100), "medium": (200, 100), "thumbnail": (200, 100),
    }  # fmt: skip
    thumbnail, _ = _variant(made, "thumbnail")
    assert (thumbnail.mode, thumbnail.getpixel((0, 0))[3]) == ("RGBA", 0)  # lossy colour, exact alpha


def test_a_photo_that_cannot_be_decoded_ends_failed_with_the_reason_and_the_api_says_so(cast: Cast) -> None:
    house = listing(cast)
    cut = photo_bytes((400, 300))[:-200]  # passes the upload's checks, fails when decoded to the end

    made = variants_made(image_of(cast, house, data=cut))
    body = client_for(cast.viewer).get(f"/api/properties/{house.pk}/images/{made.pk}/").json()

    assert (made.variants_status, made.variants) == ("failed", {})
    assert made.variants_error.startswith("The image could not be decoded (image file is truncated")
    assert made.variants_error.endswith("). Upload it again.")
    assert (body["variants_status"], body["variants_error"], body["urls"]["large"]) == (
        "failed", made.variants_error, None,
    )  # fmt: skip


def test_a_missing_original_fails_instead_of_staying_pending(cast: Cast) -> None:
    image = image_of(cast, listing(cast))
    image.original.storage.delete(image.original.name)

    made = variants_made(image)

    assert (made.variants_status, made.variants_error) == (
        "failed", "The uploaded file is missing from storage. Upload it again.",
    )  # fmt: skip


def test_running_twice_changes_nothing_and_a_deleted_image_is_left_alone(cast: Cast) -> None:
    house = listing(cast)
    made = variants_made(image_of(cast, house))
    gone = image_of(cast, house, name="gone.jpg")
    with org_context(cast.org_a):
        PropertyImage.objects.filter(pk=gone.pk).delete()

        again = processing.image_variants_make(org=cast.org_a, image_id=made.pk)
        late = processing.image_variants_make(org=cast.org_a, image_id=gone.pk)

    assert (again, late) == ("ready", "gone")
    assert stored(made).variants == made.variants
    assert all(exists(entry["file"]) for entry in made.variants.values())
