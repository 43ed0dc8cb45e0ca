"""Filters every business record list has (tags, assignee, creator, date ranges), and ranked ordering."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import Case as CaseWhen
from django.db.models import IntegerField, QuerySet, Value, When
from django_filters.fields import IsoDateTimeField

from common.dates import as_utc
from common.ordering import StrictOrderingFilter, nulls_last


class _UtcIsoDateTimeField(IsoDateTimeField):
    def clean(self, value: Any) -> Any:
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return as_utc(moment)
        except ValueError:
            raise forms.ValidationError("Enter a valid date/time.", code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO-8601 moment, compared in UTC: an unusual but legal offset is the same instant, and one
    PostgreSQL could not store is a 400 (common.dates)."""

    field_class = _UtcIsoDateTimeField


class AnyOfFilter(django_filters.MultipleChoiceFilter):
    """`?status=a&status=b`: records with any of the values. The column is the record's own, so no DISTINCT:
    django-filter's default for this filter (meant for to-many joins) made every filtered page and its count
    sort and compare whole rows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class RecordFilterSet(django_filters.FilterSet):
    tags = django_filters.CharFilter(method="filter_tags", help_text="Comma-separated; records with any of them.")
    assigned_to = django_filters.UUIDFilter(method="filter_assigned_to", help_text="A profile id.")
    created_by = django_filters.UUIDFilter(field_name="created_by_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")

    def filter_tags(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        tags = [tag.strip().lower() for tag in value.split(",") if tag.strip()]
        return queryset.filter(tags__overlap=tags) if tags else queryset

    def filter_assigned_to(self, queryset: QuerySet[Any], name: str, value: uuid.UUID) -> QuerySet[Any]:
        return queryset.filter(assigned_to__contains=[value])


class RankedOrderingFilter(StrictOrderingFilter):
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
            return nulls_last(term)
        whens = [When(**{name: value}, then=Value(rank)) for rank, value in enumerate(ranks[name])]
        rank = CaseWhen(*whens, default=Value(len(whens)), output_field=IntegerField())
        return rank.desc() if term.startswith("-") else rank.asc()
