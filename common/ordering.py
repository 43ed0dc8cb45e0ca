"""`?ordering=`: an unknown field is a 400 that lists the allowed ones (never silently ignored), and records
without a value sort last whichever way the list is sorted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter


def nulls_last(term: Any) -> Any:
    """`name` or `-name` as an ORDER BY with NULLs after every value; anything else (an expression) as it is."""
    if not isinstance(term, str):
        return term
    if term.startswith("-"):
        return F(term[1:]).desc(nulls_last=True)
    return F(term).asc(nulls_last=True)


class StrictOrderingFilter(OrderingFilter):
    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: Any, request: Any
    ) -> list[str]:
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        terms = [term for term in fields if term]
        unknown = [term for term in terms if term.lstrip("-") not in valid]
        if unknown:
            detail = (
                f"Cannot sort by {', '.join(unknown)}; sort by any of {', '.join(valid)} "
                "(a leading - sorts descending; separate several with commas)."
            )
            raise ValidationError({self.ordering_param: [ErrorDetail(detail, code="invalid_choice")]})
        return terms

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return queryset.order_by(*(term if isinstance(term, OrderBy) else nulls_last(term) for term in ordering))
