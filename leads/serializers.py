"""Request and response shapes of leads, their conversion, web forms and web-to-lead submissions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from rest_framework import serializers

from common.fields import CurrencyField
from contacts.models import Company, Contact
from leads.models import Lead, LeadRating, LeadSource, LeadStatus, WebForm
from properties.fields import ListingSummarySerializer, PropertyRelatedField
from records.fields import OrgProfileField, OrgScopedRelatedField, TagListField
from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer

CONVERSION_FIELDS = ["converted_contact", "converted_company", "converted_deal_id", "converted_at", "converted_by"]


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose OpenAPI enum gets its own component name, so it cannot collide with another
    module's `status` (or `source`) choices in the schema."""

    def __init__(self, choices: Any, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def get_name(self) -> str:
        return self.target.enum_name

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema


def _status_field(**kwargs: Any) -> NamedChoiceField:
    return NamedChoiceField(LeadStatus.choices, enum_name="LeadStatusEnum", **kwargs)


def _source_field(**kwargs: Any) -> NamedChoiceField:
    return NamedChoiceField(LeadSource.choices, enum_name="LeadSourceEnum", **kwargs)


class LeadSerializer(RecordSerializer):
    status = _status_field(required=False)
    # DRF's metaclass takes declared fields off the class; the stubs see this one as redefining Field.source.
    source = _source_field(required=False, allow_blank=True)  # type: ignore[assignment]
    rating = NamedChoiceField(LeadRating.choices, enum_name="LeadRatingEnum", required=False, allow_blank=True)
    estimated_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    currency = CurrencyField(required=False, help_text="Defaults to the org's currency.")
    property = PropertyRelatedField(
        source="listing", required=False, allow_null=True, help_text="The listing the lead asked about."
    )
    property_summary = ListingSummarySerializer(source="listing", read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id", "first_name", "last_name", "email", "phone", "title", "company_name", "website", "industry",
            "status", "source", "rating", "estimated_value", "currency", "next_follow_up_at", "description",
            "property", "property_summary", "email_consent_at", "email_consent_source", *CONVERSION_FIELDS,
            *RECORD_FIELDS,
        ]  # fmt: skip
        # Consent is recorded only from the person's own form or inquiry.
        read_only_fields = [
            "id", "email_consent_at", "email_consent_source", *CONVERSION_FIELDS, *RECORD_READ_ONLY,
        ]  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not self.partial and not any(
            attrs.get(name) for name in ("first_name", "last_name", "email", "company_name")
        ):
            raise serializers.ValidationError("Give a name, an email or a company name.", code="required")
        return super().validate(attrs)


class LeadConvertSerializer(serializers.Serializer):
    contact_id = OrgScopedRelatedField(
        Contact, required=False, allow_null=True, help_text="Link this contact instead of matching by email."
    )
    company_id = OrgScopedRelatedField(
        Company, required=False, allow_null=True, help_text="Link this company instead of matching by name."
    )
    create_deal = serializers.BooleanField(default=False)
    deal_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    deal_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True,
        help_text="Defaults to the lead's estimated value.",
    )  # fmt: skip


class ConversionCreatedSerializer(serializers.Serializer):
    contact = serializers.BooleanField()
    company = serializers.BooleanField()
    deal = serializers.BooleanField()


class LeadConversionSerializer(serializers.Serializer):
    lead = LeadSerializer()
    contact_id = serializers.UUIDField(allow_null=True)
    company_id = serializers.UUIDField(allow_null=True)
    deal_id = serializers.UUIDField(allow_null=True)
    created = ConversionCreatedSerializer(help_text="What this call created (all false when repeated).")


class WebFormSerializer(serializers.ModelSerializer):
    default_assignee = OrgProfileField(
        source="default_assignee_id",
        required=False,
        allow_null=True,
        help_text="New leads are created by and assigned to this member.",
    )
    # DRF's metaclass takes declared fields off the class; the stubs see this one as redefining Field.source.
    source = _source_field(required=False, help_text="The source given to leads from this form.")  # type: ignore[assignment]
    tags = TagListField(help_text="Tags given to leads from this form.")

    class Meta:
        model = WebForm
        fields = ["id", "name", "is_active", "default_assignee", "source", "tags", "created_at", "updated_at",
                  "created_by"]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at", "created_by"]


class IssuedWebFormSerializer(WebFormSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once: put it in the form as `form_token`.")

    class Meta(WebFormSerializer.Meta):
        fields = [*WebFormSerializer.Meta.fields, "token"]
        read_only_fields = [*WebFormSerializer.Meta.read_only_fields, "token"]


class WebToLeadSerializer(serializers.Serializer):
    """What a public form (or an integration with an API key) may send. Everything else is decided by the
    form's settings, never by the submitter."""

    # An HTML form on an agency's site posts its submit button and tracking fields too: they are ignored.
    accepts_unknown_fields = True

    form_token = serializers.CharField(
        required=False, max_length=200, help_text="The form's token; not needed with an `Api-Key` header."
    )
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    company_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    website = serializers.URLField(max_length=300, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, help_text="A message.")
    website_url = serializers.CharField(
        required=False, allow_blank=True, help_text="Leave empty: a hidden field that only robots fill in."
    )
    consent = serializers.BooleanField(
        required=False, default=False, help_text="The person agreed to receive marketing email (a ticked box)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("email") or attrs.get("phone")):
            detail = "Give an email or a phone number so we can get back to you."
            raise serializers.ValidationError(
                {
                    "email": [serializers.ErrorDetail(detail, code="required")],
                    "phone": [serializers.ErrorDetail(detail, code="required")],
                }
            )
        if not (attrs.get("first_name") or attrs.get("last_name") or attrs.get("company_name")):
            raise serializers.ValidationError(
                {"last_name": [serializers.ErrorDetail("Give your name or your company's name.", code="required")]}
            )
        return attrs

    def lead_data(self) -> dict[str, Any]:
        skip = {"form_token", "website_url", "consent"}
        data = {key: value.strip() for key, value in self.validated_data.items() if key not in skip}
        return {**data, "consent": bool(self.validated_data.get("consent"))}


class WebToLeadReceiptSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The lead the submission landed on.")


class InquirySerializer(serializers.Serializer):
    """What a visitor sends about a listing. `website_url` is a honeypot: people leave it empty."""

    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    website_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Leave empty (a trap for robots)."
    )
    consent = serializers.BooleanField(
        required=False, default=False, help_text="The visitor agreed to receive marketing email (a ticked box)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and not attrs.get("phone"):
            detail = "Give an email or a phone number to be answered on."
            raise serializers.ValidationError({"email": [serializers.ErrorDetail(detail, "required")]})
        return attrs


class InquiryReceiptSerializer(serializers.Serializer):
    received = serializers.BooleanField()
