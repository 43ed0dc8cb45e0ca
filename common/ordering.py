"""`?ordering=`: an unknown field is a 400 that lists the allowed ones (never silently ignored), and records
without a value sort last whichever way the list is sorted."""

from __future__ import annotations

import re
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


def _name(term: str) -> str:
    return term[1:] if term.startswith("-") else term


class StrictOrderingFilter(OrderingFilter):
    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: Any, request: Any
    ) -> list[str]:
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        terms = list(fields)
        unknown = [term or '""' for term in terms if not term or _name(term) not in valid]
        if unknown:
            detail = (
                f"Cannot sort by {', '.join(unknown)}; sort by any of {', '.join(valid)} "
                "(a leading - sorts descending; separate several with commas)."
            )
            raise ValidationError({self.ordering_param: [ErrorDetail(detail, code="invalid_choice")]})
        return terms

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """The parameter with a pattern of exactly the terms the list sorts by: what it refuses is documented."""
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        names = self._documented_names(view)
        if names:
            term = "-?(?:" + "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + ")"
            for parameter in parameters:
                if parameter.get("name") == self.ordering_param:
                    parameter["schema"] = {**parameter.get("schema", {}), "pattern": f"^(?:{term}(?:,{term})*)?$"}
        return parameters

    def _documented_names(self, view: Any) -> list[str]:
        try:
            queryset = view.get_queryset()
        except Exception:  # a view that needs a real request to build its queryset (the schema has a mock one)
            queryset = getattr(view, "queryset", None)
        try:
            return [name for name, _ in self.get_valid_fields(queryset, view, {"request": view.request})]
        except Exception:  # valid fields only a real queryset can give: the parameter stays a plain string
            return []

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return queryset.order_by(*(term if isinstance(term, OrderBy) else nulls_last(term) for term in ordering))
