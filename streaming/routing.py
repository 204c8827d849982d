from django.urls import path

from streaming.consumers import LiveEventConsumer

websocket_urlpatterns = [path("ws/live/<int:event_id>/", LiveEventConsumer.as_asgi())]
