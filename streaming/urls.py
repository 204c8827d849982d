from django.urls import path

from streaming import views

app_name = "streaming"

urlpatterns = [
    path("live/", views.event_list, name="event_list"),
    path("live/new/", views.event_create, name="event_create"),
    path("live/venues/", views.venue_list, name="venue_list"),
    path("live/venues/new/", views.venue_edit, name="venue_create"),
    path("live/venues/<int:venue_id>/", views.venue_edit, name="venue_edit"),
    path("live/<int:event_id>/", views.event_detail, name="event_detail"),
    path("live/<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("live/<int:event_id>/status.json", views.event_status, name="event_status"),
    path("live/<int:event_id>/heartbeat/", views.watch_heartbeat, name="watch_heartbeat"),
    path("live/<int:event_id>/venue/<int:venue_id>/", views.venue_screen, name="venue_screen"),
    path("live/<int:event_id>/venue/<int:venue_id>/check-in/", views.venue_check_in, name="venue_check_in"),
    path("live/<int:event_id>/venue/<int:venue_id>/heartbeat/", views.venue_heartbeat, name="venue_heartbeat"),
    path("live/<int:event_id>/photos/<int:attendance_id>/", views.venue_photo, name="venue_photo"),
    path("live/<int:event_id>/host/", views.host_console, name="host_console"),
    path("live/<int:event_id>/host/roster.json", views.host_roster, name="host_roster"),
    path("live/<int:event_id>/host/start/", views.host_start, name="host_start"),
    path("live/<int:event_id>/host/end/", views.host_end, name="host_end"),
    path("live/<int:event_id>/host/cancel/", views.host_cancel, name="host_cancel"),
    path("live/<int:event_id>/host/stream-key/", views.host_rotate_key, name="host_rotate_key"),
    path("live/<int:event_id>/host/announce/", views.host_announce, name="host_announce"),
    path(
        "live/<int:event_id>/host/questions/<int:question_id>/answering/",
        views.host_question_answering,
        name="host_question_answering",
    ),
    path(
        "live/<int:event_id>/host/questions/<int:question_id>/answered/",
        views.host_question_answered,
        name="host_question_answered",
    ),
    path("live/<int:event_id>/host/chat/<int:message_id>/delete/", views.host_chat_delete, name="host_chat_delete"),
    path("live/<int:event_id>/report/", views.event_report, name="event_report"),
    path("live/<int:event_id>/report.xlsx", views.event_report_xlsx, name="event_report_xlsx"),
    path("live/<int:event_id>/questions/<int:question_id>/forum/", views.question_to_forum, name="question_to_forum"),
]
