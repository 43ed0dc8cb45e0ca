"""Routes of cases, with their rows of the authorization table."""

from rest_framework.routers import SimpleRouter

from cases.views import CaseViewSet
from common.viewsets import record_routes

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="cases")

urlpatterns = router.urls

ROUTES = {**record_routes("cases")}
