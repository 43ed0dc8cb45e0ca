"""Request and response shapes of listings, their spaces and their price history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.fields import CurrencyField
from contacts.models import Company, Contact
from properties.media.serializers import ImageSummarySerializer, cover_image_of
from properties.models import Amenity, PriceChange, Property, Space
from records.fields import CountryField, OrgProfileField, OrgScopedRelatedField
from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer


class KeptLinkRelatedField(OrgScopedRelatedField):
    """A listing's owner or landlord is resolved like any related id, except that the link the listing already
    has may be sent back unchanged even when the caller cannot see that contact: an agent can save a listing
    whose owner somebody else brought in. Nothing new is disclosed or linked."""

    def to_internal_value(self, data: Any) -> Any:
        listing = getattr(self.parent, "instance", None)
        assert self.source is not None  # a bound field's source defaults to its name
        current = getattr(listing, self.source, None) if isinstance(listing, Property) else None
        if current is not None and str(data) == str(current.pk):
            return current
        return super().to_internal_value(data)


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), **kwargs)


def _area(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0), **kwargs)


class PropertySerializer(RecordSerializer):
    reference = serializers.CharField(
        max_length=40, required=False, help_text="Unique in the org, any case; generated when omitted."
    )
    latitude = serializers.FloatField(
        min_value=-90, max_value=90, required=False, allow_null=True, help_text="WGS 84; with longitude."
    )
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True, help_text="WGS 84; with latitude."
    )
    floor_area = _area(required=False, allow_null=True, help_text="In `area_unit`.")
    floor_area_sqm = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)
    lot_size = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True,
        help_text="In `lot_size_unit`.",
    )  # fmt: skip
    lot_size_sqm = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    year_built = serializers.IntegerField(min_value=1000, max_value=2200, required=False, allow_null=True)
    bathrooms = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=Decimal(0), required=False, allow_null=True
    )
    asking_price = _money(required=False, allow_null=True)
    lease_rate = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True,
        help_text="Per `lease_rate_period`, for the whole or per unit of area (`lease_rate_basis`).",
    )  # fmt: skip
    currency = CurrencyField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217; the org's currency when omitted."
    )
    cap_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), required=False,
        allow_null=True, help_text="%",
    )  # fmt: skip
    amenities = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=len(Amenity.values),
        help_text=f"Any of: {', '.join(Amenity.values)}.",
    )  # fmt: skip
    highlights = serializers.ListField(
        child=serializers.CharField(max_length=120),
        required=False,
        max_length=12,
        help_text="Short selling points.",
    )
    listing_agent = OrgProfileField(
        source="listing_agent_id", required=False, help_text="A profile id; default: the creator."
    )
    owner_contact = KeptLinkRelatedField(Contact, required=False, allow_null=True)
    landlord_company = KeptLinkRelatedField(Company, required=False, allow_null=True)
    distance_km = serializers.SerializerMethodField(help_text="With `near`: the great-circle distance; else null.")
    country = CountryField()
    cover_image = serializers.SerializerMethodField(help_text="The gallery's first image, or null without images.")

    class Meta:
        model = Property
        fields = [
            "id", "reference", "title", "property_type", "listing_type", "status", "street", "city", "region",
            "postal_code", "country", "latitude", "longitude", "distance_km", "floor_area", "area_unit",
            "floor_area_sqm", "lot_size", "lot_size_unit", "lot_size_sqm", "year_built", "floors", "units",
            "bedrooms", "bathrooms", "asking_price", "lease_rate", "lease_rate_period", "lease_rate_basis",
            "currency", "cap_rate", "noi", "noi_is_public", "parking_spaces", "amenities", "description",
            "highlights", "listing_agent", "owner_contact", "landlord_company", "is_published", "public_slug",
            "cover_image", *RECORD_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["id", "floor_area_sqm", "lot_size_sqm", "public_slug", *RECORD_READ_ONLY]
        # Reference uniqueness is the service's (case-insensitive) check, with its own field error.
        validators: list[object] = []

    @extend_schema_field(ImageSummarySerializer(allow_null=True))
    def get_cover_image(self, listing: Property) -> dict[str, Any] | None:
        return cover_image_of(listing)

    def get_distance_km(self, listing: Property) -> float | None:
        distance = getattr(listing, "distance_km", None)
        return round(distance, 3) if distance is not None else None

    def validate_amenities(self, amenities: list[str]) -> list[str]:
        unknown = [amenity for amenity in dict.fromkeys(amenities) if amenity not in Amenity.values]
        if unknown:
            names = ", ".join(f'"{amenity}"' for amenity in unknown)
            raise serializers.ValidationError(
                f"Unknown amenity {names}; use any of: {', '.join(Amenity.values)}.", code="invalid_choice"
            )
        return sorted(set(amenities))


class SpaceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, required=False)
    size = _area(required=False, allow_null=True, help_text="In `size_unit`.")
    size_sqm = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)
    rate = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True,
        help_text="In the property's currency, per `rate_period`, for the whole or per unit of area.",
    )  # fmt: skip

    class Meta:
        model = Space
        fields = ["id", "property", "name", "floor", "size", "size_unit", "size_sqm", "rate", "rate_period",
                  "rate_basis", "available_from", "status", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "property", "size_sqm", "created_at", "updated_at"]
        # Name uniqueness per property is the service's check, with its own field error.
        validators: list[object] = []


class PriceChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceChange
        fields = ["id", "field", "old_value", "new_value", "currency", "is_drop", "changed_at", "changed_by"]
        read_only_fields = fields


PIN_FIELDS = ("id", "title", "latitude", "longitude", "property_type", "listing_type", "status", "asking_price",
              "lease_rate", "currency")  # fmt: skip


class PinSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    property_type = serializers.CharField()
    listing_type = serializers.CharField()
    status = serializers.CharField()
    asking_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    lease_rate = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()


class PinsSerializer(serializers.Serializer):
    truncated = serializers.BooleanField(help_text="More listings matched than a map shows: zoom in.")
    pins = PinSerializer(many=True)
