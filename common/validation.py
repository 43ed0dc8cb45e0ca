"""Checking client data against a serializer: the one step every view takes before it calls a service."""

from __future__ import annotations

from typing import Any

from rest_framework.serializers import BaseSerializer


def validated(serializer_class: type[BaseSerializer], data: Any) -> dict[str, Any]:
    """The clean values of `data` as a plain dict, or a ValidationError (answered as the 400 envelope)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
