"""Changing listing galleries, and asking for and hearing back about image enhancements.

Every gallery write starts with the listing's write boundary (records.services.record_lock_for_write): 404 for a
listing the actor cannot see, 403 for one they may not change (a member and somebody else's listing), 409 once
archived. Holding the listing's lock is also what keeps positions 0..n-1 without gaps. Files are written before
the row commits and removed if it does not; files of deleted images leave storage after the commit.

Variants are made by the worker after the upload commits (properties.media.processing); until then the image
says `variants_status: pending`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import status

from common.context import org_context
from common.errors import ApiError, Conflict, NotFound, field_error
from common.models import Profile
from properties.media import enhancer, imaging, tasks
from properties.media.models import (
    ACTIVE_ENHANCEMENT,
    EnhancementJob,
    EnhancementStatus,
    PropertyImage,
    files_delete_on_commit,
    stored_files,
)
from properties.media.processing import enhancement_finish
from properties.media.signatures import SignatureRefused, signature_verify
from properties.models import Property
from records import services as records
from tenants.models import Org, OrgStatus
from tenants.pipeline.tasks import enqueue
from timeline.uploads import safe_file_name

GALLERY_MAX_IMAGES = 100


def _listing_for_write(org: Org, actor: Profile, property_id: Any) -> Property:
    return records.record_lock_for_write(Property, org=org, actor=actor, record_id=property_id)


def _image_locked(org: Org, listing: Property, image_id: Any) -> PropertyImage:
    try:
        pk = uuid.UUID(str(image_id))
    except ValueError:
        raise NotFound() from None
    image: PropertyImage | None = (
        PropertyImage.objects.for_org(org).filter(property=listing, pk=pk).select_for_update().first()
    )
    if image is None:
        raise NotFound()
    image.property = listing
    return image


def _file_error(code: str, detail: str) -> ApiError:
    return field_error("file", code, detail)


# --- The gallery -------------------------------------------------------------------------------------------


def image_upload(
    *, org: Org, actor: Profile, property_id: Any, upload: Any | None, caption: str = "", alt_text: str = ""
) -> PropertyImage:
    """A photo at the end of the gallery (the cover if it is the first). The listing is checked before the file
    is looked at, so a caller who may not change the listing learns nothing from the file's answer."""
    storage = PropertyImage._meta.get_field("original").storage
    stored_name = ""
    try:
        with transaction.atomic():
            listing = _listing_for_write(org, actor, property_id)
            if upload is None:
                raise _file_error("required", "No file was submitted.")
            try:
                checked = imaging.image_check(upload, size=upload.size)
            except imaging.ImageRejected as rejected:
                raise _file_error(rejected.code, rejected.detail) from None
            count = PropertyImage.objects.for_org(org).filter(property=listing).count()
            if count >= GALLERY_MAX_IMAGES:
                raise Conflict(f"A listing holds at most {GALLERY_MAX_IMAGES} images.", code="gallery_full")
            image = PropertyImage(
                org=org, property=listing, position=count, created_by=actor, updated_by=actor,
                file_name=safe_file_name(getattr(upload, "name", "") or "", checked.content_type),
                content_type=checked.content_type, width=checked.width, height=checked.height,
                size=checked.size, sha256=checked.sha256, caption=caption.strip(), alt_text=alt_text.strip(),
            )  # fmt: skip
            image.original.save(f"original.{checked.extension}", upload, save=False)
            stored_name = str(image.original.name)
            image.save()
            records.log_activity(
                listing, actor, "image_added", {"image_id": str(image.pk), "file_name": image.file_name}
            )
            enqueue(tasks.variants_make, str(image.pk))
    except BaseException:
        if stored_name:
            storage.delete(stored_name)
        raise
    return image


def image_update(
    *, org: Org, actor: Profile, property_id: Any, image_id: Any, data: dict[str, Any]
) -> PropertyImage:
    """Caption and alt text; what changed is one `image_changed` entry on the listing's timeline."""
    with transaction.atomic():
        listing = _listing_for_write(org, actor, property_id)
        image = _image_locked(org, listing, image_id)
        changes: dict[str, list[str]] = {}
        for name in ("caption", "alt_text"):
            if name in data:
                value = str(data[name]).strip()
                if value != getattr(image, name):
                    changes[name] = [getattr(image, name), value]
                    setattr(image, name, value)
        if changes:
            image.updated_by = actor
            image.save(update_fields=["caption", "alt_text", "updated_by", "updated_at"])
            records.log_activity(listing, actor, "image_changed", {"image_id": str(image.pk), "changes": changes})
    return image


def image_delete(*, org: Org, actor: Profile, property_id: Any, image_id: Any) -> None:
    """The images after it move up one (the next becomes the cover if it was the cover); its files, variants
    and enhancement results included, leave storage once this commits."""
    with transaction.atomic():
        listing = _listing_for_write(org, actor, property_id)
        image = _image_locked(org, listing, image_id)
        files_delete_on_commit(stored_files([(image.original.name, image.variants)]))
        details = {"image_id": str(image.pk), "file_name": image.file_name}
        position = image.position
        image.delete()
        PropertyImage.objects.for_org(org).filter(property=listing, position__gt=position).update(
            position=F("position") - 1, updated_at=timezone.now()
        )
        records.log_activity(listing, actor, "image_removed", details)


