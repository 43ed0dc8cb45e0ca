"""Request and response shapes of contacts and companies."""

from __future__ import annotations

from rest_framework import serializers

from contacts.models import Company, Contact
from records.fields import CountryField, OrgScopedRelatedField
from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer

__all__ = ["RECORD_FIELDS", "RECORD_READ_ONLY", "RecordSerializer"]  # re-exported: other modules copied this shape


class CompanySerializer(RecordSerializer):
    country = CountryField()

    class Meta:
        model = Company
        fields = ["id", "name", "domain", "industry", "size", "phone", "website", "street", "city", "region",
                  "postal_code", "country", *RECORD_FIELDS]  # fmt: skip
        read_only_fields = ["id", *RECORD_READ_ONLY]
        # Uniqueness is the service's job (a 409 naming the existing company), not a generic 400.
        validators: list[object] = []


class CompanySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name"]
        read_only_fields = fields


class ContactSerializer(RecordSerializer):
    company = OrgScopedRelatedField(Company, required=False, allow_null=True)
    company_summary = CompanySummarySerializer(source="company", read_only=True, allow_null=True)
    country = CountryField()

    class Meta:
        model = Contact
        fields = [
            "id", "first_name", "last_name", "email", "secondary_email", "phone", "mobile", "title", "company",
            "company_summary", "source", "do_not_contact", "street", "city", "region", "postal_code", "country",
            "email_consent", "email_consent_source", "email_consent_at", *RECORD_FIELDS,
        ]  # fmt: skip
        # Consent changes only through its own route (or the person's unsubscribe), which logs its source.
        read_only_fields = ["id", "email_consent", "email_consent_source", "email_consent_at", *RECORD_READ_ONLY]
        # Uniqueness is the service's job (a 409 naming the existing contact), not a generic 400.
        validators: list[object] = []

    def validate(self, attrs: dict) -> dict:
        if not self.partial and not (attrs.get("first_name") or attrs.get("last_name") or attrs.get("email")):
            raise serializers.ValidationError("Give a name or an email.", code="required")
        return super().validate(attrs)


class MergeSerializer(serializers.Serializer):
    merge_id = serializers.UUIDField(help_text="The record folded into this one; it is archived afterwards.")
