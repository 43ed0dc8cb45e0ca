"""Walk the URL resolver: every route of the project, by the view name the authorization table uses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from common.access import RouteAccess, lookup


@dataclass(frozen=True)
class Route:
    view_name: str
    pattern: str


def _walk(patterns: list[URLPattern | URLResolver], namespace: str, prefix: str) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from _walk(entry.url_patterns, inner or namespace, prefix + str(entry.pattern))
        else:
            name = entry.name or "<unnamed>"
            yield Route(f"{namespace}:{name}" if namespace else name, prefix + str(entry.pattern))


def all_routes(urlconf: str | None = None) -> list[Route]:
    return list(_walk(get_resolver(urlconf).url_patterns, "", "/"))


def routes_missing_from(table: dict[str, RouteAccess], urlconf: str | None = None) -> list[Route]:
    return [route for route in all_routes(urlconf) if lookup(table, route.view_name) is None]
