"""Routes of contacts and companies, with their rows of the authorization table."""

from rest_framework.routers import SimpleRouter

from common.access import WRITERS, RouteAccess, Scope
from common.viewsets import record_routes
from contacts.views import CompanyViewSet, ContactViewSet

router = SimpleRouter()
router.register("contacts", ContactViewSet, basename="contacts")
router.register("companies", CompanyViewSet, basename="companies")

urlpatterns = router.urls

ROUTES = {
    **record_routes("contacts"),
    **record_routes("companies"),
    "contacts-merge": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
    "companies-merge": RouteAccess(Scope.TENANT, {"POST": WRITERS}),
}
