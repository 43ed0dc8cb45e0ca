"""Request and response shapes of listing images, their addresses and enhancement jobs."""

from __future__ import annotations

from typing import Any

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from properties.media import selectors
from properties.media.models import PUBLIC_VARIANTS, EnhancementJob, PropertyImage, Variant
from properties.models import Property

_VARIANT_HELP = "Null until the variant exists."


def _urls_serializer(name: str, variants: Any, help_text: str) -> type[serializers.Serializer]:
    fields = {str(v): serializers.CharField(allow_null=True, help_text=help_text) for v in variants}
    return type(name, (serializers.Serializer,), fields)


ImageUrlsSerializer = _urls_serializer(
    "PropertyImageUrls",
    Variant,
    f"The authorized download address (needs the bearer token and org). {_VARIANT_HELP}",
)
PublicImageUrlsSerializer = _urls_serializer(
    "PropertyImagePublicUrls", PUBLIC_VARIANTS, f"The public address, no credentials. {_VARIANT_HELP}"
)


class ImageSummarySerializer(serializers.ModelSerializer):
    """A listing's cover on listing rows: enough to show it."""

    urls = serializers.SerializerMethodField()

    class Meta:
        model = PropertyImage
        fields = ["id", "variants_status", "alt_text", "width", "height", "urls"]
        read_only_fields = fields

    @extend_schema_field(ImageUrlsSerializer)
    def get_urls(self, image: PropertyImage) -> dict[str, str | None]:
        return selectors.private_urls_of(image)


class PropertyImageSerializer(serializers.ModelSerializer):
    is_cover = serializers.BooleanField(read_only=True, help_text="The first image of the gallery is the cover.")
    urls = serializers.SerializerMethodField()
    public_urls = serializers.SerializerMethodField(
        help_text="While the listing is published and not archived: addresses anyone may open; else null."
    )

    class Meta:
        model = PropertyImage
        fields = ["id", "property", "position", "is_cover", "caption", "alt_text", "file_name", "content_type",
                  "width", "height", "size", "variants_status", "variants_error", "urls", "public_urls",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "variants_status": {"help_text": "pending until the worker made the variants; failed with a reason."},
            "variants_error": {"help_text": "Why the variants could not be made (failed only)."},
            "width": {"help_text": "Of the original, upright (its EXIF orientation applied)."},
        }

    @extend_schema_field(ImageUrlsSerializer)
    def get_urls(self, image: PropertyImage) -> dict[str, str | None]:
        return selectors.private_urls_of(image)

    @extend_schema_field(PublicImageUrlsSerializer(allow_null=True))
    def get_public_urls(self, image: PropertyImage) -> dict[str, str | None] | None:
        return selectors.public_urls_of(self.context["org"], image, image.property)


class ImageUploadSerializer(serializers.Serializer):
    # Checked by the service after the listing: a caller who may not change the listing learns nothing of the file.
    file = serializers.FileField(
        required=False, allow_empty_file=True, help_text="A JPEG, PNG or WebP photo; checked by content."
    )
    caption = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    alt_text = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the photo shows, for screen readers.",
    )


class ImageChangeSerializer(serializers.Serializer):
    caption = serializers.CharField(max_length=300, required=False, allow_blank=True)
    alt_text = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ImageOrderSerializer(serializers.Serializer):
    image_ids = serializers.ListField(
        child=serializers.UUIDField(),
        max_length=500,
        help_text="Every image of the listing, each once, in the new order; the first becomes the cover.",
    )


class EnhancementJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnhancementJob
        fields = ["id", "image", "status", "error", "requested_by", "created_at", "submitted_at",
                  "callback_received_at", "finished_at"]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "pending -> processing -> completed, failed or timed_out."},
            "error": {"help_text": "Why it failed or timed out."},
        }


class EnhancementCallbackSerializer(serializers.Serializer):
    """What the enhancement service sends back (signed; see docs/property-media.md)."""

    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["completed", "failed"])
    image_url = serializers.URLField(
        max_length=2000, required=False, validators=[URLValidator(schemes=["http", "https"])],
        help_text="With `completed`: where to fetch the enhanced image.",
    )  # fmt: skip
    error = serializers.CharField(max_length=1000, required=False, allow_blank=True, help_text="With `failed`.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["status"] == "completed" and not attrs.get("image_url"):
            raise serializers.ValidationError({"image_url": "A completed job names its image."}, code="required")
        return attrs


class EnhancementCallbackReceiptSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.CharField()


def cover_image_of(listing: Property) -> dict[str, Any] | None:
    """A listing's cover for listing rows and the detail (null without images)."""
    cover = selectors.cover_image_of(listing)
    return ImageSummarySerializer(cover).data if cover is not None else None
