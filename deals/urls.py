"""Routes of deals, with their rows of the authorization table."""

urlpatterns: list = []

ROUTES: dict = {}
