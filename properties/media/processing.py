"""What the worker does with listing images: make an upload's variants, send an image to the enhancement
service, fetch and store its result, and time out jobs the service never answered.

Each step is idempotent (late acknowledgement may run it twice) and ends in a settled state: a photo that cannot
be decoded ends `failed` with its reason, never `pending` for good. Slow work (decoding, encoding, HTTP) runs
outside any transaction; the result is written under the row's lock only if the row still wants it, and files
written for a row that went away meanwhile are removed again.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from properties.media import enhancer, imaging
from properties.media.models import (
    ACTIVE_ENHANCEMENT,
    ENHANCED_VARIANTS,
    EnhancementJob,
    EnhancementStatus,
    PropertyImage,
    VariantsStatus,
    files_delete_on_commit,
    image_folder,
)
from tenants.models import Org
from timeline.models import NotificationKind
from timeline.notifications import notify

logger = logging.getLogger("crm.property_media")


def _store(image: PropertyImage, rendered: Sequence[imaging.Rendered]) -> dict[str, dict[str, Any]]:
    storage = image.original.storage
    folder = image_folder(image.org_id, image.pk)
    saved: dict[str, dict[str, Any]] = {}
    try:
        for variant in rendered:
            name = storage.save(f"{folder}/{variant.name}.webp", ContentFile(variant.data))
            saved[variant.name] = {"file": name, "width": variant.width, "height": variant.height,
                                   "size": len(variant.data)}  # fmt: skip
    except BaseException:
        for entry in saved.values():
            storage.delete(entry["file"])
        raise
    return saved


def _discard(image: PropertyImage, saved: dict[str, dict[str, Any]]) -> None:
    for entry in saved.values():
        image.original.storage.delete(entry["file"])


# --- Variants ----------------------------------------------------------------------------------------------


def _variants_fail(org: Org, image: PropertyImage, reason: str) -> str:
    PropertyImage.objects.for_org(org).filter(pk=image.pk, variants_status=VariantsStatus.PENDING).update(
        variants_status=VariantsStatus.FAILED, variants_error=reason[:300], updated_at=timezone.now()
    )
    return VariantsStatus.FAILED


def image_variants_make(*, org: Org, image_id: Any) -> str:
    """The thumbnail, medium and large WebP of a pending image. Returns the image's status afterwards, or
    "gone" when the image was deleted first."""
    image: PropertyImage | None = PropertyImage.objects.for_org(org).filter(pk=image_id).first()
    if image is None:
        return "gone"
    if image.variants_status != VariantsStatus.PENDING:
        return str(image.variants_status)
    try:
        with image.original.open("rb") as source:
            rendered = imaging.variants_render(source, imaging.GALLERY_SPECS)
    except imaging.Undecodable as failure:
        return _variants_fail(org, image, f"The image could not be decoded ({failure}). Upload it again.")
    except FileNotFoundError:
        return _variants_fail(org, image, "The uploaded file is missing from storage. Upload it again.")
    except Exception:
        # Decoding or encoding broke in a way nobody foresaw: the image must still not stay pending for good.
        logger.exception("variants of image %s failed", image.pk)
        return _variants_fail(org, image, "The variants could not be made. Upload the image again.")
    saved = _store(image, rendered)
    with transaction.atomic():
        locked: PropertyImage | None = (
            PropertyImage.objects.for_org(org).filter(pk=image.pk).select_for_update().first()
        )
        if locked is None or locked.variants_status != VariantsStatus.PENDING:
            transaction.on_commit(lambda: _discard(image, saved))
            return "gone" if locked is None else str(locked.variants_status)
        locked.variants = {**locked.variants, **saved}
        locked.variants_status = VariantsStatus.READY
        locked.save(update_fields=["variants", "variants_status", "updated_at"])
    return VariantsStatus.READY


# --- Enhancement jobs --------------------------------------------------------------------------------------


_OUTCOME = {
    EnhancementStatus.COMPLETED: "The enhanced photo {photo} of {listing} is ready.",
    EnhancementStatus.FAILED: "Enhancing the photo {photo} of {listing} failed: {reason}",
    EnhancementStatus.TIMED_OUT: "Enhancing the photo {photo} of {listing} timed out: {reason}",
}


def enhancement_finish(org: Org, job: EnhancementJob, outcome: str, reason: str = "") -> None:
    """Settle a job and tell the member who asked. Call inside the transaction that holds the job's lock, with
    `job.image.property` loaded."""
    job.status, job.error, job.finished_at = outcome, reason[:300], timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    listing = job.image.property
    message = _OUTCOME[EnhancementStatus(outcome)].format(
        photo=job.image.file_name, listing=listing, reason=reason
    )
    notify(
        org=org, actor=None, recipient_ids=[job.requested_by_id], kind=NotificationKind.ENHANCEMENT_DONE,
        target_type=listing._meta.label_lower, target_id=listing.pk, message=message,
    )  # fmt: skip


def _job_locked(org: Org, job_id: Any) -> EnhancementJob | None:
    job: EnhancementJob | None = (
        EnhancementJob.objects.for_org(org)
        .filter(pk=job_id)
        .select_related("image__property")
        .select_for_update(of=("self",))
        .first()
    )
    return job


def _job_fail(org: Org, job_id: Any, reason: str) -> None:
    with transaction.atomic():
        job = _job_locked(org, job_id)
        if job is not None and job.is_active:
            enhancement_finish(org, job, EnhancementStatus.FAILED, reason)


def callback_url(org: Org, job: EnhancementJob) -> str:
    path = reverse("api:property-enhancement-callback", kwargs={"org_id": org.pk, "job_id": job.pk})
    return f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}{path}"


def enhancement_submit(*, org: Org, job_id: Any) -> str:
    """Post a pending job's original photo to the service. A refusal (any non-2xx answer), no answer or a
    missing file fails the job with the reason; the admin may ask again."""
    job: EnhancementJob | None = (
        EnhancementJob.objects.for_org(org).filter(pk=job_id).select_related("image").first()
    )
    if job is None or job.status != EnhancementStatus.PENDING:
        return str(job.status) if job is not None else "gone"
    if not enhancer.is_enabled():
        _job_fail(org, job.pk, "Image enhancement was switched off before the image was sent.")
        return EnhancementStatus.FAILED
    image = job.image
    try:
        with image.original.open("rb") as source:
            photo = enhancer.Photo(source.read(), image.content_type, image.file_name)
        external_id = enhancer.photo_send(job_id=str(job.pk), callback_url=callback_url(org, job), photo=photo)
    except FileNotFoundError:
        _job_fail(org, job.pk, "The original image is missing from storage.")
        return EnhancementStatus.FAILED
    except enhancer.ServiceFailed as failure:
        _job_fail(org, job.pk, str(failure))
        return EnhancementStatus.FAILED
    # The callback may have come in already (a fast service): it moved the job on, and that stands.
    EnhancementJob.objects.for_org(org).filter(pk=job.pk, status__in=ACTIVE_ENHANCEMENT).update(
        status=EnhancementStatus.PROCESSING, submitted_at=timezone.now(), external_id=external_id,
        updated_at=timezone.now(),
    )  # fmt: skip
    return EnhancementStatus.PROCESSING


def enhancement_collect(*, org: Org, job_id: Any) -> str:
    """Fetch the enhanced photo the callback named, check it like an upload (bytes, pixels, content), and store
    it as the image's `enhanced` variants, replacing those of an earlier job."""
    job: EnhancementJob | None = (
        EnhancementJob.objects.for_org(org).filter(pk=job_id).select_related("image").first()
    )
    if job is None or job.status != EnhancementStatus.PROCESSING or not job.result_url:
        return str(job.status) if job is not None else "gone"
    try:
        data = enhancer.result_fetch(job.result_url, max_bytes=imaging.max_bytes())
        imaging.image_check(io.BytesIO(data), size=len(data))
        rendered = imaging.variants_render(io.BytesIO(data), imaging.ENHANCED_SPECS)
    except enhancer.ServiceFailed as failure:
        _job_fail(org, job.pk, str(failure))
        return EnhancementStatus.FAILED
    except imaging.ImageRejected as rejected:
        _job_fail(org, job.pk, f"The enhanced image was refused: {rejected.detail}")
        return EnhancementStatus.FAILED
    except imaging.Undecodable as failure:
        _job_fail(org, job.pk, f"The enhanced image could not be decoded ({failure}).")
        return EnhancementStatus.FAILED
    saved = _store(job.image, rendered)
    with transaction.atomic():
        locked = _job_locked(org, job.pk)
        image = (
            PropertyImage.objects.for_org(org).filter(pk=job.image_id).select_for_update().first()
            if locked is not None
            else None
        )
        if locked is None or image is None or locked.status != EnhancementStatus.PROCESSING:
            transaction.on_commit(lambda: _discard(job.image, saved))
            return str(locked.status) if locked is not None else "gone"
        replaced = [image.variants[name]["file"] for name in ENHANCED_VARIANTS if name in image.variants]
        image.variants = {**image.variants, **saved}
        image.save(update_fields=["variants", "updated_at"])
        files_delete_on_commit(replaced)
        enhancement_finish(org, locked, EnhancementStatus.COMPLETED)
    return EnhancementStatus.COMPLETED


def enhancement_jobs_time_out(*, org: Org, now: datetime.datetime | None = None) -> int:
    """Jobs still pending or processing IMAGE_ENHANCEMENT_TIMEOUT_SECONDS after they were asked for end
    `timed_out`, and their requesters hear so. Jobs another sweep holds are left to it."""
    timeout = int(settings.IMAGE_ENHANCEMENT_TIMEOUT_SECONDS)
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=timeout)
    reason = f"no answer from the enhancement service within {timeout // 60 or 1} minute(s)."
    with transaction.atomic():
        jobs = list(
            EnhancementJob.objects.for_org(org)
            .filter(status__in=ACTIVE_ENHANCEMENT, created_at__lt=cutoff)
            .select_related("image__property")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("created_at")
        )
        for job in jobs:
            enhancement_finish(org, job, EnhancementStatus.TIMED_OUT, reason)
    return len(jobs)
