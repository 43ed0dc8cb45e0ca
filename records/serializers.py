"""The base serializer of business records: assignees and tags checked, custom fields validated."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from records.fields import CustomValuesField, OrgProfileListField, TagListField
from records.ports import custom_values
from tenants.pipeline.context import org_request

RECORD_FIELDS = ["assigned_to", "tags", "custom_fields", "archived_at", "created_at", "updated_at", "created_by",
                 "updated_by"]  # fmt: skip
RECORD_READ_ONLY = ["archived_at", "created_at", "updated_at", "created_by", "updated_by"]


class RecordSerializer(serializers.ModelSerializer):
    assigned_to = OrgProfileListField(required=False)
    tags = TagListField()
    custom_fields = CustomValuesField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Custom values are checked against the org's definitions, merged over the stored ones on update, and
        required custom fields are enforced on create too (even when the body has no `custom_fields`)."""
        attrs = super().validate(attrs)
        if "custom_fields" in attrs or (self.instance is None and not self.partial):
            attrs["custom_fields"] = custom_values().validate(
                org=org_request(self.context["request"]).org,
                # drf-stubs types `Meta.model` with a type variable of the serializer it cannot bind (`_MT?`).
                module=self.Meta.model._meta.label_lower,  # type: ignore[attr-defined]
                incoming=attrs.get("custom_fields") or {},
                current=self.instance.custom_fields if self.instance is not None else None,
            )
        return attrs
