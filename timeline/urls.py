"""Routes of the timeline: comments, attachments and notifications, with their rows of the authorization table."""

urlpatterns: list = []

ROUTES: dict = {}
