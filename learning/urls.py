from django.urls import path

from learning import views

app_name = "learning"

urlpatterns = [
    path("courses/", views.course_index, name="course_index"),
    path("learning/media/<str:key>/<int:expires>/<str:signature>/<path:path>", views.media_file, name="media"),
    path("learning/uploads/", views.media_uploads, name="media_uploads"),
    path("learning/uploads/<str:token>/", views.media_upload, name="media_upload"),
    path("learning/lessons/<int:lesson_id>/open/", views.lesson_link_open, name="lesson_link_open"),
    path("learning/record/", views.record, name="record"),
    path("learning/record.xlsx", views.record_xlsx, name="record_xlsx"),
    path("learning/record/organisations/", views.org_record, name="org_record"),
    path("learning/record/organisations/<int:org_id>/", views.org_record_detail, name="org_record_detail"),
    path("learning/podcasts/", views.podcasts, name="podcasts"),
    path("learning/podcasts/<int:course_id>.xml", views.podcast_public, name="podcast_public"),
    path("learning/podcasts/audio/<int:lesson_id>.m4a", views.podcast_public_audio, name="podcast_public_audio"),
    path("learning/podcasts/<str:key>/<int:course_id>.xml", views.podcast_private, name="podcast_private"),
    path(
        "learning/podcasts/<str:key>/audio/<int:lesson_id>.m4a",
        views.podcast_private_audio,
        name="podcast_private_audio",
    ),
]
