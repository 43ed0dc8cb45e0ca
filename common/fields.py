"""Serializer fields for standard codes, documented as exactly the values they take (an enum in the schema)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.codes import CURRENCY_HELP, currency_codes, is_currency


@extend_schema_field({"type": "string", "enum": currency_codes()})
class CurrencyField(serializers.CharField):
    """An ISO 4217 currency code; any case in, upper case out."""

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(data)).strip().upper()

    def run_validators(self, value: Any) -> None:
        super().run_validators(value)  # the length first, as for any text
        if not is_currency(value):
            raise serializers.ValidationError(f"Not a known currency. {CURRENCY_HELP}", code="invalid")


@extend_schema_field({"type": "string", "enum": sorted(zoneinfo.available_timezones())})
class TimeZoneField(serializers.CharField):
    """An IANA time zone name (the service that stores it checks it)."""
