"""The API root: every installed module's routes under /api/, from the registry, plus the OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from common import registry

app_name = "api"

record_router = SimpleRouter()
for api in registry.record_apis():
    record_router.register(api.prefix, api.viewset_class(), basename=api.prefix)

urlpatterns = [
    *[path("", include(module.urlpatterns)) for module in registry.url_modules()],
    *record_router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/", SpectacularRedocView.as_view(url_name="api:schema", template_name="crm/redoc.html"), name="redoc"
    ),
]
