"""Serializer fields other modules use to point at listings and spaces (deals, leads), scoped to the org."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from properties.models import Property, Space
from records.fields import OrgScopedRelatedField
from tenants.pipeline.context import org_request


class PropertyRelatedField(OrgScopedRelatedField):
    """A live listing of the request's org; another org's is the same "does not exist" as a random id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Property, **kwargs)


class SpaceRelatedField(serializers.PrimaryKeyRelatedField):
    """A space of a live listing of the request's org."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Space.all_orgs_unsafe.none())  # replaced per request in get_queryset
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        org = org_request(self.context["request"]).org
        return Space.objects.for_org(org).filter(property__archived_at__isnull=True).select_related("property")

    def to_representation(self, value: Any) -> Any:
        return str(value.pk) if hasattr(value, "pk") else str(value)


class ListingSummarySerializer(serializers.ModelSerializer):
    """How a deal or lead shows the listing it points at."""

    class Meta:
        model = Property
        fields = ["id", "reference", "title", "status", "city"]
        read_only_fields = fields
