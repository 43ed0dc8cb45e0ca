"""The product's routes plus two identical no-op views, one public and one tenant, to isolate tenancy cost."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class NoopView(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("", include("crm.urls")),
    path("bench/public/", NoopView.as_view(), name="bench-public"),
    path("bench/tenant/", NoopView.as_view(), name="bench-tenant"),
]
