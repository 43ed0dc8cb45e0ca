"""How the role matrix calls the listing media routes: the gallery, downloads, enhancement jobs and the two public
routes (a published photo by token, and the enhancement service's callback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call


def _gallery(*, published: bool = False, ready: bool = False, with_job: bool = False) -> Callable[[Cast], Any]:
    """A listing of org A every role sees and a member may change (assigned), with two photos uploaded by the
    owner; their variants made if asked, and an enhancement job if asked."""

    def make(cast: Cast) -> dict[str, Any]:
        from common.context import org_context
        from properties.media.models import EnhancementJob
        from properties.media.tests.helpers import image_of, variants_made
        from properties.models import Property
        from properties.tests.matrix import listings

        made = listings()(cast)
        with org_context(cast.org_a):
            listing = Property.objects.get(pk=made["pk"])
            if published:
                Property.objects.filter(pk=listing.pk).update(is_published=True)
        first, second = image_of(cast, listing, name="front.jpg"), image_of(cast, listing, name="garden.jpg")
        if ready:
            first = variants_made(first)
        made.update(image_id=first.pk, other_image_id=second.pk, token=first.public_token)
        if with_job:
            with org_context(cast.org_a):
                job = EnhancementJob.objects.create(org=cast.org_a, image=first, requested_by=cast.owner)
            made["job_id"] = job.pk
        return made

    return make


def _listing_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"property_id": made["pk"]}


def _image_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"property_id": made["pk"], "image_id": made["image_id"]}


def _upload(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    from properties.media.tests.helpers import photo

    return {"file": photo("matrix.jpg"), "caption": "From the matrix"}


MATRIX_SPECS = {
    "api:property-images": {
        "GET": Call(setup=_gallery(), kwargs=_listing_url),
        "POST": Call(status=201, setup=_gallery(), kwargs=_listing_url, body=_upload, format="multipart"),
    },
    "api:property-images-order": {
        "PUT": Call(
            setup=_gallery(),
            kwargs=_listing_url,
            body=lambda cast, made: {"image_ids": [str(made["other_image_id"]), str(made["image_id"])]},
        )
    },
    "api:property-image-detail": {
        "GET": Call(setup=_gallery(), kwargs=_image_url),
        "PATCH": Call(setup=_gallery(), kwargs=_image_url, body={"caption": "The front", "alt_text": "Red door"}),
        "DELETE": Call(status=204, setup=_gallery(), kwargs=_image_url),
    },
    "api:property-image-file": {
        "GET": Call(
            setup=_gallery(ready=True), kwargs=lambda cast, made: {**_image_url(cast, made), "variant": "large"}
        )
    },
    "api:property-image-enhancements": {
        "GET": Call(setup=_gallery(with_job=True), kwargs=_image_url),
        # No enhancement service is configured in the suite: the role may ask, the installation cannot serve.
        "POST": Call(status=409, setup=_gallery(), kwargs=_image_url),
    },
    "api:property-image-enhancement-detail": {
        "GET": Call(
            setup=_gallery(with_job=True),
            kwargs=lambda cast, made: {**_image_url(cast, made), "job_id": made["job_id"]},
        )
    },
    # Public: the answer does not depend on who calls. Unsigned, the callback is refused for everyone.
    "api:property-enhancement-callback": {
        "POST": Call(
            status=401,
            setup=_gallery(with_job=True),
            kwargs=lambda cast, made: {"org_id": cast.org_a.pk, "job_id": made["job_id"]},
            body=lambda cast, made: {"job_id": str(made["job_id"]), "status": "failed", "error": "forged"},
        )
    },
    "api:property-media-public": {
        "GET": Call(
            setup=_gallery(published=True, ready=True),
            kwargs=lambda cast, made: {"org_slug": "alpha", "token": made["token"], "variant": "thumbnail"},
        )
    },
}
