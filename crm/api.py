"""The API router: every module's routes under /api/, plus the OpenAPI schema and its viewers.

Each module in API_MODULES has `urlpatterns` and `ROUTES` (its rows of the authorization table, by route name);
crm.access gathers the rows, and the suite checks that every route has one.
"""

from importlib import import_module

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

app_name = "api"

API_MODULES = [
    "tenants.urls",
    "tenants.members_api",
    "contacts.urls",
    "leads.urls",
    "deals.urls",
    "cases.urls",
    "tasks.urls",
    "timeline.urls",
    "customfields.urls",
    "tenants.two_factor_api",
    "tenants.platform_api",
    "tenants.onboarding_api",
]

urlpatterns = [
    *[path("", include(import_module(module).urlpatterns)) for module in API_MODULES],
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
