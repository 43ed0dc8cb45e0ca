"""The one application `make run` and production serve: HTTP (the Django API, run as WSGI on a thread pool, so
a request that waits on the database holds a thread, as with threaded workers) and WebSocket (the live event
stream, Django Channels)."""

import os
from typing import Any, cast

from a2wsgi import WSGIMiddleware
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")

django_asgi = get_asgi_application()  # sets Django up before anything imports models

from crm.wsgi import application as wsgi_application  # noqa: E402 - after setup
from realtime.routing import websocket_urlpatterns  # noqa: E402 - after setup

# Threads per worker process for HTTP requests (gunicorn's WEB_THREADS, as with threaded workers).
HTTP_THREADS = int(os.environ.get("WEB_THREADS") or 4)

application = ProtocolTypeRouter(
    {
        "http": WSGIMiddleware(cast(Any, wsgi_application), workers=HTTP_THREADS),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
