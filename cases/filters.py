"""List filters for cases."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import FINISHED_STATUSES, Case, CasePriority, CaseStatus, CaseType
from records.filters import AnyOfFilter, IsoDateTimeFilter, RecordFilterSet


class CaseFilter(RecordFilterSet):
    status = AnyOfFilter(choices=CaseStatus.choices, help_text="Repeat for several.")
    priority = AnyOfFilter(choices=CasePriority.choices, help_text="Repeat for several.")
    type = AnyOfFilter(choices=CaseType.choices, help_text="Repeat for several.")
    contact = django_filters.UUIDFilter(field_name="contact_id")
    company = django_filters.UUIDFilter(field_name="company_id")
    due_after = IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    first_response_after = IsoDateTimeFilter(field_name="first_response_at", lookup_expr="gte")
    first_response_before = IsoDateTimeFilter(field_name="first_response_at", lookup_expr="lt")
    resolved_after = IsoDateTimeFilter(field_name="resolved_at", lookup_expr="gte")
    resolved_before = IsoDateTimeFilter(field_name="resolved_at", lookup_expr="lt")
    closed_after = IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="true: due in the past and not resolved or closed; false: the rest."
    )
    unassigned = django_filters.BooleanFilter(
        method="filter_unassigned", help_text="true: nobody is assigned; false: somebody is."
    )

    class Meta:
        model = Case
        fields = ["status", "priority", "type", "contact", "company"]

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        overdue = Q(due_at__lt=timezone.now()) & ~Q(status__in=FINISHED_STATUSES)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_unassigned(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(assigned_to__len=0) if value else queryset.exclude(assigned_to__len=0)
