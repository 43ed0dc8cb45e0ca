"""Text fields read text only.

DRF's CharField turns a JSON number into its digits (`{"name": 7}` becomes "7"), so a client that sends the
wrong type never learns it and the schema's `type: string` is not what the API does. Every text field (names,
emails, URLs, slugs, list items) refuses a number instead, as it already refuses a boolean, a list or an
object. Installed once, when the app registry is ready."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

_lenient_to_internal_value = serializers.CharField.to_internal_value


def _text_only(self: serializers.CharField, data: Any) -> str:
    if not isinstance(data, str):
        self.fail("invalid")
    return _lenient_to_internal_value(self, data)


def install() -> None:
    serializers.CharField.to_internal_value = _text_only  # type: ignore[method-assign,assignment]
