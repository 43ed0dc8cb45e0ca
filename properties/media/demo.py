"""Demo galleries: a few drawn "photos" of buildings (no image files ship with the code), two to five per listing
for most listings, with captions, alt text and their variants ready."""

from __future__ import annotations

import hashlib
import io
import random
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from demo.context import DemoContext
from properties.media import imaging
from properties.media.models import PropertyImage, VariantsStatus, image_folder
from properties.models import Property

PHOTOS = 6
SIZE = (1200, 800)
SHOTS = [("Street frontage", "The building seen from the street"),
         ("Entrance", "The main entrance and lobby doors"),
         ("Open-plan floor", "An open-plan floor with windows on two sides"),
         ("View from the top floor", "The city seen from the top floor"),
         ("Kitchen", "A fitted kitchen with an island"),
         ("Garden", "The garden behind the building")]  # fmt: skip


def _drawn_photo(rng: random.Random) -> bytes:
    """A sky, a street and a block with lit windows: enough to tell demo photos apart in a gallery."""
    image = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(image)
    sky_top, sky_bottom = rng.choice([((70, 130, 200), (190, 220, 245)), ((250, 160, 90), (255, 220, 170))])
    horizon = int(SIZE[1] * 0.7)
    for y in range(horizon):
        mix = y / horizon
        colour = tuple(int(a + (b - a) * mix) for a, b in zip(sky_top, sky_bottom, strict=True))
        draw.line([(0, y), (SIZE[0], y)], fill=colour)
    draw.rectangle([0, horizon, SIZE[0], SIZE[1]], fill=(90, 90, 95))
    left = rng.randint(100, 400)
    width, height = rng.randint(400, 700), rng.randint(300, horizon - 40)
    facade = rng.choice([(180, 170, 160), (140, 90, 70), (200, 200, 205), (90, 110, 130)])
    draw.rectangle([left, horizon - height, left + width, horizon], fill=facade)
    for x in range(left + 20, left + width - 40, 60):
        for y in range(horizon - height + 20, horizon - 40, 70):
            lit = rng.random() < 0.4
            draw.rectangle([x, y, x + 35, y + 45], fill=(250, 230, 150) if lit else (60, 80, 100))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def seed(ctx: DemoContext) -> dict[str, int]:
    listing_ids = ctx.made.get("properties.property", [])
    if not listing_ids:
        return {"listing images": 0}
    # Drawn and resized once each; every image stores its own copy of the files, as an upload would.
    photos = []
    for _ in range(PHOTOS):
        original = _drawn_photo(ctx.rng)
        rendered = imaging.variants_render(io.BytesIO(original), imaging.GALLERY_SPECS)
        photos.append((original, rendered))
    storage = PropertyImage._meta.get_field("original").storage
    listings = Property.objects.for_org(ctx.org).filter(pk__in=listing_ids).order_by("reference")
    images: list[PropertyImage] = []
    for listing in listings:
        if ctx.rng.random() < 0.2:
            continue  # some listings have no photos yet
        for position, (caption, alt_text) in enumerate(ctx.rng.sample(SHOTS, ctx.rng.randint(2, 5))):
            original, rendered = ctx.rng.choice(photos)
            image = PropertyImage(
                org=ctx.org, property=listing, position=position, file_name=f"photo-{position + 1}.jpg",
                content_type="image/jpeg", width=SIZE[0], height=SIZE[1], size=len(original),
                sha256=hashlib.sha256(original).hexdigest(), caption=caption, alt_text=alt_text,
                variants_status=VariantsStatus.READY, created_by=listing.created_by, updated_by=listing.created_by,
            )  # fmt: skip
            folder = image_folder(ctx.org.pk, image.pk)
            image.original = storage.save(f"{folder}/original.jpg", ContentFile(original))
            image.variants = {variant.name: _stored(storage, folder, variant) for variant in rendered}
            images.append(image)
    PropertyImage.objects.bulk_create(images, batch_size=500)
    return {"listing images": len(images)}


def _stored(storage: Any, folder: str, variant: imaging.Rendered) -> dict[str, Any]:
    name = storage.save(f"{folder}/{variant.name}.webp", ContentFile(variant.data))
    return {"file": name, "width": variant.width, "height": variant.height, "size": len(variant.data)}
