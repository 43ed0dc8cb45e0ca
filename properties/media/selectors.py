"""Reading listing images: a listing's gallery, one image as the caller may see it, the published gallery as
public addresses, the image behind a public address, and enhancement jobs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from common.context import org_context
from common.errors import NotFound
from common.models import Profile
from properties.media.models import PUBLIC_VARIANTS, EnhancementJob, PropertyImage, Variant, VariantsStatus
from properties.models import Property
from records.visibility import visible_records
from tenants.models import Org, OrgStatus

COVER_ATTRIBUTE = "cover_images"


def _uuid_or_404(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def images_of(*, org: Org, listing: Property) -> QuerySet[PropertyImage]:
    """The gallery in order (each image already knows its listing: no query per image for it)."""
    return listing.images.filter(org=org).order_by("position", "id")


def image_of(*, org: Org, listing: Property, image_id: Any) -> PropertyImage:
    """One image of the listing; an image of another listing (or org) is a 404."""
    image: PropertyImage | None = images_of(org=org, listing=listing).filter(pk=_uuid_or_404(image_id)).first()
    if image is None:
        raise NotFound()
    return image


def image_visible(*, org: Org, actor: Profile, image_id: Any) -> PropertyImage:
    """The image if the actor sees its listing (archived listings too); a missing image, another org's and one
    of a listing the actor cannot see are the same 404. What other modules link to listing photos through."""
    listings = visible_records(Property.objects.for_org(org), actor)
    image: PropertyImage | None = (
        PropertyImage.objects.for_org(org)
        .filter(pk=_uuid_or_404(image_id), property__in=listings)
        .select_related("property")
        .first()
    )
    if image is None:
        raise NotFound()
    return image


def cover_image_prefetch() -> Prefetch:
    """For listing lists: each listing's cover in one query for the page (`listing.cover_images`, 0 or 1)."""
    return Prefetch("images", queryset=PropertyImage.objects.filter(position=0), to_attr=COVER_ATTRIBUTE)


def cover_image_of(listing: Property) -> PropertyImage | None:
    prefetched = getattr(listing, COVER_ATTRIBUTE, None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    cover: PropertyImage | None = listing.images.filter(org_id=listing.org_id, position=0).first()
    return cover


# --- Public addresses --------------------------------------------------------------------------------------


def is_public(listing: Property) -> bool:
    return listing.is_published and listing.archived_at is None


def public_url(org: Org, image: PropertyImage, variant: str) -> str:
    path = reverse(
        "api:property-media-public", kwargs={"org_slug": org.slug, "token": image.public_token, "variant": variant}
    )
    return f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}{path}"


def public_urls_of(org: Org, image: PropertyImage, listing: Property) -> dict[str, str | None] | None:
    """Every public variant's address (null until it exists), or None while the listing is not public."""
    if not is_public(listing):
        return None
    return {variant: public_url(org, image, variant) if image.has_variant(variant) else None
            for variant in PUBLIC_VARIANTS}  # fmt: skip


@dataclass(frozen=True)
class PublicVariant:
    url: str
    width: int
    height: int


@dataclass(frozen=True)
class PublicImage:
    id: uuid.UUID
    position: int
    is_cover: bool
    caption: str
    alt_text: str
    # Only the variants that exist; the original is never public (it keeps the camera's metadata).
    variants: dict[str, PublicVariant]


def _public_image(org: Org, image: PropertyImage) -> PublicImage:
    variants = {
        name: PublicVariant(public_url(org, image, name), int(entry["width"]), int(entry["height"]))
        for name, entry in image.variants.items()
        if name in PUBLIC_VARIANTS and entry.get("file")
    }
    return PublicImage(image.pk, image.position, image.is_cover, image.caption, image.alt_text, variants)


def public_galleries_of(*, org: Org, listings: Iterable[Property]) -> dict[uuid.UUID, list[PublicImage]]:
    """The published galleries of many listings in one query: listing id -> its ready images in order. A listing
    that is not published, or archived, has an empty gallery."""
    public = [listing.pk for listing in listings if is_public(listing)]
    galleries: dict[uuid.UUID, list[PublicImage]] = {pk: [] for pk in public}
    if not public:
        return galleries
    images = (
        PropertyImage.objects.for_org(org)
        .filter(property_id__in=public, variants_status=VariantsStatus.READY)
        .order_by("property_id", "position", "id")
    )
    for image in images:
        galleries[image.property_id].append(_public_image(org, image))
    return galleries


def public_images_of(*, org: Org, listing: Property) -> list[PublicImage]:
    """The listing's published gallery as public addresses ([] unless published and not archived). What the
    public listing API shows."""
    return public_galleries_of(org=org, listings=[listing]).get(listing.pk, [])


@dataclass(frozen=True)
class PublicFile:
    name: str
    content_type: str
    storage: Any


def public_file(*, org_slug: str, token: str, variant: str) -> PublicFile:
    """The file behind a public address while its listing is published and not archived. A suspended org, an
    unknown slug or token, another org's token, the original and a variant not made yet are the same 404."""
    if variant not in PUBLIC_VARIANTS:
        raise NotFound()
    org = Org.objects.filter(slug=org_slug, status=OrgStatus.ACTIVE).first()
    if org is None:
        raise NotFound()
    with org_context(org):
        image: PropertyImage | None = (
            PropertyImage.objects.for_org(org)
            .filter(public_token=token, property__is_published=True, property__archived_at__isnull=True)
            .first()
        )
    found = image.variant_file(variant) if image is not None else None
    if image is None or found is None:
        raise NotFound()
    return PublicFile(found[0], found[1], image.original.storage)


# --- Enhancement jobs --------------------------------------------------------------------------------------


def enhancement_jobs_of(*, org: Org, image: PropertyImage) -> QuerySet[EnhancementJob]:
    return EnhancementJob.objects.for_org(org).filter(image=image).order_by("-created_at", "-id")


def enhancement_job_of(*, org: Org, image: PropertyImage, job_id: Any) -> EnhancementJob:
    job: EnhancementJob | None = enhancement_jobs_of(org=org, image=image).filter(pk=_uuid_or_404(job_id)).first()
    if job is None:
        raise NotFound()
    return job


def private_url(image: PropertyImage, variant: str) -> str:
    return reverse(
        "api:property-image-file",
        kwargs={"property_id": image.property_id, "image_id": image.pk, "variant": variant},
    )


def private_urls_of(image: PropertyImage) -> dict[str, str | None]:
    """The authorized download address of every variant (null until it exists)."""
    return {variant: private_url(image, variant) if image.has_variant(variant) else None for variant in Variant}
