"""`OPTIONS` on any API route: what the route is and which bodies it reads, never a server error.

DRF's own metadata also lists each write's serializer fields, which asks every view for a serializer (a view
that builds its bodies by hand has none, and the request ended in a 500). The OpenAPI schema at /api/schema/
already describes every body, so the answer leaves the fields out."""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class RouteMetadata(SimpleMetadata):
    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }
