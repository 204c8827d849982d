from django.urls import path

from dashboards.consumers import ScreenConsumer

websocket_urlpatterns = [path("ws/dashboards/screen/", ScreenConsumer.as_asgi())]
