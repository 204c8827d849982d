from django.urls import path

from governance.reports.consumers import ReportConsumer

websocket_urlpatterns = [path("ws/reports/<int:report_id>/", ReportConsumer.as_asgi())]
