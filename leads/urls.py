"""Routes of leads, web forms and the public web-to-lead endpoint, with their rows of the authorization table."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from common.access import ADMINS, Audience, RouteAccess, Scope
from leads.views import ListingInquiryView, WebFormViewSet, WebToLeadView

router = SimpleRouter()
router.register("leads/forms", WebFormViewSet, basename="lead-forms")

urlpatterns = [
    *router.urls,
    path("public/leads/", WebToLeadView.as_view(), name="web-to-lead"),
    path(
        "public/orgs/<slug:org_slug>/properties/<slug:slug>/inquiries/",
        ListingInquiryView.as_view(),
        name="public-property-inquiries",
    ),
]

ROUTES = {
    "lead-forms-list": RouteAccess(Scope.TENANT, {"GET": ADMINS, "POST": ADMINS}),
    "lead-forms-detail": RouteAccess(
        Scope.TENANT, {"GET": ADMINS, "PUT": ADMINS, "PATCH": ADMINS, "DELETE": ADMINS}
    ),
    "lead-forms-rotate-token": RouteAccess(Scope.TENANT, {"POST": ADMINS}),
    # The form token or API key in the request is the credential; the view checks it, not the route table.
    "web-to-lead": RouteAccess(
        Scope.PUBLIC, {"POST": Audience.ANYONE}, reason="Public web-to-lead forms and integrations."
    ),
    "public-property-inquiries": RouteAccess(
        Scope.PUBLIC, {"POST": Audience.ANYONE}, reason="Visitors of an agency's website ask about a listing."
    ),
}
