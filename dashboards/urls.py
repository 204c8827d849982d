from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("screen/", views.screen, name="screen"),
    path("screen/data/", views.screen_data, name="screen_data"),
    path("<slug:key>/", views.dashboard_page, name="dashboard"),
    path("<slug:key>/export.xlsx", views.export, name="export"),
    path("<slug:key>/records/", views.records, name="records"),
]
