"""List filters for campaigns: status, objective, channel, the listings marketed, owner, watcher and dates."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.db.models import QuerySet

from campaigns.models import Campaign, CampaignStatus, Channel, Objective
from records.filters import AnyOfFilter, IsoDateTimeFilter, RecordFilterSet


class CampaignFilter(RecordFilterSet):
    status = AnyOfFilter(choices=CampaignStatus.choices, help_text="Repeat for several.")
    objective = AnyOfFilter(choices=Objective.choices, help_text="Repeat for several.")
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, method="filter_channel", help_text="Campaigns running on this channel."
    )
    property = django_filters.UUIDFilter(method="filter_property", help_text="Campaigns marketing this listing.")
    owner = django_filters.UUIDFilter(field_name="owner_id", help_text="A profile id.")
    watcher = django_filters.UUIDFilter(method="filter_watcher", help_text="A profile id.")
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    ends_after = IsoDateTimeFilter(field_name="ends_at", lookup_expr="gte")
    ends_before = IsoDateTimeFilter(field_name="ends_at", lookup_expr="lt")

    class Meta:
        model = Campaign
        fields = ["status", "objective", "owner"]

    def filter_channel(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(channels__contains=[value])

    def filter_property(self, queryset: QuerySet[Any], name: str, value: uuid.UUID) -> QuerySet[Any]:
        return queryset.filter(property_ids__contains=[value])

    def filter_watcher(self, queryset: QuerySet[Any], name: str, value: uuid.UUID) -> QuerySet[Any]:
        return queryset.filter(watchers__contains=[value])