def images_reorder(
    *, org: Org, actor: Profile, property_id: Any, image_ids: list[uuid.UUID]
) -> list[PropertyImage]:
    """The whole gallery in the order given: exactly the listing's images, each once. An id that is not one of
    the listing's images (another listing's, another org's, made up) is `does_not_exist`, whichever it is."""
    with transaction.atomic():
        listing = _listing_for_write(org, actor, property_id)
        images = {
            image.pk: image
            for image in PropertyImage.objects.for_org(org).filter(property=listing).select_for_update()
        }
        seen: set[uuid.UUID] = set()
        for image_id in image_ids:
            if image_id not in images:
                detail = f'Invalid pk "{image_id}" - object does not exist.'
                raise field_error("image_ids", "does_not_exist", detail)
            if image_id in seen:
                raise field_error("image_ids", "duplicate", f'"{image_id}" is listed twice.')
            seen.add(image_id)
        if len(seen) != len(images):
            raise field_error(
                "image_ids", "incomplete", f"Send every image of the listing ({len(images)}), in the new order."
            )
        ordered = [images[image_id] for image_id in image_ids]
        before = [image.pk for image in sorted(images.values(), key=lambda image: image.position)]
        if before != image_ids:
            now = timezone.now()  # bulk_update leaves auto_now alone
            for position, image in enumerate(ordered):
                image.position, image.updated_by, image.updated_at = position, actor, now
            PropertyImage.objects.bulk_update(ordered, ["position", "updated_by", "updated_at"])
            records.log_activity(
                listing,
                actor,
                "images_reordered",
                {"image_ids": [[str(pk) for pk in before], [str(pk) for pk in image_ids]]},
            )
        for image in ordered:
            image.property = listing
    return ordered


# --- Enhancement -------------------------------------------------------------------------------------------


def enhancement_request(*, org: Org, actor: Profile, property_id: Any, image_id: Any) -> EnhancementJob:
    """Send an image to the enhancement service (owners and admins; the route says so). The worker posts it
    after this commits; one job at a time per image."""
    with transaction.atomic():
        listing = _listing_for_write(org, actor, property_id)
        image = _image_locked(org, listing, image_id)
        if not enhancer.is_enabled():
            raise Conflict("Image enhancement is not set up for this installation.", code="enhancement_disabled")
        if EnhancementJob.objects.for_org(org).filter(image=image, status__in=ACTIVE_ENHANCEMENT).exists():
            raise Conflict("This image is already being enhanced.", code="enhancement_in_progress")
        job = EnhancementJob.objects.create(
            org=org, image=image, requested_by=actor, created_by=actor, updated_by=actor
        )
        records.log_activity(
            listing, actor, "image_enhancement_requested", {"image_id": str(image.pk), "job_id": str(job.pk)}
        )
        enqueue(tasks.enhancement_submit, str(job.pk))
    job.image = image
    return job


class CallbackRefused(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "signature_invalid"


def enhancement_callback_verify(*, body: bytes, signature: str | None) -> str:
    """The callback's verified signature, or a 401 (unsigned, wrongly signed, stale) before anything is read."""
    try:
        return signature_verify(
            signature, body, secret=str(settings.IMAGE_ENHANCEMENT_SECRET),
            tolerance=int(settings.IMAGE_ENHANCEMENT_CALLBACK_TOLERANCE_SECONDS),
        )  # fmt: skip
    except SignatureRefused as refused:
        raise CallbackRefused(refused.detail, code=refused.code) from None


def callback_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError("The callback body is not JSON.", code="parse_error") from None


def enhancement_callback_apply(
    *, org_id: Any, job_id: Any, signature: str, result: dict[str, Any]
) -> tuple[EnhancementJob, bool]:
    """A verified callback: `completed` hands the result to the worker to fetch and store, `failed` ends the job.
    The same callback again is a replay and a callback for a finished job is too late (409 both; nothing
    changes). Returns the job and whether a result is being fetched."""
    org = Org.objects.filter(pk=org_id, status=OrgStatus.ACTIVE).first()
    if org is None:
        raise NotFound()
    with org_context(org), transaction.atomic():
        job: EnhancementJob | None = (
            EnhancementJob.objects.for_org(org)
            .filter(pk=job_id)
            .select_related("image__property")
            .select_for_update(of=("self",))
            .first()
        )
        if job is None:
            raise NotFound()
        if str(result["job_id"]) != str(job.pk):
            raise field_error("job_id", "job_mismatch", "The body names another job than the address.")
        if job.callback_signature == signature:
            raise Conflict("This callback was already received.", code="callback_replayed")
        if not job.is_active:
            raise Conflict(f"This job is already {job.status}.", code="job_finished")
        if job.callback_received_at is not None:
            raise Conflict("This job's result was already received.", code="callback_already_received")
        job.callback_received_at, job.callback_signature = timezone.now(), signature
        if result["status"] == "failed":
            reason = str(result.get("error") or "no reason given").strip()
            job.save(update_fields=["callback_received_at", "callback_signature", "updated_at"])
            enhancement_finish(
                org, job, EnhancementStatus.FAILED, f"The enhancement service failed: {reason}"[:300]
            )
            return job, False
        job.status, job.result_url = EnhancementStatus.PROCESSING, result["image_url"]
        job.save(
            update_fields=["status", "result_url", "callback_received_at", "callback_signature", "updated_at"]
        )
        enqueue(tasks.enhancement_collect, str(job.pk))
    return job, True
