"""Routes of imports and the org export, with their rows of the authorization table."""

from django.urls import path

from common.access import MANAGERS, OWNERS, Audience, RouteAccess, Scope
from imports import views

JOB = "imports/<uuid:job_id>"

urlpatterns = [
    path("imports/", views.ImportsView.as_view(), name="imports"),
    path(f"{JOB}/", views.ImportDetailView.as_view(), name="import-detail"),
    path(f"{JOB}/preview/", views.ImportPreviewView.as_view(), name="import-preview"),
    path(f"{JOB}/start/", views.ImportStartView.as_view(), name="import-start"),
    path(f"{JOB}/cancel/", views.ImportCancelView.as_view(), name="import-cancel"),
    path(f"{JOB}/undo/", views.ImportUndoView.as_view(), name="import-undo"),
    path(f"{JOB}/rows/", views.ImportRowsView.as_view(), name="import-rows"),
    path(f"{JOB}/failed-rows/", views.ImportFailedRowsView.as_view(), name="import-failed-rows"),
    path("org-exports/", views.OrgExportsView.as_view(), name="org-exports"),
    path("org-exports/<uuid:export_id>/", views.OrgExportDetailView.as_view(), name="org-export-detail"),
    path("public/org-exports/<str:token>/", views.OrgExportDownloadView.as_view(), name="org-export-download"),
    path("platform/orgs/<uuid:org_id>/export/", views.PlatformOrgExportView.as_view(), name="platform-org-export"),
]

# Imports write many records at once and their reports hold every row of the file: managers and above.
ROUTES = {
    "imports": RouteAccess(Scope.TENANT, {"GET": MANAGERS, "POST": MANAGERS}),
    "import-detail": RouteAccess(Scope.TENANT, {"GET": MANAGERS, "PATCH": MANAGERS}),
    "import-preview": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "import-start": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "import-cancel": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "import-undo": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "import-rows": RouteAccess(Scope.TENANT, {"GET": MANAGERS}),
    "import-failed-rows": RouteAccess(Scope.TENANT, {"GET": MANAGERS}),
    # The whole org leaves with an export: its owners only.
    "org-exports": RouteAccess(Scope.TENANT, {"POST": OWNERS}),
    "org-export-detail": RouteAccess(Scope.TENANT, {"GET": OWNERS}),
    "org-export-download": RouteAccess(
        Scope.PUBLIC, {"GET": Audience.ANYONE}, reason="A signed, short-lived link is the credential."
    ),
    "platform-org-export": RouteAccess(
        Scope.PLATFORM, {"GET": Audience.AUTHENTICATED, "POST": Audience.AUTHENTICATED}
    ),
}
