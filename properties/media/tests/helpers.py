"""Photos made with Pillow, and listings with galleries, for the listing media tests."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from common.context import org_context
from common.models import Profile
from properties.media import processing, services
from properties.media.models import PropertyImage
from properties.models import Property
from tenants.testing.fixtures import Cast

PROPERTIES = "/api/properties/"


def photo_bytes(size: tuple[int, int] = (64, 48), *, format: str = "JPEG", colour: Any = (40, 120, 200),
                **options: Any) -> bytes:  # fmt: skip
    mode = "RGBA" if format == "PNG" and len(colour) == 4 else "RGB"
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=format, **options)
    return buffer.getvalue()


def photo(
    name: str = "front.jpg", data: bytes | None = None, content_type: str = "image/jpeg"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo_bytes() if data is None else data, content_type=content_type)


def gallery_url(listing: Any) -> str:
    return f"{PROPERTIES}{getattr(listing, 'pk', listing)}/images/"


def image_url(listing: Any, image: Any, suffix: str = "") -> str:
    return f"{gallery_url(listing)}{getattr(image, 'pk', image)}/{suffix}"


def image_of(cast: Cast, listing: Property, *, actor: Profile | None = None, data: bytes | None = None,
             name: str = "front.jpg", **fields: Any) -> PropertyImage:  # fmt: skip
    """An image uploaded through the service (its variants still pending: the upload never commits here)."""
    actor = actor or (cast.owner if listing.org == cast.org_a else cast.other_owner)
    with org_context(listing.org):
        return services.image_upload(
            org=listing.org, actor=actor, property_id=listing.pk, upload=photo(name, data), **fields
        )


def variants_made(image: PropertyImage) -> PropertyImage:
    """Run the worker's code path for the image, in this process, and reload it."""
    with org_context(image.org):
        processing.image_variants_make(org=image.org, image_id=image.pk)
        return PropertyImage.objects.get(pk=image.pk)


def ready_image_of(cast: Cast, listing: Property, **kwargs: Any) -> PropertyImage:
    return variants_made(image_of(cast, listing, **kwargs))


def stored(image: PropertyImage) -> PropertyImage | None:
    with org_context(image.org):
        return PropertyImage.objects.filter(pk=image.pk).first()


def files_of(image: PropertyImage) -> list[str]:
    return [image.original.name, *(entry["file"] for entry in image.variants.values())]


def exists(name: str) -> bool:
    return bool(PropertyImage._meta.get_field("original").storage.exists(name))
