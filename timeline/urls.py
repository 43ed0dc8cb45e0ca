"""Routes of the timeline: comments, attachments and notifications, with their rows of the authorization table."""

from django.urls import path

from common.access import ALL_ROLES, WRITERS, Audience, RouteAccess, Scope
from timeline import views

urlpatterns = [
    path("timeline/comments/", views.CommentListView.as_view(), name="timeline-comments"),
    path(
        "timeline/comments/<uuid:comment_id>/", views.CommentDetailView.as_view(), name="timeline-comment-detail"
    ),
    path("timeline/attachments/", views.AttachmentListView.as_view(), name="timeline-attachments"),
    path(
        "timeline/attachments/<uuid:attachment_id>/",
        views.AttachmentDetailView.as_view(),
        name="timeline-attachment-detail",
    ),
    path(
        "timeline/attachments/<uuid:attachment_id>/download/",
        views.AttachmentDownloadView.as_view(),
        name="timeline-attachment-download",
    ),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/unread-count/", views.UnreadCountView.as_view(), name="notifications-unread-count"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="notifications-read-all"),
    path("notifications/preferences/", views.EmailPreferencesView.as_view(), name="notification-preferences"),
    path(
        "notifications/<uuid:notification_id>/read/",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
]

# Who may write a given comment or file (its author, or owners and admins for deletion) is decided per row by
# the services; the table says which roles may try at all. Reading needs the record to be visible.
ROUTES = {
    "timeline-comments": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "timeline-comment-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "timeline-attachments": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "timeline-attachment-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "DELETE": WRITERS}),
    "timeline-attachment-download": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    # Everyone's own inbox, viewers included.
    "notifications": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "notifications-unread-count": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "notifications-read-all": RouteAccess(Scope.TENANT, {"POST": ALL_ROLES}),
    "notification-read": RouteAccess(Scope.TENANT, {"POST": ALL_ROLES}),
    "notification-preferences": RouteAccess(
        Scope.PUBLIC,
        {"GET": Audience.AUTHENTICATED, "PUT": Audience.AUTHENTICATED},
        reason="A setting of the person (User.email_opt_outs), the same in every org they belong to.",
    ),
}
