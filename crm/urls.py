from django.contrib import admin
from django.urls import include, path

from common.health import health

handler400 = "common.errors.bad_request_view"
handler403 = "common.errors.permission_denied_view"
handler404 = "common.errors.not_found_view"
handler500 = "common.errors.server_error_view"

urlpatterns = [
    path("api/", include("crm.api")),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
]
