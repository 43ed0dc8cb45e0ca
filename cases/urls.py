"""Routes of cases, with their rows of the authorization table."""

urlpatterns: list = []

ROUTES: dict = {}
