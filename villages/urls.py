from django.urls import path

from villages import views

app_name = "villages"
urlpatterns = [
    path("", views.index, name="index"),
    path("analysis/", views.analysis, name="analysis"),
    path("<int:village_id>/", views.village_detail, name="village_detail"),
    path("<int:village_id>/<int:year>/", views.year_detail, name="year_detail"),
    path("<int:village_id>/<int:year>/add/<str:what>/", views.year_add_row, name="year_add_row"),
    path("<int:village_id>/<int:year>/<str:action>/", views.year_action, name="year_action"),
]
