"""Routes of tasks, with their rows of the authorization table."""

urlpatterns: list = []

ROUTES: dict = {}
