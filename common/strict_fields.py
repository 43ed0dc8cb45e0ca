"""Strict input: text fields read text only, and a body names only fields its serializer has.

DRF's CharField turns a JSON number into its digits (`{"name": 7}` becomes "7"), so a client that sends the
wrong type never learns it and the schema's `type: string` is not what the API does. Every text field (names,
emails, URLs, slugs, list items) refuses a number instead, as it already refuses a boolean, a list or an
object. And DRF ignores a field it does not know, so a client that sends `lead` for `related_id` gets a 201
without the link; every serializer refuses it with 400 `unknown_field` instead. Installed once, when the app
registry is ready."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import empty

_lenient_to_internal_value = serializers.CharField.to_internal_value


def _from_a_form(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    """Forms and query strings carry text only: there "true" is how a box says yes and "" how a choice says none.
    JSON has real booleans and null, so there only those are read."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


def _text_only(self: serializers.CharField, data: Any) -> str:
    if not isinstance(data, str):
        self.fail("invalid")
    return _lenient_to_internal_value(self, data)


_lenient_boolean = serializers.BooleanField.to_internal_value


def _boolean_only(self: serializers.BooleanField, data: Any) -> bool:
    if not isinstance(data, bool) and not _from_a_form(self):
        self.fail("invalid")
    return _lenient_boolean(self, data)


_lenient_related = serializers.RelatedField.run_validation


def _no_blank_ids(self: serializers.RelatedField[Any, Any, Any], data: Any = empty) -> Any:
    """DRF reads "" as null for a link to another record (as a form would send it); in JSON it is no id."""
    if data == "" and not _from_a_form(self):
        raise serializers.ValidationError("Send the record's id, or null for none.", code="invalid")
    return _lenient_related(self, data)


# --- Unknown fields --------------------------------------------------------------------------------------------

_checked_to_internal_value = serializers.Serializer.to_internal_value


def _known_fields_only(self: serializers.Serializer, data: Any) -> Any:
    """A body naming a field the serializer does not have is refused before anything else is read: a client that
    sends `lead` for `related_id` learns it at once, instead of getting a 201 without the link (as Stripe does).
    Read-only fields are known: what a GET answered may be sent back, and is ignored."""
    if isinstance(data, Mapping) and not getattr(self, "accepts_unknown_fields", False):
        unknown = [name for name in data if name not in self.fields]
        if unknown:
            detail = "Not a field of this request."
            raise serializers.ValidationError(
                {name: [serializers.ErrorDetail(detail, code="unknown_field")] for name in unknown}
            )
    return _checked_to_internal_value(self, data)


def lenient_serializers() -> list[type[serializers.Serializer]]:
    """Every serializer that takes unknown fields and ignores them (`accepts_unknown_fields = True`)."""
    found: list[type[serializers.Serializer]] = []
    pending: list[type[serializers.Serializer]] = [serializers.Serializer]
    while pending:
        current = pending.pop()
        if current.__dict__.get("accepts_unknown_fields"):
            found.append(current)
        pending.extend(current.__subclasses__())
    return found


def install() -> None:
    serializers.CharField.to_internal_value = _text_only  # type: ignore[method-assign,assignment]
    serializers.Serializer.to_internal_value = _known_fields_only  # type: ignore[method-assign,assignment]
    serializers.BooleanField.to_internal_value = _boolean_only  # type: ignore[method-assign,assignment]
    serializers.RelatedField.run_validation = _no_blank_ids  # type: ignore[method-assign,assignment]
