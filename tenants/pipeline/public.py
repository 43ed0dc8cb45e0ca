"""Public routes of one org named in the URL (`/api/public/orgs/<org_slug>/...`): an agency's website calls them
with no user and no org header.

The view runs in the org's schema; an unknown, suspended or deleting org is the same 404 as a missing record.
Browsers get CORS headers only for the exact origins the org lists in its settings (`public_origins`); every
other origin gets an answer the browser will not hand to the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.utils.cache import patch_vary_headers
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.context import org_context
from tenants.models import Org, OrgStatus

CORS_MAX_AGE_SECONDS = 600


def public_org_by_slug(slug: Any) -> Org | None:
    return Org.objects.filter(slug=str(slug), status=OrgStatus.ACTIVE).first()


class PublicOrgView(APIView):
    """Base of a public route with `<org_slug>` in its URL; handlers read the org as `self.public_org`."""

    # No user: a bearer token sent here means nothing and is not looked at.
    authentication_classes: list[type] = []
    public_org: Org
    _found: Org | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self._found = public_org_by_slug(kwargs.get("org_slug"))
        if self._found is None:
            return super().dispatch(request, *args, **kwargs)  # `initial` answers the 404 in the envelope
        self.public_org = self._found
        with org_context(self._found):
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self._found is None:
            raise NotFound()

    def options(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        """A browser's CORS preflight: headers only (added below when the origin is the org's)."""
        return Response(status=status.HTTP_204_NO_CONTENT)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin")
        if origin and self._found is not None and origin in (self._found.public_origins or []):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
        # Caches must not hand one origin's answer (with or without the header) to another.
        patch_vary_headers(response, ["Origin"])
        return response
