"""Listing images over the API: the gallery under its listing, authorized downloads, enhancement jobs, the public
image addresses and the enhancement service's callback. Thin: rules live in properties.media.services, reads in
properties.media.selectors."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from common.files import stored_file_response
from common.validation import validated
from properties.media import selectors, services
from properties.media import serializers as s
from properties.media.models import PropertyImage, Variant, VariantsStatus
from properties.media.signatures import HEADER
from properties.models import Property
from properties.selectors import property_visible
from tenants.pipeline.context import OrgViewMixin, org_request

NOT_FOUND = OpenApiResponse(description="No such listing, image or job for you (another org's is the same).")
FORBIDDEN = OpenApiResponse(description="Your role, or this listing is not yours to change.")
ARCHIVED = OpenApiResponse(description="`archived`: the listing is archived.")
INVALID = OpenApiResponse(description="Field errors in the envelope.")
IMAGE_FILE = OpenApiResponse(OpenApiTypes.BINARY, description="The image (JPEG, PNG or WebP; variants are WebP).")


def _listing(request: Request, property_id: Any) -> Property:
    """The listing a route is under: a listing the caller cannot see is a 404 before anything else."""
    caller = org_request(request)
    return property_visible(org=caller.org, actor=caller.profile, property_id=property_id)


def _image_body(request: Request, image: PropertyImage) -> dict[str, Any]:
    return dict(s.PropertyImageSerializer(image, context={"org": org_request(request).org}).data)


def _file_response(
    storage: Any, name: str, content_type: str, download_name: str, cache_control: str
) -> HttpResponse | FileResponse:
    return stored_file_response(
        storage,
        name,
        content_type=content_type,
        file_name=download_name,
        as_attachment=False,
        cache_control=cache_control,
        missing=NotFound("The file of this image is missing from storage.", code="file_missing"),
    )


class PropertyImagesView(OrgViewMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: s.PropertyImageSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, property_id: Any) -> Response:
        """The listing's gallery in order; the first image is the cover. Every member reads it."""
        images = selectors.images_of(org=self.org, listing=_listing(request, property_id))
        return Response(s.PropertyImageSerializer(images, many=True, context={"org": self.org}).data)

    @extend_schema(
        request={"multipart/form-data": s.ImageUploadSerializer},
        responses={201: s.PropertyImageSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: ARCHIVED},
    )
    def post(self, request: Request, property_id: Any) -> Response:
        """Add a photo at the end of the gallery (multipart, field `file`). The variants are made in the
        background: the answer says `variants_status: pending` with null addresses until they exist."""
        data = validated(s.ImageUploadSerializer, request.data)
        image = services.image_upload(
            org=self.org, actor=self.actor, property_id=property_id, upload=data.get("file"),
            caption=data["caption"], alt_text=data["alt_text"],
        )  # fmt: skip
        return Response(_image_body(request, image), status=status.HTTP_201_CREATED)


class PropertyImageOrderView(OrgViewMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.ImageOrderSerializer,
        responses={200: s.PropertyImageSerializer(many=True), 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND,
                   409: ARCHIVED},
    )  # fmt: skip
    def put(self, request: Request, property_id: Any) -> Response:
        """Put the whole gallery in a new order in one request: exactly the listing's images, each once."""
        _listing(request, property_id)
        data = validated(s.ImageOrderSerializer, request.data)
        images = services.images_reorder(
            org=self.org, actor=self.actor, property_id=property_id, image_ids=data["image_ids"]
        )
        return Response(s.PropertyImageSerializer(images, many=True, context={"org": self.org}).data)


