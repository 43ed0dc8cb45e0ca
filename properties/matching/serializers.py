"""Request and response shapes of saved searches, requirements, their matches and the unsubscribe link."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from contacts.models import Contact
from properties.matching.criteria import SUPPORTED
from properties.matching.models import Frequency, NoticeKind, SavedSearch
from properties.models import Property
from records.fields import OrgScopedRelatedField

CRITERIA_HELP = (
    "The filters of `GET /api/properties/` (same names, values and meanings): "
    + ", ".join(SUPPORTED)
    + ". `type`, `status`, `city`, `region` and `postal_code` may be lists (any of them); `amenities` and `tags`"
    " a list or a comma-separated string. No `status`: active listings. Replaced as a whole on a change."
)


class SavedSearchSerializer(serializers.ModelSerializer):
    """A saved search as read back: `owner` for a member's own search, `contact` for a requirement."""

    owner = serializers.UUIDField(source="owner_id", read_only=True, allow_null=True)
    contact = serializers.UUIDField(source="contact_id", read_only=True, allow_null=True)
    contact_name = serializers.SerializerMethodField()
    criteria = serializers.DictField(read_only=True, help_text=CRITERIA_HELP)

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "owner", "contact", "contact_name", "frequency", "email_enabled", "is_active",
                  "criteria", "last_digest_at", "created_at", "updated_at", "created_by"]  # fmt: skip
        read_only_fields = fields

    def get_contact_name(self, search: SavedSearch) -> str | None:
        return str(search.contact) if search.contact is not None else None


class SavedSearchWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    email_enabled = serializers.BooleanField(
        required=False,
        help_text="A member's search: email the member (default on). A requirement: email the contact "
        "(default off).",
    )
    is_active = serializers.BooleanField(required=False, help_text="A paused search matches nothing.")
    criteria = serializers.DictField(required=False, help_text=CRITERIA_HELP)
    contact = OrgScopedRelatedField(
        Contact, required=False, allow_null=True, help_text="Makes the search a requirement of this contact."
    )

    def validate_contact(self, contact: Contact | None) -> Contact | None:
        if self.instance is not None or self.partial:
            raise serializers.ValidationError(
                "A search's contact cannot change; save a new requirement instead.", code="read_only"
            )
        return contact


class ListingMatchSerializer(serializers.ModelSerializer):
    """A listing a saved search was told about, with when and why it was last told."""

    matched_at = serializers.DateTimeField()
    match_kind = serializers.ChoiceField(choices=NoticeKind.choices)

    class Meta:
        model = Property
        fields = ["id", "reference", "title", "property_type", "listing_type", "status", "city", "region",
                  "postal_code", "latitude", "longitude", "asking_price", "lease_rate", "currency", "bedrooms",
                  "floor_area_sqm", "amenities", "is_published", "matched_at", "match_kind"]  # fmt: skip
        read_only_fields = fields


class InterestedSearchSerializer(SavedSearchSerializer):
    """A saved search or requirement a listing satisfies, and when it was last told about the listing."""

    notified_at = serializers.DateTimeField(allow_null=True, help_text="Null: not told about this listing yet.")

    class Meta(SavedSearchSerializer.Meta):
        fields = [*SavedSearchSerializer.Meta.fields, "notified_at"]
        read_only_fields = fields


class UnsubscribedSerializer(serializers.Serializer):
    search = serializers.CharField(help_text="The saved search's name.")
    email_enabled = serializers.BooleanField()
    detail = serializers.CharField()


def unsubscribed(search: SavedSearch) -> dict[str, Any]:
    return {"search": search.name, "email_enabled": search.email_enabled,
            "detail": f'You will get no more emails for "{search.name}".'}  # fmt: skip
