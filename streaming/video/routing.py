from django.urls import path

from streaming.video.consumers import PublishConsumer

websocket_urlpatterns = [path("ws/live/<int:event_id>/publish/", PublishConsumer.as_asgi())]
