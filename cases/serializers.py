"""Request and response shapes of cases."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.models import Case
from contacts.models import Company, Contact
from records.fields import OrgScopedRelatedField
from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer


class KeptLinkRelatedField(OrgScopedRelatedField):
    """A case's contact or company is resolved like any related id, except that the link the case already has
    may be sent back unchanged even when the caller cannot see that record: a member assigned a case about
    somebody else's contact can save the case as they loaded it. Nothing new is disclosed or linked."""

    def to_internal_value(self, data: Any) -> Any:
        case = getattr(self.parent, "instance", None)
        assert self.source is not None  # a bound field's source defaults to its name
        current = getattr(case, self.source, None) if isinstance(case, Case) else None
        if current is not None and str(data) == str(current.pk):
            return current
        return super().to_internal_value(data)


class CaseContactSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "email", "phone"]
        read_only_fields = fields


class CaseCompanySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name"]
        read_only_fields = fields


class CaseSerializer(RecordSerializer):
    contact = KeptLinkRelatedField(Contact, required=False, allow_null=True)
    company = KeptLinkRelatedField(Company, required=False, allow_null=True)
    contact_summary = CaseContactSummarySerializer(source="contact", read_only=True, allow_null=True)
    company_summary = CaseCompanySummarySerializer(source="company", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True, help_text="Due in the past and not resolved or closed.")

    class Meta:
        model = Case
        fields = [
            "id", "subject", "description", "status", "priority", "type", "contact", "contact_summary", "company",
            "company_summary", "due_at", "is_overdue", "first_response_at", "resolved_at", "closed_at",
            *RECORD_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["id", "first_response_at", "resolved_at", "closed_at", *RECORD_READ_ONLY]
