"""The product's routes, two identical no-op views (one public, one tenant) to isolate tenancy cost, and the bare
framework baseline (benchmarks.bare) under /bare/. The benchmark's routes join the authorization table here, so
the in-process benchmarks and a server started on benchmarks.settings_production both know them."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from benchmarks.bare import BARE_MODELS, bare_routes, bare_viewset
from common.access import ALL_ROLES, Audience, RouteAccess, Scope
from common.registry import route_table


class NoopView(APIView):
    def get(self, request):
        return Response({"ok": True})


bare_router = SimpleRouter()
for prefix, model in BARE_MODELS.items():
    bare_router.register(prefix, bare_viewset(model), basename=f"bare-{prefix}")

urlpatterns = [
    path("", include("crm.urls")),
    path("bench/public/", NoopView.as_view(), name="bench-public"),
    path("bench/tenant/", NoopView.as_view(), name="bench-tenant"),
    path("bare/", include(bare_router.urls)),
]

route_table().update(
    {
        "bench-public": RouteAccess(Scope.PUBLIC, {"GET": Audience.AUTHENTICATED}),
        "bench-tenant": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
        **bare_routes(),
    }
)