class PropertyImageDetailView(OrgViewMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses={200: s.PropertyImageSerializer, 404: NOT_FOUND})
    def get(self, request: Request, property_id: Any, image_id: Any) -> Response:
        image = selectors.image_of(org=self.org, listing=_listing(request, property_id), image_id=image_id)
        return Response(_image_body(request, image))

    @extend_schema(
        request=s.ImageChangeSerializer,
        responses={200: s.PropertyImageSerializer, 400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: ARCHIVED},
    )
    def patch(self, request: Request, property_id: Any, image_id: Any) -> Response:
        """Change the caption or the alt text."""
        selectors.image_of(org=self.org, listing=_listing(request, property_id), image_id=image_id)
        data = validated(s.ImageChangeSerializer, request.data)
        image = services.image_update(
            org=self.org, actor=self.actor, property_id=property_id, image_id=image_id, data=data
        )
        return Response(_image_body(request, image))

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND, 409: ARCHIVED})
    def delete(self, request: Request, property_id: Any, image_id: Any) -> Response:
        """Remove the image; its files leave storage once this commits, and the next image moves up."""
        services.image_delete(org=self.org, actor=self.actor, property_id=property_id, image_id=image_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PropertyImageFileView(OrgViewMixin, APIView):
    @extend_schema(
        responses={(200, "image/*"): IMAGE_FILE, 404: OpenApiResponse(
            description="No such image for you, or no such variant yet (`variant_pending` while it is made).")},
    )  # fmt: skip
    def get(self, request: Request, property_id: Any, image_id: Any, variant: str) -> Any:
        """One file of an image: `original` or a variant (thumbnail, medium, large, enhanced...), shown inline.
        Never cached by shared caches: it is only for members."""
        image = selectors.image_of(org=self.org, listing=_listing(request, property_id), image_id=image_id)
        found = image.variant_file(variant) if variant in Variant.values else None
        if found is None:
            if variant in Variant.values and image.variants_status == VariantsStatus.PENDING:
                raise NotFound("The variants of this image are still being made.", code="variant_pending")
            raise NotFound()
        name, content_type = found
        stem = image.file_name.rpartition(".")[0] or image.file_name
        extension = "webp" if variant != Variant.ORIGINAL else image.file_name.rpartition(".")[2]
        return _file_response(
            image.original.storage, name, content_type, f"{stem}-{variant}.{extension}", "private, max-age=300"
        )


class PropertyImageEnhancementsView(OrgViewMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses={200: s.EnhancementJobSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, property_id: Any, image_id: Any) -> Response:
        """The image's enhancement jobs, newest first."""
        image = selectors.image_of(org=self.org, listing=_listing(request, property_id), image_id=image_id)
        return Response(
            s.EnhancementJobSerializer(selectors.enhancement_jobs_of(org=self.org, image=image), many=True).data
        )

    @extend_schema(
        request=None,
        responses={
            202: s.EnhancementJobSerializer, 403: FORBIDDEN, 404: NOT_FOUND,
            409: OpenApiResponse(description="`enhancement_disabled` (no service configured), "
                                             "`enhancement_in_progress` or `archived`."),
        },
    )  # fmt: skip
    def post(self, request: Request, property_id: Any, image_id: Any) -> Response:
        """Send the image to the enhancement service (owners and admins). Poll the job; when it completes the
        image has `enhanced` variants, and the requester gets a notification either way."""
        job = services.enhancement_request(
            org=self.org, actor=self.actor, property_id=property_id, image_id=image_id
        )
        return Response(s.EnhancementJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class PropertyImageEnhancementDetailView(OrgViewMixin, APIView):
    @extend_schema(responses={200: s.EnhancementJobSerializer, 404: NOT_FOUND})
    def get(self, request: Request, property_id: Any, image_id: Any, job_id: Any) -> Response:
        image = selectors.image_of(org=self.org, listing=_listing(request, property_id), image_id=image_id)
        job = selectors.enhancement_job_of(org=self.org, image=image, job_id=job_id)
        return Response(s.EnhancementJobSerializer(job).data)


# --- Public: no user, no org header ------------------------------------------------------------------------


class PublicImageFileView(APIView):
    """A published listing's photo by its image's random token. Anything else (an unknown slug or token,
    another org's token, an unpublished or archived listing, the original) is the same 404."""

    # The token is the credential; a bearer token here means nothing.
    authentication_classes: list[type] = []

    @extend_schema(
        responses={(200, "image/webp"): IMAGE_FILE, 404: OpenApiResponse(description="Not found.")}, auth=[]
    )
    def get(self, request: Request, org_slug: str, token: str, variant: str) -> Any:
        found = selectors.public_file(org_slug=org_slug, token=token, variant=variant)
        # Short, so unpublishing takes effect within minutes even where a CDN keeps copies.
        response = _file_response(
            found.storage, found.name, found.content_type, f"{variant}.webp", "public, max-age=300"
        )
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response


class EnhancementCallbackView(APIView):
    """The enhancement service's answer about one job, signed with the shared secret (see
    docs/property-media.md). Unsigned, wrongly signed or stale: 401; a replay or a finished job: 409."""

    authentication_classes: list[type] = []
    # The raw body is what is signed, so it is read as sent; JSON is the only body the service sends.
    parser_classes = [JSONParser]

    @extend_schema(
        request=s.EnhancementCallbackSerializer,
        responses={
            200: s.EnhancementCallbackReceiptSerializer, 202: s.EnhancementCallbackReceiptSerializer,
            400: INVALID,
            401: OpenApiResponse(description="signature_missing, signature_invalid or signature_expired."),
            404: OpenApiResponse(description="No such org or job."),
            409: OpenApiResponse(description="callback_replayed, callback_already_received or job_finished."),
        },
        auth=[],
    )  # fmt: skip
    def post(self, request: Request, org_id: Any, job_id: Any) -> Response:
        raw = request._request.body
        signature = services.enhancement_callback_verify(body=raw, signature=request.headers.get(HEADER))
        result = validated(s.EnhancementCallbackSerializer, services.callback_body(raw))
        job, is_fetching = services.enhancement_callback_apply(
            org_id=org_id, job_id=job_id, signature=signature, result=result
        )
        answer = {"job_id": str(job.pk), "status": job.status}
        return Response(answer, status=status.HTTP_202_ACCEPTED if is_fetching else status.HTTP_200_OK)
