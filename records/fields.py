"""Serializer fields for relations: every id a client sends is resolved inside the request's org.

An id from another org (or one the caller may not see) gets the same `does_not_exist` field error as a random
id, so nothing about other orgs can be learned from the answer.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.codes import COUNTRY_HELP, is_country
from common.models import Profile
from records.visibility import visible_records
from tenants.pipeline.context import org_request


class OrgScopedRelatedField(serializers.PrimaryKeyRelatedField):
    def __init__(self, model: Any, **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("queryset", model.all_orgs_unsafe.none())  # replaced per request in get_queryset
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        caller = org_request(self.context["request"])
        queryset = self.model.objects.for_org(caller.org).filter(archived_at__isnull=True)
        return visible_records(queryset, caller.profile)

    def to_representation(self, value: Any) -> Any:
        return str(value.pk) if hasattr(value, "pk") else str(value)


def active_profiles_of(org: Any) -> Any:
    return Profile.objects.filter(org=org, is_active=True, removed_at__isnull=True)


class OrgProfileField(serializers.UUIDField):
    """One member of the request's org, by profile id; stored as the id."""

    default_error_messages = {"does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.'}

    def to_internal_value(self, data: Any) -> uuid.UUID:
        value = super().to_internal_value(data)
        if not active_profiles_of(org_request(self.context["request"]).org).filter(pk=value).exists():
            self.fail("does_not_exist", pk_value=value)
        return value


class OrgProfileListField(serializers.ListField):
    """Members of the request's org, by profile id (for `assigned_to`); one query for the whole list."""

    default_error_messages = {"does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.'}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.UUIDField())
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[uuid.UUID]:
        values = list(dict.fromkeys(super().to_internal_value(data)))  # de-duplicated, order kept
        known = set(
            active_profiles_of(org_request(self.context["request"]).org)
            .filter(pk__in=values)
            .values_list("pk", flat=True)
        )
        for value in values:
            if value not in known:
                self.fail("does_not_exist", pk_value=value)
        return values


class TagListField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.CharField(max_length=50, trim_whitespace=True))
        kwargs.setdefault("max_length", 50)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        return sorted({tag.strip().lower() for tag in super().to_internal_value(data) if tag.strip()})


class CountryField(serializers.CharField):
    """An ISO 3166-1 alpha-2 country code, any case in, upper case stored; blank for none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("help_text", COUNTRY_HELP)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        code = super().to_internal_value(data).strip().upper()
        if code and not is_country(code):
            raise serializers.ValidationError(f"Not a known country. {COUNTRY_HELP}", code="invalid")
        return code


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "Custom field values by key, as the org's custom field definitions for this module say.",
    }
)
class CustomValuesField(serializers.JSONField):
    """The custom values of a record: an object of key to value (the definitions check each value)."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Send an object of custom field keys and values.", code="invalid")
        return value
