"""WebSocket routes."""

from django.urls import path

from realtime.consumers import EventStreamConsumer

websocket_urlpatterns = [path("ws/events/", EventStreamConsumer.as_asgi())]
