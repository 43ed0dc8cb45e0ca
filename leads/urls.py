"""Routes of leads, with their rows of the authorization table."""

urlpatterns: list = []

ROUTES: dict = {}
