"""drf-spectacular hooks: document only /api/ routes, and declare the `org` header on every tenant route."""

from __future__ import annotations

from typing import Any

from django.urls import resolve

from common.access import Scope
from common.registry import route_access

ORG_HEADER = {
    "name": "org",
    "in": "header",
    "required": True,
    "description": "The organisation this request acts in: its id (UUID) or slug.",
    "schema": {"type": "string"},
}


def only_api_routes(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


def _example_path(path: str) -> str:
    """Turn `/api/things/{id}/` into a path the resolver accepts, to find the route's name."""
    import re

    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)


def declare_org_header(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    for path, operations in result.get("paths", {}).items():
        access = route_access(resolve(_example_path(path)).view_name)
        if access is None or access.scope != Scope.TENANT:
            continue
        for operation in operations.values():
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "org" and p.get("in") == "header" for p in parameters):
                parameters.insert(0, dict(ORG_HEADER))
    return result
