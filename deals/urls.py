"""Routes of deals, pipelines and stages, with their rows of the authorization table."""

from django.urls import path

from common.access import ADMINS, ALL_ROLES, RouteAccess, Scope
from deals.views import (
    PipelineDetailView,
    PipelineListView,
    PipelineStagesView,
    StageDetailView,
    StageReorderView,
)

urlpatterns = [
    path("pipelines/", PipelineListView.as_view(), name="pipelines"),
    path("pipelines/<uuid:pipeline_id>/", PipelineDetailView.as_view(), name="pipeline-detail"),
    path("pipelines/<uuid:pipeline_id>/stages/", PipelineStagesView.as_view(), name="pipeline-stages"),
    path(
        "pipelines/<uuid:pipeline_id>/stages/reorder/", StageReorderView.as_view(), name="pipeline-stages-reorder"
    ),
    path(
        "pipelines/<uuid:pipeline_id>/stages/<uuid:stage_id>/",
        StageDetailView.as_view(),
        name="pipeline-stage-detail",
    ),
]

ROUTES = {
    "pipelines": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": ADMINS}),
    "pipeline-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ADMINS, "DELETE": ADMINS}),
    "pipeline-stages": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": ADMINS}),
    "pipeline-stage-detail": RouteAccess(Scope.TENANT, {"PATCH": ADMINS, "DELETE": ADMINS}),
    "pipeline-stages-reorder": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
}
