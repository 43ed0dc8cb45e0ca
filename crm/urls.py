from django.contrib import admin
from django.urls import include, path, re_path

from common.health import health, live, ready
from crm.metrics import metrics
from tenants.link_pages import accept_invite_page, reset_password_page, verify_email_page

handler400 = "common.errors.bad_request_view"
handler403 = "common.errors.permission_denied_view"
handler404 = "common.errors.not_found_view"
handler500 = "common.errors.server_error_view"

urlpatterns = [
    path("api/", include("crm.api")),
    path("health/", health, name="health"),
    # Probes are configured with or without the slash; both answer, neither redirects.
    re_path(r"^health/live/?$", live, name="health-live"),
    re_path(r"^health/ready/?$", ready, name="health-ready"),
    re_path(r"^metrics/?$", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    # The pages emailed links open (tenants.link_pages).
    path("verify-email", verify_email_page, name="link-verify-email"),
    path("reset-password", reset_password_page, name="link-reset-password"),
    path("accept-invite", accept_invite_page, name="link-accept-invite"),
]
