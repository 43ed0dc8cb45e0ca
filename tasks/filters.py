"""List filters for tasks: status, priority, the related record, due dates (today in the org's time zone)."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from records.filters import AnyOfFilter, IsoDateTimeFilter, RecordFilterSet
from tasks.models import FINISHED_STATUSES, RelatedType, Task, TaskPriority, TaskStatus
from tasks.services import org_zone
from tenants.pipeline.context import org_request


class TaskFilter(RecordFilterSet):
    status = AnyOfFilter(choices=TaskStatus.choices, help_text="Repeat for several.")
    priority = AnyOfFilter(choices=TaskPriority.choices, help_text="Repeat for several.")
    related_type = django_filters.ChoiceFilter(choices=RelatedType.choices)
    related_id = django_filters.UUIDFilter()
    due_after = IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    completed_after = IsoDateTimeFilter(field_name="completed_at", lookup_expr="gte")
    completed_before = IsoDateTimeFilter(field_name="completed_at", lookup_expr="lt")
    mine = django_filters.BooleanFilter(
        method="filter_mine", help_text="true: assigned to me or created by me; false: the rest."
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="true: due in the past and not done or cancelled; false: the rest."
    )
    due_today = django_filters.BooleanFilter(
        method="filter_due_today", help_text="true: due today in the org's time zone; false: the rest."
    )

    class Meta:
        model = Task
        fields = ["status", "priority", "related_type", "related_id"]

    @staticmethod
    def _either(queryset: QuerySet[Any], condition: Q, value: bool) -> QuerySet[Any]:
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_mine(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        profile = org_request(self.request).profile
        return self._either(queryset, Q(assigned_to__contains=[profile.pk]) | Q(created_by=profile), value)

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return self._either(queryset, Q(due_at__lt=timezone.now()) & ~Q(status__in=FINISHED_STATUSES), value)

    def filter_due_today(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        zone = org_zone(org_request(self.request).org)
        today = timezone.localdate(timezone.now(), zone)
        # Midnight to midnight on the wall clock, so a DST day is 23 or 25 hours long, as it is for the org.
        start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return self._either(queryset, Q(due_at__gte=start, due_at__lt=end), value)
