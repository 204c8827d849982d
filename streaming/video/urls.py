from django.urls import path

from streaming.video import views

app_name = "streaming_video"

urlpatterns = [path("<int:event_id>/studio/", views.studio, name="studio")]
