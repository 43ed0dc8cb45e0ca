"""Listing images: an ordered gallery per listing whose first image is the cover, the resized variants of each
image, and the enhancement jobs an outside service runs on them.

Files live in the default storage under `property-images/<org id>/<image id>/` and are never served from
MEDIA_URL: members fetch them through the authorized download route, the public through an image's random token
while its listing is published.
"""

from __future__ import annotations

import builtins
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.db.models import Q

from common.models import BaseModel, Profile
from properties.models import Property


class VariantsStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Variant(models.TextChoices):
    """The files of an image. Everything but the original is a WebP the worker makes; the `enhanced` ones exist
    once an enhancement job completed."""

    ORIGINAL = "original", "As uploaded"
    THUMBNAIL = "thumbnail", "Thumbnail"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"
    ENHANCED = "enhanced", "Enhanced, full size"
    ENHANCED_THUMBNAIL = "enhanced_thumbnail", "Enhanced thumbnail"
    ENHANCED_MEDIUM = "enhanced_medium", "Enhanced, medium"
    ENHANCED_LARGE = "enhanced_large", "Enhanced, large"


# The original keeps what the camera wrote (EXIF, GPS position): it is for members only. Variants are re-encoded
# without metadata, so they are what a published listing shows.
PUBLIC_VARIANTS = tuple(variant for variant in Variant if variant != Variant.ORIGINAL)
ENHANCED_VARIANTS = (Variant.ENHANCED, Variant.ENHANCED_THUMBNAIL, Variant.ENHANCED_MEDIUM, Variant.ENHANCED_LARGE)


def new_public_token() -> str:
    """The unguessable part of an image's public address (192 random bits)."""
    return secrets.token_urlsafe(24)


def image_folder(org_id: Any, image_id: Any) -> str:
    return f"property-images/{uuid.UUID(str(org_id)).hex}/{uuid.UUID(str(image_id)).hex}"


def original_upload_to(instance: PropertyImage, filename: str) -> str:
    extension = filename.rpartition(".")[2] if "." in filename else "bin"
    return f"{image_folder(instance.org_id, instance.pk)}/original.{extension}"


def stored_files(originals_and_variants: Iterable[tuple[str | None, dict[str, Any]]]) -> list[str]:
    """Every stored file name of images given as (original name, variants)."""
    names: list[str] = []
    for original, variants in originals_and_variants:
        if original:
            names.append(original)
        names += [entry["file"] for entry in (variants or {}).values() if entry.get("file")]
    return names


def files_delete_on_commit(names: list[str]) -> None:
    """Take files out of storage once the transaction that stopped pointing at them commits."""
    if not names:
        return
    storage = PropertyImage._meta.get_field("original").storage

    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


def cascade_with_files(collector: Any, field: Any, sub_objs: Any, using: str) -> None:
    """CASCADE, and the images' files leave storage once the deletion commits: a purged listing takes its
    gallery with it instead of leaving files nobody can reach."""
    pks = [image.pk for image in sub_objs]
    rows = PropertyImage.all_orgs_unsafe.using(using).filter(pk__in=pks).values_list("original", "variants")
    files_delete_on_commit(stored_files(rows))
    models.CASCADE(collector, field, sub_objs, using)


class PropertyImage(BaseModel):
    """One photo of a listing. `position` runs 0..n-1 without gaps (the services keep it so under the listing's
    lock); position 0 is the cover."""

    property = models.ForeignKey(Property, on_delete=cascade_with_files, related_name="images")
    position = models.PositiveIntegerField()
    original = models.FileField(upload_to=original_upload_to, max_length=300)
    # The name it downloads under (made safe); its type is sniffed from the content, never taken from the client.
    file_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(max_length=300, blank=True)
    alt_text = models.CharField(max_length=300, blank=True)
    public_token = models.CharField(max_length=64, default=new_public_token)
    variants_status = models.CharField(
        max_length=10, choices=VariantsStatus.choices, default=VariantsStatus.PENDING
    )
    # Why the variants could not be made (only when failed).
    variants_error = models.CharField(max_length=300, blank=True)
    # Variant name -> {"file": stored name, "width", "height", "size"}; the original is `original`.
    variants = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            # Deferred: a reorder rewrites every position of the gallery in one statement batch.
            models.UniqueConstraint(
                fields=["org", "property", "position"],
                name="property_image_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(fields=["org", "public_token"], name="property_image_token_unique"),
            models.CheckConstraint(
                condition=Q(variants_status__in=VariantsStatus.values), name="property_image_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(variants_status=VariantsStatus.FAILED) & ~Q(variants_error=""))
                | (~Q(variants_status=VariantsStatus.FAILED) & Q(variants_error="")),
                name="property_image_error_iff_failed",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    # `property` is the listing field inside this class body.
    @builtins.property
    def is_cover(self) -> bool:
        return self.position == 0

    def has_variant(self, name: str) -> bool:
        return name == Variant.ORIGINAL or bool(self.variants.get(name, {}).get("file"))

    def variant_file(self, name: str) -> tuple[str, str] | None:
        """(stored name, content type) of a variant that exists, else None."""
        if name == Variant.ORIGINAL:
            return str(self.original.name), self.content_type
        entry = self.variants.get(name) or {}
        return (entry["file"], "image/webp") if entry.get("file") else None


class EnhancementStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    PROCESSING = "processing", "With the service"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"


ACTIVE_ENHANCEMENT = (EnhancementStatus.PENDING, EnhancementStatus.PROCESSING)


class EnhancementJob(BaseModel):
    """An image sent to the outside enhancement service: pending -> processing -> completed, failed or
    timed_out. The service answers on a signed callback; the result becomes the image's `enhanced` variants."""

    image = models.ForeignKey(PropertyImage, on_delete=models.CASCADE, related_name="enhancement_jobs")
    status = models.CharField(max_length=12, choices=EnhancementStatus.choices, default=EnhancementStatus.PENDING)
    requested_by = models.ForeignKey(Profile, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    callback_received_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The service's own id for the job, and where it put the result.
    external_id = models.CharField(max_length=200, blank=True)
    result_url = models.URLField(max_length=2000, blank=True)
    # The signature of the callback that was accepted: the same callback sent again is a replay.
    callback_signature = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EnhancementStatus.values), name="enhancement_job_status_valid"
            ),
            # One job at a time per image: a second request while one runs is a 409, not a second bill.
            models.UniqueConstraint(
                fields=["org", "image"],
                condition=Q(status__in=ACTIVE_ENHANCEMENT),
                name="enhancement_job_one_active_per_image",
            ),
        ]
        indexes = [
            # The timeout sweep: active jobs by age.
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=ACTIVE_ENHANCEMENT),
                name="enhancement_job_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"enhancement {self.status} of {self.image_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ENHANCEMENT
