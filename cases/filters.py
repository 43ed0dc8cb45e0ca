"""List filters for cases, and ordering that sorts priorities by urgency rather than alphabetically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django.db.models import Case as CaseWhen
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from rest_framework.filters import OrderingFilter

from cases.models import FINISHED_STATUSES, Case, CasePriority, CaseStatus, CaseType
from common.filters import AnyOfFilter, RecordFilterSet


class RankedOrderingFilter(OrderingFilter):
    """`?ordering=` where the view's `ordering_ranks` ({field: [values, lowest first]}) sorts a choice field
    by rank, and the primary key breaks ties so a row never shows up on two pages."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        ranks: dict[str, Sequence[str]] = getattr(view, "ordering_ranks", {})
        terms = [self._ranked(term, ranks) for term in ordering]
        if not any(term in ("id", "-id") for term in ordering):
            terms.append("id")
        return queryset.order_by(*terms)

    @staticmethod
    def _ranked(term: str, ranks: dict[str, Sequence[str]]) -> Any:
        name = term.lstrip("-")
        if name not in ranks:
            return term
        whens = [When(**{name: value}, then=Value(rank)) for rank, value in enumerate(ranks[name])]
        rank = CaseWhen(*whens, default=Value(len(whens)), output_field=IntegerField())
        return rank.desc() if term.startswith("-") else rank.asc()


class CaseFilter(RecordFilterSet):
    status = AnyOfFilter(choices=CaseStatus.choices, help_text="Repeat for several.")
    priority = AnyOfFilter(choices=CasePriority.choices, help_text="Repeat for several.")
    type = AnyOfFilter(choices=CaseType.choices, help_text="Repeat for several.")
    contact = django_filters.UUIDFilter(field_name="contact_id")
    company = django_filters.UUIDFilter(field_name="company_id")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    first_response_after = django_filters.IsoDateTimeFilter(field_name="first_response_at", lookup_expr="gte")
    first_response_before = django_filters.IsoDateTimeFilter(field_name="first_response_at", lookup_expr="lt")
    resolved_after = django_filters.IsoDateTimeFilter(field_name="resolved_at", lookup_expr="gte")
    resolved_before = django_filters.IsoDateTimeFilter(field_name="resolved_at", lookup_expr="lt")
    closed_after = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")
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
