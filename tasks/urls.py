"""Routes of tasks, with their rows of the authorization table."""

from rest_framework.routers import SimpleRouter

from common.viewsets import record_routes
from tasks.views import TaskViewSet

router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="tasks")

urlpatterns = router.urls

ROUTES = {**record_routes("tasks")}
