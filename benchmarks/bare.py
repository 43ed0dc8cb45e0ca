"""The bare framework baseline: the product's models behind the plainest DRF views, to hold our requests against.

Each model gets a ModelViewSet with a ModelSerializer of every field, the active org's default manager, DRF's
JSON renderer, the settings' pagination and authentication, and nothing of ours: no visibility, no custom fields, no services, no
ETags. Mounted beside the real routes by benchmarks.urls only; the product never serves them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import filters, renderers, serializers, viewsets

from boards.models import Board
from campaigns.models import Campaign
from common.access import ALL_ROLES, RouteAccess, Scope
from contacts.models import Company, Contact
from deals.models import Deal
from invoices.models import Invoice
from leads.models import Lead
from properties.models import Property
from tenants.pipeline.context import org_request

# URL prefix under /bare/ -> model; the same prefixes as the real routes under /api/.
BARE_MODELS: dict[str, type[Model]] = {
    "leads": Lead,
    "contacts": Contact,
    "companies": Company,
    "deals": Deal,
    "properties": Property,
    "campaigns": Campaign,
    "boards": Board,
    "invoices": Invoice,
}
WHO_WRITES = ("created_by", "updated_by", "archived_by")


def bare_viewset(model: type[Model]) -> type[viewsets.ModelViewSet]:
    field_names = {field.name for field in model._meta.get_fields()}

    class BareSerializer(serializers.ModelSerializer):
        class Meta:
            fields = "__all__"
            read_only_fields = [name for name in WHO_WRITES if name in field_names]

    BareSerializer.Meta.model = model

    class BareViewSet(viewsets.ModelViewSet):
        serializer_class = BareSerializer
        renderer_classes = [renderers.JSONRenderer]  # DRF's own, whatever the product renders with
        # The plain framework's search, as the real list's `?search=` (prefix match there, icontains here).
        filter_backends = [filters.SearchFilter]
        search_fields = ["first_name", "last_name", "email", "phone", "company_name"] if model is Lead else []

        def get_queryset(self) -> QuerySet[Any]:
            queryset = model._default_manager.all()  # the active org's rows
            if self.action == "list":
                if "archived_at" in field_names:
                    queryset = queryset.filter(archived_at__isnull=True)
                params = self.request.query_params
                if "status" in params:
                    queryset = queryset.filter(status=params["status"])
                if "tags" in params:
                    queryset = queryset.filter(tags__contains=[params["tags"]])
            return queryset

        def perform_create(self, serializer: Any) -> None:
            profile = org_request(self.request).profile
            serializer.save(**{name: profile for name in ("created_by", "updated_by") if name in field_names})

        def perform_update(self, serializer: Any) -> None:
            profile = org_request(self.request).profile
            serializer.save(**({"updated_by": profile} if "updated_by" in field_names else {}))

    BareViewSet.__name__ = f"Bare{model.__name__}ViewSet"
    return BareViewSet


def bare_routes() -> dict[str, RouteAccess]:
    """The authorization rows of the bare routes: every role may do everything."""
    everything = dict.fromkeys(("GET", "POST", "PATCH", "PUT", "DELETE"), ALL_ROLES)
    rows = {}
    for prefix in BARE_MODELS:
        rows[f"bare-{prefix}-list"] = RouteAccess(Scope.TENANT, everything)
        rows[f"bare-{prefix}-detail"] = RouteAccess(Scope.TENANT, everything)
    return rows
