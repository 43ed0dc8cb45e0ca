"""Query filters that never ignore what they were sent.

django-filter drops a filter whose value it cannot read: `?unread=perhaps` or `?updated_before=` filter nothing
and the client gets every row as if it had asked for that. A value that is not what the parameter documents (a
boolean, a date, an id, a number) is a 400 field error instead; a blank text filter still means "any"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ValidationError

# Form fields whose blank value is a real value ("" is text); every other kind needs something to read.
_TEXT_FIELDS = (forms.CharField,)


def _unread(field: forms.Field, raw: list[str], cleaned: Any) -> bool:
    if not raw:
        return False
    if isinstance(field, forms.NullBooleanField):
        return any(value.strip().lower() not in ("true", "false") for value in raw)
    if isinstance(field, _TEXT_FIELDS) and not isinstance(field, forms.UUIDField):
        return False
    return cleaned in (None, "", [], ()) or any(value.strip() == "" for value in raw)


def strictly_filtered(filterset: Any, request: Any) -> QuerySet[Any]:
    """The filterset's rows, or a 400 naming every parameter it could not read."""
    if not filterset.is_valid():
        raise utils.translate_validation(filterset.errors)
    unread = {
        name: [ErrorDetail("This value cannot be read here: leave the parameter out for any.", code="invalid")]
        for name, field in filterset.form.fields.items()
        if _unread(field, request.query_params.getlist(name), filterset.form.cleaned_data.get(name))
    }
    if unread:
        raise ValidationError(unread)
    result: QuerySet[Any] = filterset.qs
    return result


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        return strictly_filtered(filterset, request)


def query_flag(request: Any, name: str) -> bool:
    """A boolean query parameter read by hand: `true` or `false` (any case), absent is false, anything else is
    a 400 field error rather than a silent false."""
    values = request.query_params.getlist(name)
    if not values:
        return False
    if any(value.strip().lower() not in ("true", "false") for value in values):
        raise ValidationError({name: [ErrorDetail("Send true or false.", code="invalid")]})
    return values[-1].strip().lower() == "true"
