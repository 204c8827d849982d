from django.urls import path

from governance.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_new, name="new"),
    path("nearby/", views.report_nearby, name="nearby"),
    path("places/", views.report_places, name="places"),
    path("<int:report_id>/", views.report_detail, name="detail"),
    path("<int:report_id>/<slug:action>/", views.report_act, name="act"),
    path("photos/<int:photo_id>/", views.report_photo, name="photo"),
    path("department/", views.department_queue, name="department"),
    path("centre/", views.centre_queue, name="centre"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("calendar/", views.work_calendar, name="calendar"),
    path("calendar/<int:day_id>/delete/", views.work_calendar_delete, name="calendar_delete"),
    path("categories/", views.category_list, name="categories"),
    path("categories/new/", views.category_edit, name="category_new"),
    path("categories/<int:category_id>/", views.category_edit, name="category_edit"),
    path("open311-keys/", views.open311_keys, name="open311_keys"),
    path("from-forum/<int:topic_id>/", views.report_from_forum, name="from_forum"),
    path("review/", views.review, name="review"),
    path("review/export.xlsx", views.review_export, name="review_export"),
]
