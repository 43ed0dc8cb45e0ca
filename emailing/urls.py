"""Routes of email marketing, with their rows of the authorization table."""

from django.urls import path

from common.access import ADMINS, ALL_ROLES, MANAGERS, WRITERS, Audience, RouteAccess, Scope
from emailing import public_views, views

SEND = "email/sends/<uuid:send_id>"
SEGMENT = "email/segments/<uuid:segment_id>"
MESSAGE = "public/orgs/<slug:org_slug>/email/<str:token>"

urlpatterns = [
    path("email/settings/", views.EmailSettingsView.as_view(), name="email-settings"),
    path("email/contacts/<uuid:contact_id>/consent/", views.ContactConsentView.as_view(), name="email-consent"),
    path("email/suppressions/", views.SuppressionsView.as_view(), name="email-suppressions"),
    path(
        "email/suppressions/<uuid:suppression_id>/",
        views.SuppressionDetailView.as_view(),
        name="email-suppression-detail",
    ),
    path("email/segments/", views.SegmentsView.as_view(), name="email-segments"),
    path("email/segments/count/", views.SegmentCountView.as_view(), name="email-segment-count"),
    path(f"{SEGMENT}/", views.SegmentDetailView.as_view(), name="email-segment-detail"),
    path(f"{SEGMENT}/preview/", views.SegmentPreviewView.as_view(), name="email-segment-preview"),
    path(f"{SEGMENT}/members/", views.SegmentMembersView.as_view(), name="email-segment-members"),
    path("email/sends/", views.SendsView.as_view(), name="email-sends"),
    path(f"{SEND}/", views.SendDetailView.as_view(), name="email-send-detail"),
    path(f"{SEND}/preview/", views.SendPreviewView.as_view(), name="email-send-preview"),
    path(f"{SEND}/audience/", views.SendAudienceView.as_view(), name="email-send-audience"),
    path(f"{SEND}/test/", views.SendTestView.as_view(), name="email-send-test"),
    path(f"{SEND}/ai-copy/", views.SendAiCopyView.as_view(), name="email-send-ai-copy"),
    path(f"{SEND}/approve/", views.SendApproveView.as_view(), name="email-send-approve"),
    path(f"{SEND}/start/", views.SendStartView.as_view(), name="email-send-start"),
    path(f"{SEND}/schedule/", views.SendScheduleView.as_view(), name="email-send-schedule"),
    path(f"{SEND}/unschedule/", views.SendUnscheduleView.as_view(), name="email-send-unschedule"),
    path(f"{SEND}/pause/", views.SendPauseView.as_view(), name="email-send-pause"),
    path(f"{SEND}/resume/", views.SendResumeView.as_view(), name="email-send-resume"),
    path(f"{SEND}/cancel/", views.SendCancelView.as_view(), name="email-send-cancel"),
    path(f"{SEND}/retry-unknown/", views.SendRetryUnknownView.as_view(), name="email-send-retry-unknown"),
    path(f"{SEND}/recipients/", views.SendRecipientsView.as_view(), name="email-send-recipients"),
    path(f"{SEND}/report/", views.SendReportView.as_view(), name="email-send-report"),
    path(f"{SEND}/report/csv/", views.SendReportCsvView.as_view(), name="email-send-report-csv"),
    path(f"{MESSAGE}/open.gif", public_views.OpenPixelView.as_view(), name="email-open"),
    path(f"{MESSAGE}/click/<str:position>/", public_views.ClickView.as_view(), name="email-click"),
    path(f"{MESSAGE}/unsubscribe/", public_views.UnsubscribeView.as_view(), name="email-unsubscribe"),
    path("public/email/webhooks/ses/", public_views.SesWebhookView.as_view(), name="email-webhook-ses"),
    path("public/email/webhooks/events/", public_views.EventWebhookView.as_view(), name="email-webhook-events"),
]

_MESSAGE_LINK = "A link in a sent email, signed for one message of this org."
_PROVIDER = "The mail provider's events; the signature in the request is the credential."

# Members draft (sends, segments, test sends); managers and above approve, send, schedule, pause, resume,
# cancel and retry, and keep the suppression list; admins change the org's email settings; viewers read.
ROUTES = {
    "email-settings": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": ADMINS}),
    "email-consent": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "email-suppressions": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": MANAGERS}),
    "email-suppression-detail": RouteAccess(Scope.TENANT, {"DELETE": MANAGERS}),
    "email-segments": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    # Counting an unsaved definition reads; it is a POST only because the definition is a JSON body.
    "email-segment-count": RouteAccess(Scope.TENANT, {"POST": ALL_ROLES}),
    "email-segment-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "email-segment-preview": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "email-segment-members": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "email-sends": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "email-send-detail": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "PATCH": WRITERS, "DELETE": WRITERS}),
    "email-send-preview": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "email-send-audience": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "email-send-test": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "email-send-ai-copy": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES, "POST": WRITERS}),
    "email-send-approve": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-start": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-schedule": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-unschedule": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-pause": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-resume": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-cancel": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-retry-unknown": RouteAccess(Scope.TENANT, {"POST": MANAGERS}),
    "email-send-recipients": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "email-send-report": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "email-send-report-csv": RouteAccess(Scope.TENANT, {"GET": ALL_ROLES}),
    "email-open": RouteAccess(Scope.PUBLIC, {"GET": Audience.ANYONE}, reason=_MESSAGE_LINK),
    "email-click": RouteAccess(Scope.PUBLIC, {"GET": Audience.ANYONE}, reason=_MESSAGE_LINK),
    "email-unsubscribe": RouteAccess(
        Scope.PUBLIC, {"GET": Audience.ANYONE, "POST": Audience.ANYONE}, reason=_MESSAGE_LINK
    ),
    "email-webhook-ses": RouteAccess(Scope.PUBLIC, {"POST": Audience.ANYONE}, reason=_PROVIDER),
    "email-webhook-events": RouteAccess(Scope.PUBLIC, {"POST": Audience.ANYONE}, reason=_PROVIDER),
}
